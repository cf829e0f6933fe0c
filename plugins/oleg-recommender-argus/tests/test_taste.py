"""The served score is personal from the first fit: the subscriber's own taste (their liked
and disliked posts' mean item vectors) ranks new posts; and small training steps run on
one thread."""

from __future__ import annotations

import numpy as np
import pytest
from oleg.types import Candidates, Interactions
from oleg_recommender_argus import ArgusRecommender, ArgusSettings
from oleg_recommender_argus.threads import PARALLEL_WORK, threads_for

A, B = -1001000000001, -1001000000002


def _opposite_tastes(n: int = 40) -> Interactions:
    """Subscriber 1 likes channel A's posts and dislikes B's; subscriber 2 the reverse."""
    posts = np.arange(1, n + 1)
    channel = np.where(posts % 2, A, B)
    users = np.concatenate([np.full(n, 1), np.full(n, 2)])
    likes_a = channel == A
    value = np.concatenate([likes_a, ~likes_a]).astype(float)
    t = np.arange(2 * n) * 3600
    return Interactions.from_arrays(
        users, np.concatenate([posts, posts]), np.concatenate([channel, channel]), value, t
    )


@pytest.mark.parametrize("variant", ["one-token", "three-token"])
def test_opposite_histories_rank_the_same_new_posts_oppositely(variant: str) -> None:
    model = ArgusRecommender(
        ArgusSettings(pretrain_epochs=2, finetune_epochs=2, variant=variant, threads=1), seed=0
    )
    model.fit(_opposite_tastes())
    new = Candidates.from_arrays(np.array([1001, 1002]), np.array([A, B]))  # never seen
    s = model.score_many([1, 2], new)
    assert s[0, 0] > s[0, 1] and s[1, 1] > s[1, 0]


def test_small_steps_run_on_one_thread() -> None:
    assert threads_for(None, 64 * 50 * 32) == 1 and threads_for(8, PARALLEL_WORK - 1) == 1
    assert threads_for(3, PARALLEL_WORK) == 3 and threads_for(None, 64 * 100 * 64) >= 1
    model = ArgusRecommender(ArgusSettings(pretrain_epochs=1, finetune_epochs=0), seed=0)
    model.fit(_opposite_tastes())
    assert model.fit_info["threads"] == 1


@pytest.mark.parametrize(("lag", "steps"), [(1, 3), (2, 4), (1, 0)])
def test_recent_sums_are_the_newest_steps_known_at_each_step(lag: int, steps: int) -> None:
    import torch
    from oleg_recommender_argus.taste import KINDS, recent_before

    gen = torch.Generator().manual_seed(0)
    unit = torch.randn(2, 9, 4, generator=gen)
    feedback = torch.randint(KINDS, (2, 9), generator=gen)
    valid = torch.ones(2, 9, dtype=torch.bool)
    valid[1, 7:] = False
    sums, counts = recent_before(unit, feedback, valid, lag, steps)
    for b in range(2):
        for t in range(9):
            want = torch.zeros(KINDS, 4)
            n = torch.zeros(KINDS)
            for s in range(max(0, t - lag - steps + 1), t - lag + 1):
                if valid[b, s]:
                    want[feedback[b, s]] += unit[b, s]
                    n[feedback[b, s]] += 1
            assert torch.allclose(sums[b, t], want, atol=1e-5) and torch.equal(counts[b, t], n)
