"""Shared fixtures: posts, outgoing deliveries and a minimal runtime for the simulated sink.

Tests run with ``--import-mode=importlib``, so helpers reach them as fixtures, not imports.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from oleg.runtime import Runtime
from oleg.types import Delivery, Outgoing, Policy, PolicyKind, Post, Subscriber

sys.path.insert(0, str(Path(__file__).parent))

from _sim_testing import fake_runtime

T0 = datetime(2024, 11, 10, 12, 0, tzinfo=UTC)
CATEGORIES = ["political", "it", "moscow", "weather", "gaming", None, "unheard-of"]


def _make_posts(n: int, *, channels: int = 6, start_id: int = 1) -> list[Post]:
    """Stored posts (with ids) spread over a few channels and categories."""
    return [
        Post(
            channel_id=-1001000000000 - (i % channels),
            message_id=1000 + i,
            date=T0,
            category=CATEGORIES[i % len(CATEGORIES)],
            id=start_id + i,
        )
        for i in range(n)
    ]


def _outgoing(delivery_id: int, subscriber: int, post: Post, sent_at: datetime = T0) -> Outgoing:
    return Outgoing(
        delivery=Delivery(
            subscriber_id=subscriber + 1,
            post_id=post.id or 0,
            sent_at=sent_at,
            policy=Policy(PolicyKind.RECOMMENDER, "test"),
            id=delivery_id,
        ),
        post=post,
        subscriber=Subscriber(id=subscriber + 1, external_id=f"sim-{subscriber}"),
    )


@dataclass
class FakeStore:
    """The two store queries the oracle uses, counting calls so caching can be checked."""

    subscribers_list: list[Subscriber] = field(default_factory=list)
    posts: dict[int, Post] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=lambda: {"subscribers": 0, "posts_by_id": 0})

    def subscribers(self, active_only: bool = True) -> list[Subscriber]:
        assert active_only is False
        self.calls["subscribers"] += 1
        return list(self.subscribers_list)

    def posts_by_id(self, ids: list[int]) -> list[Post]:
        self.calls["posts_by_id"] += 1
        return [self.posts[i] for i in ids if i in self.posts]


@pytest.fixture
def make_posts() -> Callable[..., list[Post]]:
    return _make_posts


@pytest.fixture
def outgoing() -> Callable[..., Outgoing]:
    return _outgoing


@pytest.fixture
def posts() -> list[Post]:
    return _make_posts(40)


@pytest.fixture
def fake_store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def make_runtime() -> Callable[..., Runtime]:
    return fake_runtime
