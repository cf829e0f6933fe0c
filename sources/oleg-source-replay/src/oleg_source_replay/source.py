"""The ``replay`` source: a posts file played back in date order on the engine's clock.

It lets a deployment run on real history with a virtual clock (demo, tests, benchmarks):
each poll hands over exactly the posts whose date has come, as a live source would.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime
from typing import ClassVar

from oleg.components import PluginSettings, Source
from oleg.fields import RelativePath, Timestamp
from oleg.types import Post, utc

from oleg_source_replay.reader import read_posts


class ReplaySettings(PluginSettings):
    """Which file to replay and which of its posts."""

    path: RelativePath
    """JSONL, JSONL.gz or CSV with a header; ``builtin:telegram-news-ru`` is the bundled file."""
    start: Timestamp | None = None
    """Keep posts dated at or after this (naive means UTC)."""
    end: Timestamp | None = None
    """Keep posts dated before this (naive means UTC)."""
    channels: list[int] | None = None
    """Keep only these channel ids."""
    snippet_chars: int = 0
    """Keep this many characters of each text; 0 keeps none (oleg stores metadata only)."""


class ReplaySource(Source):
    """Returns, at each poll, the file's posts dated up to ``now`` not returned before.

    The file is read once, lazily (so that listing or checking a deployment stays cheap),
    filtered and sorted by date; a pointer then walks the sorted list.
    """

    name: ClassVar[str] = "replay"
    Settings: ClassVar[type[PluginSettings]] = ReplaySettings
    settings: ReplaySettings

    def __init__(self, settings: PluginSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        self._posts: list[Post] | None = None
        self._dates: list[datetime] = []
        self._next = 0

    @property
    def posts(self) -> list[Post]:
        """All posts this source will emit, sorted by date (loads the file on first use)."""
        if self._posts is None:
            self._posts = self._load()
            self._dates = [p.date for p in self._posts]
        return self._posts

    def _load(self) -> list[Post]:
        s = self.settings
        posts = read_posts(s.path, snippet_chars=max(0, s.snippet_chars))
        start = utc(s.start) if s.start is not None else None
        end = utc(s.end) if s.end is not None else None
        channels = set(s.channels) if s.channels is not None else None
        kept = [
            p
            for p in posts
            if (start is None or p.date >= start)
            and (end is None or p.date < end)
            and (channels is None or p.channel_id in channels)
        ]
        kept.sort(key=lambda p: (p.date, p.channel_id, p.message_id))
        return kept

    def check(self) -> None:
        """Read the whole file: a missing or malformed one fails ``oleg check``."""
        _ = self.posts

    def first_date(self) -> datetime | None:
        posts = self.posts
        return posts[0].date if posts else None

    def poll(self, now: datetime) -> list[Post]:
        posts = self.posts
        stop = bisect_right(self._dates, utc(now), lo=self._next)
        batch = posts[self._next : stop]
        self._next = max(self._next, stop)
        return batch

    @property
    def remaining(self) -> int:
        """How many posts are still to come."""
        return len(self.posts) - self._next
