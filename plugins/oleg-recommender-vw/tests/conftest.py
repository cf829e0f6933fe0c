"""A small store with posts of several channels (texts, media kinds, categories), a few
subscribers and their 👍/👎, for the export and the store-backed features."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from oleg.store import Store
from oleg.types import Delivery, FeedbackEvent, Policy, PolicyKind, Post

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
