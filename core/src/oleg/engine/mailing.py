"""Planning a mailing round: which post each subscriber gets next, and why.

:func:`plan_round` is a pure function of the subscribers, the candidates, what each has
already got, the scores and the exploration settings: it stores and sends nothing, so it can
be tested (and reasoned about) on its own. The engine computes the scores, asks for a plan,
then stores and sends it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from oleg.config.sections import ExplorationSettings
from oleg.engine.exploration import choose
from oleg.types import Candidates, FloatArray, Policy, Subscriber


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    """One post chosen for one subscriber: where it is among the candidates, its score,
    the probability that the policy picks it (``1.0`` for cold start's deterministic
    choice), and the policy that chose it."""

    subscriber: Subscriber
    index: int
    post_id: int
    score: float
    propensity: float
    policy: Policy


@dataclass(frozen=True)
class RoundScores:
    """What the policies think of the candidates this round.

    ``cold_ranking``: the cold-start policy's score per candidate (one ranking for every
    subscriber in cold start), ``None`` when nobody is. ``warm_scores``: the recommender's
    scores, one row per subscriber of ``warm``, in that order.
    """

    cold: Sequence[Subscriber]
    cold_ranking: FloatArray | None
    warm: Sequence[Subscriber]
    warm_scores: FloatArray


def plan_round(
    candidates: Candidates,
    scores: RoundScores,
    seen: Mapping[int, set[int]],
    *,
    cold_policy: Policy,
    warm_policy: Policy,
    posts_per_round: int,
    exploration: ExplorationSettings,
    rng: np.random.Generator,
) -> list[PlannedDelivery]:
    """Up to ``posts_per_round`` posts per subscriber, none they have already got.

    Cold start sends the best-ranked unseen posts, deterministically; everyone else gets a
    draw from the recommender's scores by ``exploration``, its propensity logged. ``rng`` is
    used only for the warm subscribers, in their order, so that a seed replays a run.
    """
    planned: list[PlannedDelivery] = []
    if scores.cold and scores.cold_ranking is not None:
        planned += _cold_start(candidates, scores.cold, scores.cold_ranking, seen, cold_policy, posts_per_round)
    if scores.warm:
        position = {int(pid): i for i, pid in enumerate(candidates.post)}
        for row, sub in enumerate(scores.warm):
            masked = np.array(scores.warm_scores[row], dtype=np.float64)
            for pid in seen.get(sub.id, ()):
                i = position.get(pid)
                if i is not None:
                    masked[i] = -np.inf
            for i, propensity in choose(masked, posts_per_round, exploration, rng):
                planned.append(PlannedDelivery(
                    sub, i, int(candidates.post[i]), float(scores.warm_scores[row, i]), propensity, warm_policy
                ))
    return planned


def _cold_start(
    candidates: Candidates,
    subscribers: Sequence[Subscriber],
    ranking: FloatArray,
    seen: Mapping[int, set[int]],
    policy: Policy,
    k: int,
) -> list[PlannedDelivery]:
    ranking = np.asarray(ranking, dtype=np.float64)
    order = np.argsort(-ranking, kind="stable")
    ranked_posts = candidates.post[order].tolist()
    planned = []
    for sub in subscribers:
        got = seen.get(sub.id, set())
        picked = 0
        for rank, post_id in enumerate(ranked_posts):  # the best few are usually unseen
            if post_id in got:
                continue
            i = int(order[rank])
            planned.append(PlannedDelivery(sub, i, int(post_id), float(ranking[i]), 1.0, policy))
            picked += 1
            if picked == k:
                break
    return planned
