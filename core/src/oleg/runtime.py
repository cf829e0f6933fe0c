"""What a component receives when the deployment starts it: the narrow :class:`Runtime`.

A component sees the seed, the clock, read access to the core's tables, its own folder, its
own small state, its own tables, and the one call through which feedback reaches the store,
never the other components. What two components of one family must share (the Telegram
bot's username, which the TDLib source forwards posts to) goes through :class:`SharedValues`
under a typed :class:`SharedKey` that their distribution defines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from oleg.types import FeedbackEvent

if TYPE_CHECKING:
    from oleg.store import Store
    from oleg.store.schema import Database
    from oleg.store.views import CatalogWriter, StateStore, StoreReader

T = TypeVar("T")


@dataclass(frozen=True)
class SharedKey(Generic[T]):
    """The name and type of a value components share, e.g. ``SharedKey("telegram.bot_username", str)``."""

    name: str
    type: type[T]


class SharedValues:
    """Values one component publishes at start for another to read (by typed key)."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def publish(self, key: SharedKey[T], value: T) -> None:
        if not isinstance(value, key.type):
            raise TypeError(f"shared value {key.name!r} must be a {key.type.__name__}, got {value!r}")
        self._values[key.name] = value

    def get(self, key: SharedKey[T]) -> T | None:
        value = self._values.get(key.name)
        return value if isinstance(value, key.type) else None


class PluginState:
    """Small JSON values a plugin keeps across restarts, under keys of its own.

    Stored in the core's ``engine_state`` table as ``"<plugin>:<key>"``, so two plugins never
    read each other's values.
    """

    def __init__(self, store: StateStore, plugin: str) -> None:
        self._store = store
        self.prefix = f"{plugin}:"

    def get(self, key: str, default: Any = None) -> Any:
        return self._store.get_state(self.prefix + key, default)

    def set(self, key: str, value: Any) -> None:
        self._store.set_state(self.prefix + key, value)


RecordFeedback = Callable[[Sequence[FeedbackEvent]], list[bool]]


@dataclass(frozen=True)
class Runtime:
    """What a running deployment offers one component (see the module's docstring)."""

    seed: int
    """The deployment's seed; also given to the component's constructor."""
    clock: Callable[[], datetime]
    """The scheduler's clock: virtual in a simulation, the wall clock in a deployment."""
    data_dir: Path
    """This plugin's own folder, ``<deployment data_dir>/<plugin name>`` (created)."""
    store: StoreReader
    """Read-only queries of the core's tables (posts, subscribers, deliveries, models)."""
    catalog: CatalogWriter
    """What a source may record about channels and posts beyond emitting them."""
    state: PluginState
    """This plugin's small values, kept across restarts."""
    database: Database
    """The store's database, for the tables this plugin registered (``registry.add_schema``)."""
    shared: SharedValues = field(default_factory=SharedValues)
    record_feedback_fn: RecordFeedback | None = None

    def now(self) -> datetime:
        return self.clock()

    def record_feedback(self, events: Sequence[FeedbackEvent]) -> list[bool]:
        """Store 👍/👎 presses: the one way feedback reaches the store, whoever receives it.

        Returns, per event, whether it was stored now (``False``: a repeated press, or a
        delivery the store does not know). A sink calls this before acknowledging a press,
        so an acknowledged press is never lost; the engine counts and announces each stored
        rating once, on its own thread.
        """
        if self.record_feedback_fn is None:
            raise RuntimeError("this runtime takes no feedback")
        return self.record_feedback_fn(events)


def runtime_over(
    store: Store,
    *,
    plugin: str,
    data_dir: Path,
    clock: Callable[[], datetime],
    seed: int,
    shared: SharedValues,
    record_feedback: RecordFeedback,
) -> Runtime:
    """The runtime of plugin ``plugin`` over ``store``: the one place a Runtime is made (the
    engine, and :func:`oleg.testing.runtime.static_runtime` for tests). The store is handed
    out as read-only and catalog views; ``data_dir`` is created."""
    from oleg.store.views import CatalogWriter, StoreReader, view

    data_dir.mkdir(parents=True, exist_ok=True)
    return Runtime(
        seed=seed,
        clock=clock,
        data_dir=data_dir,
        store=view(store, StoreReader),
        catalog=view(store, CatalogWriter),
        state=PluginState(store, plugin),
        database=store.database,
        shared=shared,
        record_feedback_fn=record_feedback,
    )
