"""The values that travel between components: posts, feedback, deliveries, and the
columnar arrays recommenders train and score on.

Everything here is plain data, free of the store and of any plugin, so that a plugin can
be written and tested against these types alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt

LIKE = 1
"""Feedback value of a 👍."""
DISLIKE = 0
"""Feedback value of a 👎."""


def utc(dt: datetime) -> datetime:
    """Return ``dt`` as an aware UTC datetime (naive values are taken to be UTC)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def to_epoch(dt: datetime) -> int:
    return int(utc(dt).timestamp())


class MediaKind(StrEnum):
    TEXT = "text"
    PHOTO = "photo"
    VIDEO = "video"
    ANIMATION = "animation"
    DOCUMENT = "document"
    AUDIO = "audio"
    VOICE = "voice"
    POLL = "poll"
    ALBUM = "album"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Post:
    """A channel post as oleg keeps it: what identifies it, never its content.

    ``id`` is the store's id, ``None`` until the post is stored. ``category`` is an optional
    label a source may know (the replay source reads it from its file); it is not content.
    """

    channel_id: int
    message_id: int
    date: datetime
    media_kind: str = MediaKind.TEXT
    album_id: str | None = None
    text: str | None = None
    category: str | None = None
    channel_title: str | None = None
    id: int | None = None

    def with_id(self, post_id: int) -> Post:
        return replace(self, id=post_id)

    @property
    def key(self) -> tuple[int, int]:
        return (self.channel_id, self.message_id)


@dataclass(frozen=True, slots=True)
class Subscriber:
    """Someone who receives the feed. ``external_id`` is the sink's id (a Telegram user id)."""

    id: int
    external_id: str
    active: bool = True
    name: str | None = None
    joined_at: datetime | None = None


class PolicyKind(StrEnum):
    """Which part of the engine chose a post."""

    COLD_START = "cold_start"
    RECOMMENDER = "recommender"


@dataclass(frozen=True, slots=True)
class Policy:
    """What chose a delivery: the cold-start policy or the recommender, and which plugin.

    Stored as ``"<kind>:<plugin>"`` (``"cold_start:top-bias"``, ``"recommender:popular"``).
    """

    kind: PolicyKind
    plugin: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.plugin}"

    @classmethod
    def parse(cls, text: str) -> Policy:
        kind, sep, plugin = text.partition(":")
        kinds = [k.value for k in PolicyKind]
        if not sep or kind not in kinds:
            raise ValueError(f"a policy reads '<kind>:<plugin>' with kind one of {kinds}, got {text!r}")
        return cls(PolicyKind(kind), plugin)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One post sent (or about to be sent) to one subscriber, with how it was chosen.

    ``policy`` names what chose it, ``propensity`` the probability that the policy picks
    this post, so that any later model can be evaluated off-policy.
    """

    subscriber_id: int
    post_id: int
    sent_at: datetime
    policy: Policy
    score: float | None = None
    propensity: float | None = None
    model_version_id: int | None = None
    status: str = "pending"
    id: int | None = None


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    """Stored, handed to the sink; if the engine stops now, it is not sent again."""
    RETRY = "retry"
    """The sink said "not now" (a flood wait): it is sent again, after a restart too."""
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    """Left ``pending`` by an engine that stopped before the sink answered, and the sink
    could not tell what became of it: never sent again, counted in the run's summary."""


@dataclass(frozen=True, slots=True)
class DeliveryUpdate:
    """What became of a delivery once the sink answered: its new status, and why it failed."""

    delivery_id: int
    status: DeliveryStatus
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What a sink gets to deliver: the stored delivery, its post and its recipient."""

    delivery: Delivery
    post: Post
    subscriber: Subscriber


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What a sink reports for one delivery; ``error`` is set when it failed."""

    delivery_id: int
    ok: bool
    error: str | None = None
    retry_after: float | None = None
    subscriber_gone: bool = False


@dataclass(frozen=True, slots=True)
class FeedbackEvent:
    """A 👍 (1) or 👎 (0) on a delivery, as the sink reports it."""

    delivery_id: int
    value: int
    at: datetime


@dataclass(frozen=True, slots=True)
class SubscriptionEvent:
    """A subscriber arriving (``active=True``) or leaving (``active=False``)."""

    external_id: str
    active: bool
    at: datetime
    name: str | None = None


@dataclass(frozen=True, slots=True)
class MoreRequest:
    """A subscriber asking for a post now (the bot's /more): mailed at once, not next round."""

    external_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Feedback:
    """A stored rating: who rated which post, how and when."""

    id: int
    delivery_id: int
    subscriber_id: int
    post_id: int
    channel_id: int
    value: int
    at: datetime


IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _i64(values: object) -> IntArray:
    return np.ascontiguousarray(values, dtype=np.int64)


NO_CATEGORY = 0
"""The category code of a post without a category."""


def category_code(label: str | None) -> int:
    """A post's category label as a stable positive int64 (``0`` for none), the same in every
    process and run: recommenders see categories as ids, like channels."""
    if not label or not label.strip():
        return NO_CATEGORY
    digest = hashlib.blake2b(label.strip().lower().encode(), digest_size=7).digest()
    return int.from_bytes(digest, "big") + 1


def category_codes(labels: Iterable[str | None]) -> IntArray:
    return np.fromiter((category_code(label) for label in labels), dtype=np.int64)


