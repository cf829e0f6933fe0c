"""Serving reads each subscriber's cached keys and values: a new step, a relabelled one, a
window that moves on and a cache too small for everyone give the scores a full pass over
the window gives."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from oleg.types import Candidates, Interactions
from oleg_recommender_argus import ArgusRecommender, ArgusSettings
from oleg_recommender_argus.features import Asked, Col, Feedback, hour_of_week
from oleg_recommender_argus.histories import Histories, Window
from oleg_recommender_argus.serving import window_start
from oleg_recommender_argus.settings import recent_steps
from oleg_recommender_argus.taste import TasteInputs
from oleg_recommender_argus.taste_cache import sums_before

CHAN = -1001000000001


def _ratings(n: int, seed: int, t0: int = 0) -> Interactions:
    rng = np.random.default_rng(seed)
    users = rng.integers(1, 9, n)
    posts = rng.integers(1, 60, n) + 1000 * seed
    return Interactions.from_arrays(
        users, posts, CHAN - posts % 5, rng.random(n) < 0.5, t0 + np.arange(n) * 3600
    )


def _full_pass(model: ArgusRecommender, users: list[int], pool: Candidates) -> np.ndarray:
    """The scores of a transformer run over each window from scratch, no cache."""
    m = model.model
    net, max_len = m.net, m.size.max_history
    windows = []
    for u in users:
        n = len(m.histories.of(u))
        windows.append(Window(u, window_start(n, max_len), n))
    batch, lengths = m.codes.batch(m.histories, windows, torch.device("cpu"))
    ctx = np.zeros((len(users), 3), dtype=np.int64)
    ctx[:, 0] = [hour_of_week(np.array([m.histories.of(u)[-1, 9]]))[0] for u in users]
    ctx[:, 1] = Asked.MAILING
    with torch.no_grad():
        if net.three_tokens:
            heads_in = net.serving_inputs(batch, lengths, torch.from_numpy(ctx))
        else:
            heads_in = torch.cat(
                [net.last_states(batch, lengths), net.context(torch.from_numpy(ctx))], -1
            )
        everything = [Window(u, len(m.histories.of(u)), len(m.histories.of(u))) for u in users]
        sums, counts = sums_before(net, m.codes, m.histories, everything, torch.device("cpu"))
        enc = m.codes.items(
            pool.post, pool.channel, pool.category, m._media_of(pool.post), np.zeros(len(pool))
        )
        recount = Histories()  # the quality features counted afresh, not incrementally
        every = list(m.histories.rows)
        recount.add(
            np.repeat(every, [len(m.histories.of(u)) for u in every]),
            np.concatenate([m.histories.of(u) for u in every]),
        )
        items = torch.cat(
            [
                net.served_items(torch.from_numpy(enc)).T,
                torch.from_numpy(recount.stats.features(pool.post, pool.channel).T.copy()),
            ]
        )
        # the recent taste: every step's sums less those before the newest `recent_steps`
        k = recent_steps(m.s)
        older = [
            Window(u, max(0, w.start - k), w.end) for u, w in zip(users, everything, strict=True)
        ]
        o_sums, o_counts = sums_before(net, m.codes, m.histories, older, torch.device("cpu"))
        taste = TasteInputs(sums, counts, sums - o_sums, counts - o_counts)
        user = net.serving_vectors(heads_in, taste)
        # the personal balances, counted one by one: per post, the subscriber's steps of
        # its category and of its channel
        personal = np.zeros((len(users), len(pool)))
        for i, u in enumerate(users):
            rows = m.histories.of(u)
            for j in range(len(pool)):
                for w, col, key in zip(
                    net.personal.tolist(),
                    (Col.CATEGORY, Col.CHANNEL),
                    (pool.category[j], pool.channel[j]),
                    strict=True,
                ):
                    fb = rows[rows[:, col] == key, Col.FEEDBACK]
                    mood = (fb == Feedback.LIKE).sum() - (fb == Feedback.DISLIKE).sum()
                    personal[i, j] += w * mood / (len(fb) + 2.0)
        logits = user @ items + net.offset + torch.from_numpy(personal).float()
        return torch.sigmoid(logits).double().numpy()


@pytest.mark.parametrize("variant", ["one-token", "three-token"])
@pytest.mark.parametrize("budget", [1024.0, 0.01])
def test_cached_steps_score_as_a_full_pass(variant: str, budget: float) -> None:
    settings = ArgusSettings(
        pretrain_epochs=1,
        finetune_epochs=1,
        max_history=6,
        variant=variant,
        kv_cache_mb=budget,
        partial_steps=0,
        threads=1,
    )
    model = ArgusRecommender(settings, seed=1)
    model.fit(_ratings(40, seed=0))
    pool = Candidates.from_arrays(np.arange(1, 80), CHAN - np.arange(1, 80) % 5)
    users = list(range(1, 9))
    before = model.score_many(users, pool)
    np.testing.assert_allclose(before, _full_pass(model, users, pool), atol=1e-5)
    for round_no in range(1, 5):  # new steps: the windows fill up and move on
        model.partial_fit(_ratings(7, seed=round_no, t0=10**6 * round_no))
        got = model.score_many(users, pool)
        np.testing.assert_allclose(got, _full_pass(model, users, pool), atol=1e-5)
        assert not np.allclose(got, before)
        before = got
    # a rating of a post already in the history relabels that step only
    last = model.model.histories.of(3)[-2]
    model.partial_fit(
        Interactions.from_arrays([3], [last[0]], [last[1]], [1.0 - (last[8] == 1)], [last[9]])
    )
    np.testing.assert_allclose(
        model.score_many(users, pool), _full_pass(model, users, pool), atol=1e-5
    )
    for few in ([1, 2], [5, 6, 7], [2, 8], users):  # a small cache evicts those scored longest ago
        np.testing.assert_allclose(
            model.score_many(few, pool), _full_pass(model, few, pool), atol=1e-5
        )
    model.partial_fit(
        Interactions.from_arrays(
            [20, 21, 21], [5, 6, 7], [CHAN] * 3, [1, 0, 1], [9**7, 9**7, 9**7 + 1]
        )
    )
    kv = model.model.users.kv
    assert kv is not None
    for few in ([20, 21], users):
        np.testing.assert_allclose(
            model.score_many(few, pool), _full_pass(model, few, pool), atol=1e-5
        )
        if (
            budget < 1
        ):  # room for < 8: the 8 read at once grow it to 8; 2 newcomers evict 2, and back
            assert (
                kv.max_slots < 8
                and len(kv.kv) == 8
                and set(few) <= set(kv.slots)
                and len(kv.slots) == 8
            )
    assert budget < 1 or len(kv.slots) == 10


def test_a_window_moves_half_a_window_at_a_time() -> None:
    assert [window_start(n, 6) for n in (0, 5, 6, 8, 9, 11, 12)] == [0, 0, 3, 3, 6, 6, 9]
    assert all(6 - 3 <= n - window_start(n, 6) <= 6 - 1 for n in range(6, 40))
