"""The world's calibration, measured on the bundled Telegram posts (2024-11-10 .. 2024-11-24).

A pool is the posts of a 2-day window (500-1000 posts), as a mailing would see them. For
each pool and 200 subscribers we measure the mean true P(like) of:

- random: any post of the pool;
- popular: the 10 posts with the highest average P(like), shown to everyone;
- best: each subscriber's own 10 best posts (and their single best one).

The claims: random is about a quarter; popular is clearly between random and best; a
subscriber's best post is liked well over half the time; and the most popular post is still
disliked (P < 0.5) by a sizeable share of subscribers, so a personal feed has room to win.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from oleg_sink_simulated.world import PostKeys, World

replay = pytest.importorskip("oleg_source_replay.source", reason="needs oleg-source-replay")

START = datetime(2024, 11, 10, tzinfo=UTC)
END = datetime(2024, 11, 24, tzinfo=UTC)
SUBSCRIBERS = 200
TOP = 10


@pytest.fixture(scope="module")
def pools() -> list[PostKeys]:
    source = replay.ReplaySource(
        replay.ReplaySettings(path="builtin:telegram-news-ru", start=START, end=END)
    )
    posts = source.posts
    out = []
    t = START
    while t < END:
        pool = [p for p in posts if t <= p.date < t + timedelta(days=2)]
        out.append(PostKeys.from_posts(pool))
        t += timedelta(days=2)
    return out


def measure(seed: int, pools: list[PostKeys]) -> dict[str, float]:
    """Mean like rates of random, popular and per-subscriber best feeds over the pools."""
    world = World(seed, SUBSCRIBERS)
    rows = []
    for pool in pools:
        p = world.like_probability(np.arange(SUBSCRIBERS), pool)
        popular = np.argsort(-p.mean(axis=0))
        best = -np.sort(-p, axis=1)
        rows.append(
            [
                p.mean(),
                p[:, popular[:TOP]].mean(),
                best[:, :TOP].mean(),
                best[:, 0].mean(),
                (p[:, popular[0]] < 0.5).mean(),
            ]
        )
    names = ["random", "popular", "best", "best_1", "dislike_top"]
    return dict(zip(names, np.mean(rows, axis=0).tolist(), strict=True))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_calibration_on_the_bundled_posts(seed: int, pools: list[PostKeys]) -> None:
    assert len(pools) == 7 and all(300 <= len(pool) <= 1200 for pool in pools)
    m = measure(seed, pools)
    assert 0.2 <= m["random"] <= 0.3, m
    assert m["best_1"] > 0.75, m  # well above 0.6
    assert m["best"] > 0.7, m
    # popular sits clearly between random and the per-subscriber best
    assert m["random"] + 0.1 < m["popular"] < m["best"] - 0.15, m
    # heterogeneity: the most popular post is disliked by a sizeable share
    assert m["dislike_top"] > 0.25, m


def test_every_pool_has_a_good_post_for_most_subscribers(pools: list[PostKeys]) -> None:
    world = World(0, SUBSCRIBERS)
    for pool in pools:
        best = world.like_probability(np.arange(SUBSCRIBERS), pool).max(axis=1)
        assert (best > 0.6).mean() > 0.9
