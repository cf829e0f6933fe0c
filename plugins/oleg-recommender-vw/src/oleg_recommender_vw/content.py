"""What the store knows of a post beyond the recommender's columns: its media kind, the
words of its text and its date, fetched once per post and kept.

:class:`oleg.types.Interactions` and :class:`~oleg.types.Candidates` carry ids, channel,
category and time only, so the ``m`` and ``w`` namespaces (and a post's age in training
examples) come from here: from the runtime's store reader once the engine has started the
recommender, from the store itself in ``oleg export vw``. Without either (a model fitted
on bare arrays, the evaluation harness) those features are simply absent, in training and
in scoring alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from oleg.types import IntArray, Post, to_epoch

WORD = re.compile(r"\w+")

PostsById = Callable[[Sequence[int]], list[Post]]


@dataclass(frozen=True, slots=True)
class PostContent:
    media: str | None = None
    words: tuple[str, ...] = ()
    date: int = 0
    """Unix seconds; 0 where unknown."""


UNKNOWN = PostContent()


def words_of(text: str | None, limit: int) -> tuple[str, ...]:
    """The distinct lower-cased words of ``text`` in order of appearance, at most ``limit``:
    tokens of letters and digits only, so they need no escaping in VW's text format."""
    if not text or limit == 0:
        return ()
    seen: dict[str, None] = {}
    for token in WORD.findall(text.lower()):
        seen.setdefault(token, None)
        if len(seen) >= limit:
            break
    return tuple(seen)


class ContentCache:
    """Post id -> :class:`PostContent`, filled from a ``posts_by_id`` reader on first need."""

    def __init__(self, max_words: int) -> None:
        self.max_words = max_words
        self._posts: dict[int, PostContent] = {}
        self._reader: PostsById | None = None
        self._index: tuple[IntArray, IntArray] | None = None
        """The known ids, sorted, and their dates: for :meth:`dates` (rebuilt on change)."""

    def attach(self, reader: PostsById | None) -> None:
        self._reader = reader

    def add_posts(self, posts: Iterable[Post]) -> None:
        for post in posts:
            if post.id is not None:
                self._posts[post.id] = PostContent(
                    media=str(post.media_kind) if post.media_kind else None,
                    words=words_of(post.text, self.max_words),
                    date=to_epoch(post.date),
                )
        self._index = None

    def _fetch(self, post_ids: IntArray) -> None:
        """Ask the reader (once) for the ids not seen yet."""
        if self._reader is None:
            return
        missing = [i for i in np.unique(post_ids).tolist() if i not in self._posts]
        if missing:
            self.add_posts(self._reader(missing))
            for i in missing:
                self._posts.setdefault(i, UNKNOWN)

    def get(self, post_ids: np.ndarray) -> list[PostContent]:
        """Content per id, in order; ids the reader does not know (or with no reader) are
        :data:`UNKNOWN`, and remembered as such: a post is looked up once."""
        self._fetch(post_ids)
        posts = self._posts
        return [posts.get(i, UNKNOWN) for i in post_ids.tolist()]

    def dates(self, post_ids: IntArray) -> IntArray:
        """Each post's date (0 where unknown), looked up in numpy."""
        self._fetch(post_ids)
        if not self._posts:
            return np.zeros(len(post_ids), dtype=np.int64)
        if self._index is None:
            ids = np.fromiter(self._posts, dtype=np.int64, count=len(self._posts))
            dates = np.fromiter(
                (c.date for c in self._posts.values()), dtype=np.int64, count=len(ids)
            )
            order = np.argsort(ids)
            self._index = ids[order], dates[order]
        ids, dates = self._index
        at = np.minimum(np.searchsorted(ids, post_ids), len(ids) - 1)
        return np.where(ids[at] == post_ids, dates[at], 0)
