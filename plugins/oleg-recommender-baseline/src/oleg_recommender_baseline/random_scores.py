"""Uniformly random scores: the floor every recommender must beat."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from oleg import Candidates, Interactions, Recommender
from oleg.types import FloatArray


class RandomRecommender(Recommender):
    name = "random"

    def __init__(self, settings=None, *, seed: int = 0) -> None:  # type: ignore[no-untyped-def]
        super().__init__(settings, seed=seed)
        self._rng = np.random.default_rng(seed)

    def fit(self, feedback: Interactions) -> None:
        """Nothing to learn."""

    def partial_fit(self, feedback: Interactions) -> None:
        """Nothing to learn."""

    def score(self, user: int | None, candidates: Candidates) -> FloatArray:
        return self._rng.random(len(candidates))

    def score_many(self, users: Sequence[int], candidates: Candidates) -> FloatArray:
        return self._rng.random((len(users), len(candidates)))
