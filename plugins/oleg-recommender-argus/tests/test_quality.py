"""The served score's quality term: how the other subscribers answered a post ranks it for
a newcomer, who has no taste yet; a post nobody answered starts at its channel's figure."""

from __future__ import annotations

import numpy as np
from oleg.types import Candidates, Interactions
from oleg_recommender_argus import ArgusRecommender, ArgusSettings
from oleg_recommender_argus.features import Feedback
from oleg_recommender_argus.histories import Histories, rows_from_interactions

GOOD, BAD = -1001000000001, -1001000000002


def _everyone_agrees() -> Interactions:
    """Eight subscribers: post 1 liked by all, post 2 (same channel) disliked by all, and
    channel GOOD's posts 10.. liked, channel BAD's 20.. disliked."""
    steps = [
        (u, post, channel, value)
        for u in range(1, 9)
        for post, channel, value in [
            (1, GOOD, 1.0),
            (2, GOOD, 0.0),
            (10 + u, GOOD, 1.0),
            (20 + u, BAD, 0.0),
        ]
    ]
    users, posts, channels, values = (list(c) for c in zip(*steps, strict=True))
    t = np.arange(len(users)) * 3600
    return Interactions.from_arrays(users, posts, channels, values, t)


def test_a_post_everyone_liked_ranks_above_one_everyone_disliked_for_a_newcomer() -> None:
    model = ArgusRecommender(ArgusSettings(pretrain_epochs=2, finetune_epochs=2, threads=1))
    model.fit(_everyone_agrees())
    pool = Candidates.from_arrays(np.array([1, 2, 1001, 1002]), np.array([GOOD, GOOD, GOOD, BAD]))
    s = model.score_many([None, 99], pool)
    assert (s[:, 0] > s[:, 1]).all()  # same channel, only the others' answers differ
    assert (s[:, 2] > s[:, 3]).all()  # nobody answered either: their channels' figures


def test_without_the_quality_term_the_newcomer_cannot_tell_them_apart() -> None:
    settings = ArgusSettings(
        pretrain_epochs=0, finetune_epochs=0, quality_weight=0, cold_quality_weight=0
    )
    model = ArgusRecommender(settings)
    model.fit(_everyone_agrees())
    s = model.score_many([None], Candidates.from_arrays(np.array([1, 2]), np.array([GOOD] * 2)))
    with_it = ArgusRecommender(ArgusSettings(pretrain_epochs=0, finetune_epochs=0))
    with_it.fit(_everyone_agrees())
    t = with_it.score_many([None], Candidates.from_arrays(np.array([1, 2]), np.array([GOOD] * 2)))
    assert t[0, 0] - t[0, 1] > abs(s[0, 0] - s[0, 1]) + 0.1


def test_counts_follow_relabels_and_leave_the_own_answer_out() -> None:
    h = Histories()
    data = _everyone_agrees()
    h.add(data.user, rows_from_interactions(data, 0.75, 0.25))
    liked = h.stats.posts.counts[h.stats.posts.index[1]]
    assert liked[Feedback.LIKE] == 8 and liked.sum() == 8
    h.relabel(np.array([1]), np.array([1]), np.array([Feedback.DISLIKE]))
    liked = h.stats.posts.counts[h.stats.posts.index[1]]
    assert liked[Feedback.LIKE] == 7 and liked[Feedback.DISLIKE] == 1
    post = np.array([1, 1])
    own = np.array([Feedback.DISLIKE, Feedback.LIKE])
    f = h.stats.features(post, np.array([GOOD, GOOD]), own)[:, 0]
    assert f[0] > f[1] > 0  # the dissenter sees 7 of 7 others liking it, a liker 6 of 7
