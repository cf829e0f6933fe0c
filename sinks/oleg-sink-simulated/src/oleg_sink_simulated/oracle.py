"""The ``oracle`` recommender: scores with the simulated subscribers' true P(like).

It is the ceiling every other recommender is measured against in a simulation: same
engine, same pool, same timing, but perfect knowledge of tastes. It reads that knowledge
from the hidden truth the simulated sink publishes, and maps the store's ids back to what the sink knows:
subscriber ids to ``sim-K`` and post ids to posts (including posts never delivered, which is
why it asks the store and not the sink).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np
from oleg.components import PluginSettings, Recommender
from oleg.errors import PluginError
from oleg.runtime import Runtime
from oleg.types import Candidates, FloatArray, Interactions, Post

from oleg_sink_simulated.truth import HIDDEN_TRUTH, HiddenTruth


class OracleSettings(PluginSettings):
    """What the oracle knows: by default everything, which makes it the ceiling."""

    knows: list[Literal["category", "channel", "quality"]] = ["category", "channel", "quality"]
    """The hidden parts of each like it scores with. Fewer parts bound what a model with
    only that information can reach: ``["category"]`` is a perfect topic model."""


class OracleRecommender(Recommender):
    """Knows the truth, learns nothing: ``fit`` and ``partial_fit`` do nothing."""

    name: ClassVar[str] = "oracle"
    Settings: ClassVar[type[PluginSettings]] = OracleSettings

    def __init__(self, settings: PluginSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        self._truth: HiddenTruth | None = None
        self._store: Any = None
        self._external: dict[int, str] = {}
        self._posts: dict[int, Post] = {}

    def start(self, runtime: Runtime) -> None:
        truth = runtime.shared.get(HIDDEN_TRUTH)
        if truth is None:
            raise PluginError(
                "the oracle recommender needs the simulated sink, but this deployment's sink "
                "is another one",
                hint="The oracle scores with the simulated subscribers' hidden tastes: set "
                '[sink] plugin = "simulated", or choose another recommender.',
            )
        self._truth, self._store = truth, runtime.store

    # -- the Recommender interface -----------------------------------------------------------

    def fit(self, feedback: Interactions) -> None:
        """Nothing to learn."""

    def partial_fit(self, feedback: Interactions) -> None:
        """Nothing to learn."""

    def score(self, user: int | None, candidates: Candidates) -> FloatArray:
        if user is None:
            if len(candidates) == 0:
                return np.zeros(0)
            return self._simulation()[0].average_like_probability(self._posts_of(candidates), self._parts())
        row: FloatArray = self.score_many([user], candidates)[0]
        return row

    def score_many(self, users: Sequence[int], candidates: Candidates) -> FloatArray:
        if len(users) == 0 or len(candidates) == 0:
            return np.zeros((len(users), len(candidates)))
        truth, _ = self._simulation()
        return truth.like_probability(self._external_ids(users), self._posts_of(candidates), self._parts())

    def _parts(self) -> tuple[str, ...]:
        return tuple(self.settings.knows)  # type: ignore[attr-defined]

    # -- mapping store ids to what the sink knows ---------------------------------------------

    def _simulation(self) -> tuple[HiddenTruth, Any]:
        if self._truth is None:
            raise PluginError(
                "the oracle recommender was not started: it reads the running simulated sink",
                hint="call start(runtime) with a runtime whose sink is the simulated sink.",
            )
        return self._truth, self._store

    def _external_ids(self, users: Sequence[int]) -> list[str | None]:
        if any(int(u) not in self._external for u in users):
            for s in self._simulation()[1].subscribers(active_only=False):
                self._external[s.id] = s.external_id
        # An id the store does not know either is scored as an average subscriber.
        return [self._external.get(int(u)) for u in users]

    def _posts_of(self, candidates: Candidates) -> list[Post]:
        ids = [int(i) for i in candidates.post]
        missing = sorted({i for i in ids if i not in self._posts})
        if missing:
            for post in self._simulation()[1].posts_by_id(missing):
                if post.id is not None:
                    self._posts[post.id] = post
            unknown = [i for i in missing if i not in self._posts]
            if unknown:
                raise PluginError(
                    f"the oracle cannot score posts the store does not have: ids {unknown[:10]}"
                )
        return [self._posts[i] for i in ids]

    # -- persistence: the live simulation stays out of the pickle ------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_truth=None, _store=None, _external={}, _posts={})
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
