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
from pathlib import Path
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


LOG_MAX_BYTES = 10 * 2**20
"""TDLib rotates its log file past this size (keeping one old file, ``.old``)."""


def open_tdjson(verbosity: int = 1, log_file: Path | None = None) -> TdJson:
    """A new low-level client: the innermost :func:`use_backend`'s, else the real libtdjson.

    TDLib's own log (its C++ lines, which otherwise go to the terminal) is written to
    ``log_file`` at ``verbosity`` (0 fatal errors only ... 5 debug), or dropped without one.
    """
    with _lock:
        factory = _factories[-1] if _factories else None
    if factory is not None:
        td = factory()
    else:
        from telegram.tdjson import TDJson  # python-telegram, with its bundled libtdjson

        _static_execute({"@type": "setLogVerbosityLevel", "new_verbosity_level": 0})
        td = TDJson(verbosity=0)  # silent until the stream below is set
    set_log_stream(td, verbosity, log_file)
    return td  # type: ignore[no-any-return]


def _static_execute(query: dict[str, Any]) -> None:
    """Run a synchronous request with libtdjson's static ``td_execute``, before any client
    exists: python-telegram creates its client before lowering the verbosity, so TDLib's
    "Create client" lines would reach the terminal otherwise."""
    import json
    from ctypes import CDLL, c_char_p

    from telegram.tdjson import _resolve_tdjson_library

    lib = CDLL(_resolve_tdjson_library()[0])
    lib.td_execute.restype = c_char_p
    lib.td_execute.argtypes = [c_char_p]
    lib.td_execute(json.dumps(query).encode())


def set_log_stream(td: TdJson, verbosity: int, log_file: Path | None) -> None:
    """Send TDLib's log to ``log_file`` (or nowhere) at ``verbosity``; process-wide in TDLib."""
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        stream: dict[str, Any] = {
            "@type": "logStreamFile", "path": str(log_file), "max_file_size": LOG_MAX_BYTES,
            "redirect_stderr": False,
        }
    else:
        stream = {"@type": "logStreamEmpty"}
    td.td_execute({"@type": "setLogStream", "log_stream": stream})
    td.td_execute({"@type": "setLogVerbosityLevel", "new_verbosity_level": verbosity})


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
