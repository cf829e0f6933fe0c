"""The parts of the store that components are handed, as protocols.

A component gets read access to the core's tables (:class:`StoreReader`), a source may also
record what it learns of channels and edits (:class:`CatalogWriter`); writes of posts,
deliveries and feedback go through the engine and :meth:`oleg.runtime.Runtime.record_feedback`.
:class:`oleg.store.Store` implements all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar, cast

from oleg.store.deliveries import LoggedDelivery
from oleg.types import Delivery, DeliveryStatus, Feedback, Interactions, Outgoing, Post, Subscriber
from oleg.versions import ModelDecision, ModelVersion


class StoreReader(Protocol):
    """Read-only queries of the core's tables."""

    def posts_by_id(self, ids: Sequence[int]) -> list[Post]: ...

    def recent_posts(self, since: datetime, limit: int) -> list[Post]: ...

    def last_message_ids(self) -> dict[int, int]: ...

    def channel_info(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]: ...

    def subscribers(self, *, active_only: bool = True) -> list[Subscriber]: ...

    def subscriber_by_external(self, external_id: str) -> Subscriber | None: ...

    def delivery(self, delivery_id: int) -> Delivery | None: ...

    def unanswered(self, statuses: Sequence[DeliveryStatus]) -> list[Outgoing]: ...

    def delivery_log(self, *, after_id: int = 0, limit: int = 10_000) -> list[LoggedDelivery]: ...

    def feedback(self, *, after_id: int = 0) -> tuple[Interactions, int]: ...

    def feedback_rows(self, *, after_id: int = 0, limit: int = 10_000) -> list[Feedback]: ...

    def daily_stats(self) -> list[dict[str, Any]]: ...

    def model_versions(self, limit: int = 50) -> list[ModelVersion]: ...

    def champion(self) -> ModelVersion | None: ...

    def model_version(self, version_id: int) -> ModelVersion | None: ...

    def decisions(self, limit: int = 50, *, version_id: int | None = None) -> list[ModelDecision]: ...


class CatalogWriter(Protocol):
    """What a source records about channels and posts besides emitting posts."""

    def set_channel_info(
        self,
        channel_id: int,
        *,
        at: datetime,
        username: str | None = None,
        title: str | None = None,
        protected: bool | None = None,
    ) -> None: ...

    def update_post_text(self, channel_id: int, message_id: int, text: str | None) -> bool: ...


class StateStore(Protocol):
    """Small JSON values by key (the engine's, and each plugin's under its prefix)."""

    def get_state(self, key: str, default: Any = None) -> Any: ...

    def set_state(self, key: str, value: Any) -> None: ...


P = TypeVar("P")


class _ProtocolView:
    """The methods of one protocol of an object, and nothing else: a component handed
    ``runtime.store`` can read, but has no ``add_feedback`` or ``set_state`` to call."""

    __slots__ = ("_names", "_target", "_what")

    def __init__(self, target: object, protocol: type) -> None:
        self._target = target
        self._names = frozenset(n for n in vars(protocol) if not n.startswith("_"))
        self._what = protocol.__name__

    def __getattr__(self, name: str) -> Any:
        if name in self._names:
            return getattr(self._target, name)
        raise AttributeError(f"{name!r} is not part of the {self._what} a component is given")

    def __repr__(self) -> str:
        return f"{self._what}({self._target!r})"


def view(target: object, protocol: type[P]) -> P:
    """``target`` seen through ``protocol`` only (see :class:`_ProtocolView`)."""
    return cast(P, _ProtocolView(target, protocol))
