"""Early stopping: pretraining judges each pass on held-out last steps, keeps the best
pass's weights and stops after ``patience`` passes without a better one; a data set of
positives only is served by the next-post logit."""

from __future__ import annotations

import numpy as np
import pytest
from oleg.types import Candidates, Interactions
from oleg_recommender_argus import ArgusRecommender, ArgusSettings
from oleg_recommender_argus.holdout import HELD_STEPS, JUDGED_AT, ndcg_of_ranks

ITEMS, USERS = 60, 128
CHANNEL = -1001000000001
PATIENCE = 5


def _chains() -> Interactions:
    """Everyone watches the posts of one cycle in order (k then k + 1), from a start of
    their own, for 6 to 16 steps: the next post follows from the last one."""
    rng = np.random.default_rng(0)
    users, posts, times = [], [], []
    for u in range(USERS):
        first = int(rng.integers(ITEMS))
        for t in range(int(rng.integers(6, 17))):
            users.append(u)
            posts.append(1 + (first + t) % ITEMS)
            times.append(1_700_000_000 + u * 10_000 + t * 60)
    n = len(users)
    return Interactions.from_arrays(users, posts, [CHANNEL] * n, np.ones(n), times)


def _fit(**settings: object) -> ArgusRecommender:
    model = ArgusRecommender(
        ArgusSettings(
            threads=1,
            batch_size=8,
            lr=0.01,
            finetune_epochs=0,
            holdout_users=32,
            **settings,  # type: ignore[arg-type]
        )
    )
    model.fit(_chains())
    return model


@pytest.fixture(scope="module")
def chained() -> ArgusRecommender:
    # the chain is found after a few passes on a plateau: a patience of 3 could end there
    return _fit(sequence_epochs=20, patience=PATIENCE)


def test_the_best_pass_is_kept_and_pretraining_stops_after_patience(
    chained: ArgusRecommender,
) -> None:
    info, stopping = chained.fit_info, chained.model.stopping
    assert stopping is not None and info["held_out_steps"] == 32 * HELD_STEPS
    scores = [h["holdout_ndcg@50"] for h in chained.history]
    assert len(scores) == info["passes"] <= 20
    best = int(np.argmax(scores)) + 1
    assert info["best_pretrain_pass"] == best
    # stopped `patience` passes after the best, or ran them all
    assert info["passes"] == 20 or info["passes"] == best + PATIENCE
    # the weights are the best pass's: ranking the held-out steps again gives its score
    again = ndcg_of_ranks(stopping.ranking.ranks(chained.model.net), JUDGED_AT)
    assert again == max(scores) > 0.8  # the chain is learnt, and early stopping kept it


def test_positives_only_are_served_by_the_next_post(chained: ArgusRecommender) -> None:
    pool = Candidates.from_arrays(np.arange(1, ITEMS + 1), np.full(ITEMS, CHANNEL))
    scores = chained.score_many(list(range(USERS)), pool)
    data = _chains()
    last = {int(u): int(p) for u, p in zip(data.user, data.post, strict=True)}
    nexts = np.array([last[u] % ITEMS for u in range(USERS)])  # the pool index of last + 1
    assert (scores.argmax(1) == nexts).mean() > 0.8
    assert (scores < 0.5).all()  # the offset put the largest possible logit at 0


def test_patience_zero_runs_every_pass_without_holding_out() -> None:
    model = _fit(sequence_epochs=3, patience=0)
    assert model.model.stopping is None and model.fit_info["passes"] == 3
    assert "held_out_steps" not in model.fit_info


def test_an_incremental_round_on_positives_keeps_serving_the_next_post(
    chained: ArgusRecommender,
) -> None:
    import copy

    model = copy.deepcopy(chained)
    data = _chains()
    model.partial_fit(data.take(np.flatnonzero(data.user == 0)[-3:]))
    net = model.model.net
    assert float(net.mix.detach()) == 1.0 and not net.personal.detach().any()
    assert not net.quality.detach().any() and not net.taste.weight.detach().any()
