"""Where a client's libtdjson comes from: python-telegram's bundled one, or a fake.

Every :class:`~oleg_tdlib.transport.TdClient` asks :func:`open_tdjson` for its low-level
client, so that a test (or the mailing benchmark) swaps TDLib for
:class:`oleg_tdlib.fake.FakeTelegram` in one place with :func:`use_backend`, and the source
and the sink run unchanged on top of it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class TdJson(Protocol):
    """The td_json_client interface, as python-telegram's ``TDJson`` wraps it."""

    def send(self, query: dict[str, Any]) -> None:
        """Queue a request; its answer comes from :meth:`receive` with the same ``@extra``."""

    def receive(self) -> dict[str, Any] | None:
        """The next answer or update, or ``None`` after about a second without one."""

    def td_execute(self, query: dict[str, Any]) -> dict[str, Any] | None:
        """Run a synchronous request (getOption, setLogVerbosityLevel...)."""

    def stop(self) -> None:
        """Destroy the client; using it afterwards is an error."""


Factory = Callable[[], TdJson]

_lock = threading.Lock()
_factories: list[Factory] = []


def open_tdjson(verbosity: int = 1) -> TdJson:
    """A new low-level client: the innermost :func:`use_backend`'s, else the real libtdjson."""
    with _lock:
        factory = _factories[-1] if _factories else None
    if factory is not None:
        return factory()
    from telegram.tdjson import TDJson  # python-telegram, with its bundled libtdjson

    return TDJson(verbosity=verbosity)  # type: ignore[no-any-return]


@contextmanager
def use_backend(factory: Factory) -> Iterator[None]:
    """Make every client opened inside the block use ``factory`` instead of libtdjson."""
    with _lock:
        _factories.append(factory)
    try:
        yield
    finally:
        with _lock:
            _factories.remove(factory)
