"""Turning scores into a choice, with the probability of that choice (the propensity), so
that every delivery can later be used for off-policy evaluation."""

from __future__ import annotations

import numpy as np

from oleg.config.sections import ExplorationSettings
from oleg.types import FloatArray


def choose(
    scores: FloatArray, k: int, settings: ExplorationSettings, rng: np.random.Generator
) -> list[tuple[int, float]]:
    """Pick up to ``k`` indices among finite ``scores`` (``-inf`` = unavailable).

    Returns (index, propensity) pairs; for k > 1 each propensity is conditional on the
    picks before it (sampling without replacement).
    """
    scores = np.array(scores, dtype=np.float64)
    picks: list[tuple[int, float]] = []
    for _ in range(k):
        available = np.isfinite(scores)
        n = int(available.sum())
        if n == 0:
            break
        if settings.kind == "greedy":
            index, propensity = int(np.argmax(scores)), 1.0
        elif settings.kind == "epsilon":
            best = int(np.argmax(scores))
            if rng.random() < settings.epsilon:
                index = int(rng.choice(np.flatnonzero(available)))
            else:
                index = best
            propensity = settings.epsilon / n + (1.0 - settings.epsilon) * (index == best)
        else:  # boltzmann
            z = (scores[available] - scores[available].max()) / settings.temperature
            p = np.exp(z)
            p /= p.sum()
            pos = int(rng.choice(n, p=p))
            index, propensity = int(np.flatnonzero(available)[pos]), float(p[pos])
        picks.append((index, float(propensity)))
        scores[index] = -np.inf
    return picks
