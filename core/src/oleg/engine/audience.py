"""The engine's memory of its subscribers: who is active, what each has got, how many posts
each has rated and received. Rebuilt from the store at start, kept current as the jobs run,
so a mailing round asks the database nothing per subscriber."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from oleg.types import Subscriber

if TYPE_CHECKING:
    from oleg.store import Store


class Audience:
    def __init__(self) -> None:
        self.subscribers: dict[int, Subscriber] = {}
        """Active subscribers by id."""
        self.by_external: dict[str, int] = {}
        self.seen: dict[int, set[int]] = {}
        """Subscriber id -> ids of the pool's posts they got (never to be sent again)."""
        self.n_rated: dict[int, int] = {}
        self.n_delivered: dict[int, int] = {}

    def restore(self, store: Store, since: datetime | None, *, rated_up_to: int) -> None:
        """Active subscribers and their counts (ratings up to id ``rated_up_to``: the engine
        follows the later ones); what each got of the posts dated ``since`` or later (older
        posts are out of the pool for good)."""
        for sub in store.subscribers(active_only=True):
            self.remember(sub)
        self.n_rated = dict(store.rating_counts(up_to=rated_up_to))
        self.n_delivered = dict(store.delivery_counts())
        if since is not None:
            for sub_id, posts in store.delivered_posts(since=since).items():
                self.seen[sub_id] = set(posts)

    def remember(self, sub: Subscriber) -> None:
        self.subscribers[sub.id] = sub
        self.by_external[sub.external_id] = sub.id
        self.seen.setdefault(sub.id, set())

    def forget(self, sub_id: int) -> None:
        """A subscriber left (or blocked the bot): no more posts; their history stays."""
        self.subscribers.pop(sub_id, None)

    def active_id(self, external_id: str) -> int | None:
        sub_id = self.by_external.get(external_id)
        return sub_id if sub_id in self.subscribers else None

    def rated(self, sub_id: int) -> None:
        self.n_rated[sub_id] = self.n_rated.get(sub_id, 0) + 1

    def got(self, sub_id: int, post_id: int, *, stored: bool) -> None:
        """``post_id`` was chosen for the subscriber; ``stored``: a new delivery (not one the
        store already had), which counts towards their deliveries."""
        self.seen.setdefault(sub_id, set()).add(post_id)
        if stored:
            self.n_delivered[sub_id] = self.n_delivered.get(sub_id, 0) + 1

    def counts(self, sub_id: int) -> tuple[int, int]:
        """(ratings, deliveries) of a subscriber: what cold-start policies decide on."""
        return self.n_rated.get(sub_id, 0), self.n_delivered.get(sub_id, 0)

    def keep_only(self, pool: Iterable[int]) -> None:
        """Forget posts that left the pool: they never come back, so memory stays bounded
        however long the deployment runs."""
        live = set(pool)
        for sub_id, seen in self.seen.items():
            self.seen[sub_id] = seen & live