def _fill(column: IntArray, n: int) -> IntArray:
    return np.zeros(n, dtype=np.int64) if len(column) == 0 and n > 0 else column


_NPZ_COLUMNS = ("user", "post", "channel", "value", "time", "category")


@dataclass(frozen=True)
class Interactions:
    """Ratings in columns: the training data every recommender receives.

    ``value`` is 1.0 for 👍 and 0.0 for 👎; ``time`` is Unix seconds. Ids are the store's ids
    and are not dense: a recommender maps them to its own indices. ``category`` holds each
    post's :func:`category_code` (``0`` where the source knows none); models may ignore it.
    ``weight`` is an optional per-row weight of the training loss (``None``: every row weighs
    1), e.g. a delivery's inverse propensity; models that take no weights ignore it.
    """

    user: IntArray
    post: IntArray
    channel: IntArray
    value: FloatArray
    time: IntArray
    category: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    weight: FloatArray | None = None

    def __post_init__(self) -> None:
        n = len(self.user)
        object.__setattr__(self, "category", _fill(_i64(self.category), n))
        if self.weight is not None:
            object.__setattr__(self, "weight", np.ascontiguousarray(self.weight, dtype=np.float64))
        for name in ("post", "channel", "value", "time", "category", "weight"):
            column = getattr(self, name)
            if column is not None and len(column) != n:
                raise ValueError(f"Interactions.{name} has {len(column)} rows, expected {n}")

    @classmethod
    def from_arrays(
        cls,
        user: object,
        post: object,
        channel: object,
        value: object,
        time: object | None = None,
        category: object | None = None,
        weight: object | None = None,
    ) -> Interactions:
        u = _i64(user)
        return cls(
            user=u,
            post=_i64(post),
            channel=_i64(channel),
            value=np.ascontiguousarray(value, dtype=np.float64),
            time=_i64(time) if time is not None else np.zeros(len(u), dtype=np.int64),
            category=_i64(category) if category is not None else np.zeros(len(u), dtype=np.int64),
            weight=None if weight is None else np.ascontiguousarray(weight, dtype=np.float64),
        )

    @classmethod
    def empty(cls) -> Interactions:
        return cls.from_arrays([], [], [], [], [])

    def __len__(self) -> int:
        return len(self.user)

    def take(self, index: npt.ArrayLike) -> Interactions:
        """Rows selected by an index array or a boolean mask."""
        return Interactions(
            self.user[index], self.post[index], self.channel[index], self.value[index],
            self.time[index], self.category[index],
            None if self.weight is None else self.weight[index],
        )

    def save_npz(self, path: str | Path) -> None:
        """Every column to one ``.npz`` file (what :meth:`load_npz` reads back), e.g. to
        hand the training data to worker processes."""
        columns = {name: getattr(self, name) for name in _NPZ_COLUMNS}
        if self.weight is not None:
            columns["weight"] = self.weight
        np.savez(path, **columns)

    @classmethod
    def load_npz(cls, path: str | Path) -> Interactions:
        """Ratings from an ``.npz`` file of arrays user, post, channel, value and optionally
        time, category and weight."""
        with np.load(path) as z:
            return cls.from_arrays(
                z["user"], z["post"], z["channel"], z["value"],
                z.get("time"), z.get("category"), z.get("weight"),
            )

    def weights(self) -> FloatArray:
        """``weight``, or ones where none was given."""
        return np.ones(len(self)) if self.weight is None else self.weight

    def concat(self, other: Interactions) -> Interactions:
        weighted = self.weight is not None or other.weight is not None
        return Interactions(
            np.concatenate([self.user, other.user]),
            np.concatenate([self.post, other.post]),
            np.concatenate([self.channel, other.channel]),
            np.concatenate([self.value, other.value]),
            np.concatenate([self.time, other.time]),
            np.concatenate([self.category, other.category]),
            np.concatenate([self.weights(), other.weights()]) if weighted else None,
        )


@dataclass(frozen=True)
class Candidates:
    """Posts to score, in columns: what :meth:`Recommender.score` ranks."""

    post: IntArray
    channel: IntArray
    time: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    category: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Each post's :func:`category_code` (``0``: none known)."""

    def __post_init__(self) -> None:
        n = len(self.post)
        object.__setattr__(self, "time", _fill(self.time, n))
        object.__setattr__(self, "category", _fill(_i64(self.category), n))
        if not (n == len(self.channel) == len(self.time) == len(self.category)):
            raise ValueError("Candidates columns differ in length")

    @classmethod
    def from_posts(cls, posts: list[Post]) -> Candidates:
        if any(p.id is None for p in posts):
            raise ValueError("Candidates need stored posts (with ids)")
        return cls(
            post=_i64([p.id for p in posts]),
            channel=_i64([p.channel_id for p in posts]),
            time=_i64([to_epoch(p.date) for p in posts]),
            category=category_codes(p.category for p in posts),
        )

    @classmethod
    def from_arrays(
        cls, post: object, channel: object, time: object | None = None, category: object | None = None
    ) -> Candidates:
        p = _i64(post)
        return cls(
            p, _i64(channel), _i64(time) if time is not None else np.zeros(len(p), np.int64),
            _i64(category) if category is not None else np.zeros(len(p), np.int64),
        )

    def __len__(self) -> int:
        return len(self.post)

    def take(self, index: npt.ArrayLike) -> Candidates:
        return Candidates(self.post[index], self.channel[index], self.time[index], self.category[index])
