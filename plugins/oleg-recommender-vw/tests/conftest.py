"""A small store with posts of several channels (texts, media kinds, categories), a few
subscribers and their 👍/👎, for the export and the store-backed features; and a model
fitted and updated on random ratings (``random_model``), for the scoring paths."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from oleg.store import Store
from oleg.types import Candidates, Delivery, FeedbackEvent, Interactions, Policy, PolicyKind, Post
from oleg_recommender_vw.model import VwLogisticRecommender
from oleg_recommender_vw.settings import VwSettings

T0 = datetime(2024, 11, 10, tzinfo=UTC)
WORDS = ["кот", "news", "war", "football", "2024", "рецепт", "market", "cinema", "rain", "ai"]
KINDS = ["text", "photo", "video", "album"]


def fill_store(store: Store, *, seed: int = 0, n_posts: int = 120, n_users: int = 12) -> None:
    rng = np.random.default_rng(seed)
    posts = [
        Post(
            channel_id=-1_001_000_000_000 - (i % 5) if i % 2 else 1000 + i % 3,
            message_id=i + 1,
            date=T0 + timedelta(minutes=37 * i),
            media_kind=KINDS[i % len(KINDS)],
            text=None if i % 7 == 0 else " ".join(rng.choice(WORDS, size=1 + i % 6)),
            category=None if i % 4 == 0 else f"topic {i % 3}",
        )
        for i in range(n_posts)
    ]
    stored = store.add_posts(posts)
    subscribers = [store.upsert_subscriber(f"user{u}", active=True, at=T0) for u in range(n_users)]
    policy = Policy(PolicyKind.RECOMMENDER, "vw-logistic")
    deliveries = []
    for post in stored:
        for sub in rng.choice(subscribers, size=4, replace=False):
            deliveries.append(Delivery(sub.id, post.id, post.date + timedelta(hours=1), policy))
    deliveries = store.add_deliveries(deliveries)
    events = []
    for d in deliveries:
        post = next(p for p in stored if p.id == d.post_id)
        taste = (d.subscriber_id + (post.channel_id % 5)) % 3 == 0 or post.media_kind == "photo"
        like = rng.random() < (0.8 if taste else 0.25)
        events.append(FeedbackEvent(d.id, int(like), d.sent_at + timedelta(minutes=5 + d.id % 50)))
    store.add_feedback(events)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    fill_store(s)
    yield s
    s.close()


MODEL_WORDS = ["cat", "dog", "news", "42", "война", "mir", "007", "x"]
RandomModel = Callable[[VwSettings, int], tuple[VwLogisticRecommender, Candidates, int]]


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
                text=" ".join(MODEL_WORDS[(p * j) % len(MODEL_WORDS)] for j in range(1, 1 + p % 6))
                or None,
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


@pytest.fixture(name="random_model")
def random_model_fixture() -> RandomModel:
    return random_model
