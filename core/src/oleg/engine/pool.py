"""The fresh pool: recent posts held in memory as arrays, so that a mailing round scores
them without touching the database for each subscriber.

Posts arrive in (roughly) date order from the source; the pool appends them, drops those
older than the window, caps its size, and rebuilds its candidate arrays only when changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np

from oleg.types import Candidates, Post, category_codes, to_epoch


class FreshPool:
    def __init__(self, window: timedelta, max_size: int) -> None:
        self.window = window
        self.max_size = max_size
        self._posts: dict[int, Post] = {}  # post id -> post
        self._cache: tuple[Candidates, list[Post]] | None = None
        self._built_at = 0
        self._next_visible: int | None = None

    def __len__(self) -> int:
        return len(self._posts)

    def add(self, posts: Iterable[Post]) -> None:
        for post in posts:
            if post.id is None:
                raise ValueError("only stored posts (with ids) enter the pool")
            self._posts[post.id] = post
            self._cache = None

    def remove(self, keys: Iterable[tuple[int, int]]) -> None:
        """Drop posts by (channel_id, message_id): deleted in their channel."""
        wanted = set(keys)
        if not wanted:
            return
        for post_id in [pid for pid, p in self._posts.items() if p.key in wanted]:
            del self._posts[post_id]
            self._cache = None

    def candidates(self, now: datetime) -> tuple[Candidates, list[Post]]:
        """Posts dated within the window before ``now`` (never in the future), newest last."""
        horizon = to_epoch(now - self.window)
        now_epoch = to_epoch(now)
        if self._cache is not None:
            cands = self._cache[0]
            nothing_left = len(cands) == 0 or cands.time[0] >= horizon
            nothing_arrived = self._next_visible is None or now_epoch < self._next_visible
            if nothing_left and nothing_arrived and self._built_at <= now_epoch:
                return self._cache
        ordered = sorted(self._posts.values(), key=lambda p: (p.date, p.id))
        times = np.fromiter((to_epoch(p.date) for p in ordered), dtype=np.int64, count=len(ordered))
        # Posts that left the window leave the pool for good; the newest max_size stay.
        keep_from = int(np.searchsorted(times, horizon, side="left"))
        keep_from = max(keep_from, len(ordered) - self.max_size)
        for post in ordered[:keep_from]:
            del self._posts[post.id]  # type: ignore[arg-type]
        ordered, times = ordered[keep_from:], times[keep_from:]
        visible = int(np.searchsorted(times, now_epoch, side="right"))
        posts = ordered[:visible]
        cands = Candidates(
            post=np.fromiter((p.id for p in posts), dtype=np.int64, count=len(posts)),
            channel=np.fromiter((p.channel_id for p in posts), dtype=np.int64, count=len(posts)),
            time=times[:visible].copy(),
            category=category_codes(p.category for p in posts),
        )
        self._cache = (cands, posts)
        self._built_at = now_epoch
        # A post dated after now (a source may run ahead of a virtual clock) shows up later.
        self._next_visible = int(times[visible]) if visible < len(times) else None
        return self._cache
