"""The vectorised pool scorer equals VW's own ``predict`` on the same examples."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from oleg.types import Candidates, Interactions, Post
from oleg_recommender_vw.hashing import WeightTable
from oleg_recommender_vw.model import VwLogisticRecommender
from oleg_recommender_vw.settings import VwSettings

WORDS = ["cat", "dog", "news", "42", "война", "mir", "007", "x"]
EVERY_PAIR = ["uc", "uk", "um", "uw", "ct", "hc", "kw", "tm", "hp", "uh"]


def random_model(settings: VwSettings, seed: int) -> tuple[VwLogisticRecommender, Candidates, int]:
    """A model fitted and updated on random ratings of random posts (negative channel ids,
    huge category codes, words, media), and candidates mixing seen and unseen posts."""
    rng = np.random.default_rng(seed)
    n = 4000
    users = rng.integers(1, 60, n)
    posts = rng.integers(1, 500, n)
    channels = np.where(posts % 3 == 0, -1_001_000_000_000 - posts % 13, posts % 9)
    categories = np.where(posts % 4 == 0, 0, 10**15 + posts % 7)
    liked = rng.random(n) < 0.3 + 0.4 * ((users + channels) % 2)
    times = 1_730_000_000 + np.sort(rng.integers(0, 86_400 * 15, n))
    ratings = Interactions.from_arrays(
        users, posts, channels, liked.astype(float), times, categories
    )
    model = VwLogisticRecommender(settings, seed=seed)
    model.add_posts(
        [
            Post(
                channel_id=int(channels[i]),
                message_id=int(p),
                date=datetime.fromtimestamp(int(times[i]) - 4000 * (p % 9), UTC),
                media_kind=["photo", "text", "video"][p % 3],
                text=" ".join(WORDS[(p * j) % len(WORDS)] for j in range(1, 1 + p % 6)) or None,
                id=int(p),
            )
            for i, p in enumerate(posts.tolist())
        ]
    )
    model.fit(ratings.take(slice(0, 3000)))
    model.partial_fit(ratings.take(slice(3000, None)))
    pool = np.r_[np.unique(posts)[:300], np.arange(9000, 9100)]  # 100 posts never seen
    cands = Candidates.from_arrays(
        pool,
        np.where(pool % 3 == 0, -1_001_000_000_000 - pool % 13, pool % 9),
        times[-1] - rng.integers(0, 86_400 * 3, len(pool)),
        np.where(pool % 4 == 0, 0, 10**15 + pool % 7),
    )
    return model, cands, int(times[-1]) + 600


@pytest.mark.parametrize(
    "settings",
    [
        VwSettings(),
        VwSettings(interactions=EVERY_PAIR, passes=2, l2=1e-6),
        VwSettings(interactions=EVERY_PAIR, bits=12, l1=1e-7),  # collisions galore
        VwSettings(namespaces=["c", "w", "t"], interactions=["cw", "ct", "tw"], passes=1),
    ],
    ids=["defaults", "every-namespace-pair", "12-bits", "no-user"],
)
def test_fast_scores_equal_vw_predict(settings: VwSettings) -> None:
    model, cands, now = random_model(settings, seed=1)
    for user in (None, 3, 17, 59, 10_000):
        fast = 1.0 / (1.0 + np.exp(-model.margins(user, cands, now=now)))
        reference = model.vw_predict(user, cands, now=now)
        assert np.abs(fast - reference).max() < 1e-6, f"user {user}"
        assert reference.std() > 1e-3  # the model learned something to compare


def test_cached_pool_follows_updates_and_a_sparse_table(monkeypatch: pytest.MonkeyPatch) -> None:
    model, cands, now = random_model(VwSettings(interactions=EVERY_PAIR), seed=2)
    before = model.margins(5, cands, now=now)
    model.partial_fit(
        Interactions.from_arrays(
            [5] * 50,
            cands.post[:50],
            cands.channel[:50],
            [1.0] * 50,
            [now] * 50,
            cands.category[:50],
        )
    )
    after = model.margins(5, cands, now=now)
    assert np.abs(after - before).max() > 1e-3
    assert np.abs(1 / (1 + np.exp(-after)) - model.vw_predict(5, cands, now=now)).max() < 1e-6
    monkeypatch.setattr(WeightTable, "DENSE_BITS", 10)  # the table of bits > 24
    model._weights = None
    sparse = model.margins(5, cands, now=now)
    np.testing.assert_allclose(sparse, after, atol=1e-12)


def test_saved_model_scores_the_same(tmp_path) -> None:
    model, cands, now = random_model(VwSettings(interactions=["uc", "uw", "hc"]), seed=3)
    model.save(tmp_path / "m.npz")
    loaded = VwLogisticRecommender.load(tmp_path / "m.npz")
    # content is the store's, not the file's: hand the loaded model the same posts
    loaded.content = model.content
    loaded.scorer.content = model.content
    loaded.writer.content = model.content
    for user in (None, 7):
        np.testing.assert_allclose(
            loaded.margins(user, cands, now=now), model.margins(user, cands, now=now), atol=1e-9
        )
    assert np.abs(loaded.score(7, cands) - loaded.vw_predict(7, cands)).max() < 1e-6


def test_the_past_follows_feedback() -> None:
    model = VwLogisticRecommender(VwSettings(namespaces=["u", "c", "h"], interactions=[]))
    ratings = Interactions.from_arrays(
        [1, 1, 1, 2], [10, 11, 12, 13], [7, 7, 8, 7], [1.0, 1.0, 0.0, 0.0], [1, 2, 3, 4]
    )
    lines = model.writer.lines(ratings, model.portrait)
    # the first rating on a channel has no past; later ones see only the ratings before them
    assert "|h" not in lines[0] and "ch:0.1669921875" in lines[1] and "|h" not in lines[2]
    ch, _ = model.portrait.rates_now(1, np.array([7, 8, 9]), np.array([0, 0, 0]))
    assert ch.tolist() == [0.25, -0.1669921875, 0.0]  # (2+1)/(2+2)-.5; (0+1)/(1+2)-.5 rounded
