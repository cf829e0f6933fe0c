"""The small interfaces plugins implement: Source, Sink, Recommender, ColdStartPolicy,
Scheduler. The engine calls the selected component directly; hooks only register them.

Each component class names its ``Settings`` (a pydantic model, unknown keys forbidden): the
TOML section of the deployment is validated against it, and the instance receives the
validated settings. Heavy dependencies (torch, vowpalwabbit, implicit, python-telegram) are
imported inside the component, never at module level, so that listing plugins stays cheap.
"""

from __future__ import annotations

import pickle
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from oleg.durations import Duration
from oleg.types import (
    Candidates,
    Delivery,
    DeliveryResult,
    DeliveryUpdate,
    FloatArray,
    Interactions,
    MoreRequest,
    Outgoing,
    Post,
    SubscriptionEvent,
)

if TYPE_CHECKING:
    from oleg.runtime import Runtime


class PluginSettings(BaseModel):
    """Base of every component's settings: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, arbitrary_types_allowed=True, use_attribute_docstrings=True
    )


class Component(ABC):  # noqa: B024 - a base that holds the shared constructor, nothing abstract
    """Common base: a registered name, a settings model, the validated settings, the seed.

    Every component is built the same way, by :func:`build_component`: ``cls(settings,
    seed=seed)``. A subclass that needs its own ``__init__`` keeps that signature.
    """

    name: ClassVar[str] = ""
    Settings: ClassVar[type[PluginSettings]] = PluginSettings

    def __init__(self, settings: PluginSettings | None = None, *, seed: int = 0) -> None:
        self.settings = settings if settings is not None else self.Settings()
        self.seed = seed

    def check(self) -> None:  # noqa: B027 - optional hook for subclasses
        """Validate what the settings point to (a file, a path) without side effects.

        ``oleg check`` calls it, so that a deployer learns of a bad data file before running.
        Raise :class:`oleg.errors.OlegError` (or a subclass) with a clear message.
        """

    def start(self, runtime: Runtime) -> None:  # noqa: B027 - optional hook for subclasses
        """Called once before the deployment runs; keep what you need from ``runtime``
        (:class:`oleg.runtime.Runtime`: clock, store reader, own folder, state and tables).

        Components start in the order sink, source, recommender, cold start, scheduler, and
        close in the reverse order.
        """

    def close(self) -> None:  # noqa: B027
        """Called once when the deployment stops; release connections and threads."""


class Source(Component):
    """Emits channel posts. Push-based sources (TDLib) buffer what arrives between polls."""

    @abstractmethod
    def poll(self, now: datetime) -> Iterable[Post]:
        """Posts that appeared up to ``now`` and were not returned before.

        Returning a post again is harmless: the store keeps each (channel, message) once.
        """

    def first_date(self) -> datetime | None:
        """Date of the first post this source will emit, if known (a replay knows it).

        A virtual clock with no explicit start begins here.
        """
        return None

    def deleted(self, now: datetime) -> Iterable[tuple[int, int]]:
        """(channel_id, message_id) pairs deleted since the last call; they leave the pool."""
        return ()


class Sink(Component):
    """Delivers posts to subscribers and brings back their 👍/👎 and (un)subscriptions."""

    @abstractmethod
    def deliver(self, batch: Sequence[Outgoing]) -> list[DeliveryResult]:
        """Send each post; return one result per item, in any order.

        The engine has stored each delivery (status ``pending``) before calling this, so a
        crash in between never sends a post twice. A failed item with ``retry_after`` is
        re-queued by the engine; one with ``subscriber_gone`` deactivates the subscriber.
        """

    def settle(self, pending: Sequence[Delivery]) -> list[DeliveryUpdate]:
        """What became of deliveries a stopped engine left ``pending`` (stored, handed to the
        sink, no answer recorded): the engine asks at start. Return an update for those you
        can tell (sent, or failed); the others become ``unknown`` and are never sent again.
        The default tells nothing."""
        return []

    @abstractmethod
    def poll(self, now: datetime) -> Iterable[SubscriptionEvent | MoreRequest]:
        """(Un)subscriptions and requests for a post that arrived up to ``now``.

        👍/👎 do not come back from here: a sink stores each press with
        :meth:`oleg.runtime.Runtime.record_feedback` as it receives it (before acknowledging
        it, where the user is waiting for an answer), and the engine follows the feedback
        table, so every press is counted and announced once.
        """


class Recommender(Component):
    """Scores candidate posts for a subscriber: higher is better, ideally P(👍) on 0..1.

    The contract (``oleg.testing.RecommenderContract``) checks what the engine relies on:
    ``score`` works before any fit and for users and posts never seen; ``fit`` replaces the
    model, ``partial_fit`` updates it from new feedback only; ``save``/``load`` round-trip;
    the same seed gives the same results.
    """

    fit_info: dict[str, Any]
    """What the last full fit reports of itself (epochs run, early stop...): recorded with
    the model version. Empty when there is nothing to say."""
    history: list[dict[str, Any]]
    """A learning curve of the last fit, one dict per epoch (``{"epoch": 1, "loss": ...}``),
    drawn by ``oleg evaluate``; empty for models that do not train in epochs."""

    def __init__(self, settings: PluginSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        # Empty until a fit says more; a subclass may define either as a property instead.
        if not hasattr(type(self), "fit_info"):
            self.fit_info = {}
        if not hasattr(type(self), "history"):
            self.history = []

    @abstractmethod
    def fit(self, feedback: Interactions) -> None:
        """Train from scratch on all feedback."""

    @abstractmethod
    def partial_fit(self, feedback: Interactions) -> None:
        """Update the current model with feedback that arrived since the last (partial) fit."""

    @abstractmethod
    def score(self, user: int | None, candidates: Candidates) -> FloatArray:
        """One score per candidate; ``user=None`` (or a user never seen) must work."""

    def score_many(self, users: Sequence[int], candidates: Candidates) -> FloatArray:
        """Scores for several users over the same candidates, shape (len(users), len(candidates)).

        Override when a batched pass is cheaper (it usually is); the default loops.
        """
        if len(users) == 0:
            return np.zeros((0, len(candidates)))
        return np.vstack([self.score(u, candidates) for u in users])

    def bias(self, candidates: Candidates) -> FloatArray:
        """A user-independent quality of each post (a learned bias); used by cold start."""
        return self.score(None, candidates)

    def params(self) -> dict[str, Any]:
        """Hyperparameters recorded with each model version."""
        return self.settings.model_dump(mode="json")

    def save(self, path: Path) -> None:
        """Write the model to ``path``; the default pickles the instance."""
        with open(path, "wb") as fh:
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, path: Path) -> Recommender:
        """Read a model written by :meth:`save`."""
        with open(path, "rb") as fh:
            model = pickle.load(fh)
        if not isinstance(model, cls):
            raise TypeError(f"{path} holds a {type(model).__name__}, not a {cls.__name__}")
        return model


class ColdStartPolicy(Component):
    """Chooses posts for subscribers the recommender knows too little about."""

    @abstractmethod
    def applies(self, n_rated: int, n_delivered: int) -> bool:
        """Whether a subscriber with these counts is still in cold start."""

    @abstractmethod
    def rank(self, candidates: Candidates, recommender: Recommender) -> FloatArray:
        """A score per candidate; the engine sends the best unseen one, deterministically."""


class SchedulerSettings(PluginSettings):
    """Timing shared by every scheduler: how often each job of the engine runs."""

    mailing_every: Duration = timedelta(hours=2)
    """How often every active subscriber gets their next post(s)."""
    train_every: Duration = timedelta(minutes=10)
    """How often a training round runs (it does nothing when no feedback arrived)."""
    full_retrain_every: int = Field(10, ge=1)
    """Every this many training rounds, retrain from scratch instead of incrementally."""
    ingest_every: Duration = timedelta(minutes=1)
    """How often new posts are taken from the source."""
    feedback_every: Duration = timedelta(minutes=1)
    """How often (un)subscriptions and 👍/👎 are taken from the sink."""


Job = Callable[[datetime], None]


class Scheduler(Component):
    """Drives time: runs the engine's jobs at their intervals, on a wall or a virtual clock."""

    Settings: ClassVar[type[PluginSettings]] = SchedulerSettings
    settings: SchedulerSettings

    @abstractmethod
    def now(self) -> datetime:
        """The scheduler's current time (aware, UTC)."""

    @abstractmethod
    def every(self, name: str, interval: timedelta, job: Job) -> None:
        """Run ``job(now)`` every ``interval``, the first time at the start."""

    @abstractmethod
    def run(self, *, start: datetime | None = None, until: datetime | None = None) -> None:
        """Run jobs until ``until`` (virtual clocks), or until :meth:`stop` is called.

        ``start`` is where a virtual clock begins; a wall clock ignores it.
        """

    @abstractmethod
    def stop(self) -> None:
        """Ask :meth:`run` to return after the job in progress."""


C = TypeVar("C", bound=Component)


def build_component(cls: type[C], settings: PluginSettings | None = None, *, seed: int = 0) -> C:
    """Make a component from its class and validated settings: the one place oleg does it
    (the engine, ``oleg check``, ``oleg train``, evaluation and the contract all call this)."""
    return cls(settings, seed=seed)
