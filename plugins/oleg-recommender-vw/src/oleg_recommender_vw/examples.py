"""Feedback as VW text examples: one line per rating, namespaces as :class:`Namespace` says.

The same lines feed the plugin's own learning and ``oleg export vw``, so VW's command line
trained on an exported file learns exactly what the plugin learns. A line reads::

    1 |u 17 |c -1001234 |p 5521 |k 7781 |m photo |w cats on a boat |t h13 d2 a4 |h ch:0.125

Namespaces with nothing to say (no category, text unknown, no past yet) are left out.
Lines are built column-wise in numpy (:mod:`oleg_recommender_vw.text`), a chunk of ratings
at a time: ids rendered as digits, the context and the past picked from tables of every
text they can take, a post's media and words written once per post.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np
from oleg.types import NO_CATEGORY, Candidates, FloatArray, IntArray, Interactions

from oleg_recommender_vw.content import ContentCache, PostContent
from oleg_recommender_vw.portrait import QUANTUM, Portrait
from oleg_recommender_vw.settings import Namespace, VwSettings
from oleg_recommender_vw.text import Column, constant, numbers, picked, render, table_of

MAX_AGE_BUCKET = 16
"""Post ages are bucketed as floor(log2(1 + hours)), up to this (about 7 years)."""
PAST_CHANNEL = "ch"
PAST_CATEGORY = "cat"
CHUNK_ROWS = 1 << 17
"""Ratings per chunk of lines: the portrait and the text advance a chunk at a time."""


@dataclass(frozen=True)
class Context:
    """The context features of examples: hour of day and day of week (Monday 0) of their
    time, and the age bucket of the post then (-1 where its date is unknown)."""

    hour: IntArray
    day: IntArray
    age: IntArray

    @classmethod
    def at(cls, times: IntArray, post_dates: IntArray) -> Context:
        hours = (times // 3600) % 24
        days = (times // 86400 + 3) % 7  # 1970-01-01 was a Thursday
        age_hours = np.maximum(times - post_dates, 0) / 3600.0
        bucket = np.minimum(np.floor(np.log2(1.0 + age_hours)), MAX_AGE_BUCKET).astype(np.int64)
        bucket[(post_dates <= 0) | (times <= 0)] = -1
        return cls(hours.astype(np.int64), days.astype(np.int64), bucket)

    def column(self) -> Column:
        """Each row's ``|t`` part, from a table of every (hour, day, age) there is."""
        codes = (self.hour * 7 + self.day) * (MAX_AGE_BUCKET + 2) + (self.age + 1)
        return Column(_context_table(), codes)


@cache
def _context_table() -> np.ndarray:
    texts = [
        f" |t h{hour} d{day}" + (f" a{age}" if age >= 0 else "")
        for hour in range(24)
        for day in range(7)
        for age in range(-1, MAX_AGE_BUCKET + 1)
    ]
    return table_of(texts)


def _number(x: float) -> str:
    return repr(float(x))


@cache
def _rate_table(name: str) -> np.ndarray:
    """`` name:rate`` for every rate the past can take (multiples of 1/1024 in [-1/2, 1/2]),
    nothing for 0; row ``q + 512`` is rate ``q / 1024``."""
    half = int(QUANTUM) // 2
    return table_of(
        [f" {name}:{_number(q / QUANTUM)}" if q else "" for q in range(-half, half + 1)]
    )


def past_columns(ch: FloatArray, cat: FloatArray) -> list[Column]:
    """Each row's ``|h`` part (absent where both rates are 0)."""
    half = int(QUANTUM) // 2
    q_ch = np.rint(ch * QUANTUM).astype(np.intp)
    q_cat = np.rint(cat * QUANTUM).astype(np.intp)
    if len(ch) and max(np.abs(q_ch).max(), np.abs(q_cat).max()) > half:
        raise ValueError("a like rate of the past lies outside [-1/2, 1/2]")
    return [
        picked(["", " |h"], (q_ch != 0) | (q_cat != 0)),
        Column(_rate_table(PAST_CHANNEL), q_ch + half),
        Column(_rate_table(PAST_CATEGORY), q_cat + half),
    ]


class ExampleWriter:
    """Builds the text lines of one model's examples; keeps each post's media and words
    part once."""

    def __init__(self, settings: VwSettings, content: ContentCache) -> None:
        self.settings = settings
        self.content = content
        self.chosen = frozenset(settings.namespaces)
        self._content_parts: dict[int, bytes] = {}

    def _content_part(self, post: int, content: PostContent) -> bytes:
        part = self._content_parts.get(post)
        if part is None:
            pieces = []
            if Namespace.MEDIA in self.chosen and content.media:
                pieces.append(f" |m {content.media}")
            if Namespace.WORDS in self.chosen and content.words:
                pieces.append(" |w " + " ".join(content.words))
            part = self._content_parts[post] = "".join(pieces).encode()
        return part

    def _post_columns(self, post: IntArray, channel: IntArray, category: IntArray) -> list[Column]:
        """The post's own parts (``c p k m w``) of each row."""
        s, n = self.chosen, len(post)
        columns = []
        if Namespace.CHANNEL in s:
            columns.append(numbers(" |c ", channel))
        if Namespace.POST in s:
            columns.append(numbers(" |p ", post))
        if Namespace.CATEGORY in s:
            columns.append(numbers(" |k ", category, where=category != NO_CATEGORY))
        if s & {Namespace.MEDIA, Namespace.WORDS} and n:
            distinct, inverse = np.unique(post, return_inverse=True)
            contents = self.content.get(distinct)
            parts = [
                self._content_part(p, c) for p, c in zip(distinct.tolist(), contents, strict=True)
            ]
            columns.append(picked(parts, inverse.reshape(-1)))
        return columns

    def chunks(self, feedback: Interactions, portrait: Portrait) -> Iterator[bytes]:
        """One labelled line per rating, in order, newline-terminated, in chunks of lines.
        The portrait counts each chunk's ratings in as the chunk is made (each line sees
        only the ratings before it), so consume the chunks to the end."""
        for start in range(0, len(feedback), CHUNK_ROWS):
            part = feedback.take(slice(start, start + CHUNK_ROWS))
            yield from render(self._labelled_columns(part, portrait), len(part))

    def _labelled_columns(self, feedback: Interactions, portrait: Portrait) -> list[Column]:
        n, s = len(feedback), self.chosen
        liked = feedback.value > 0.5
        ch, cat = portrait.rates_before(
            feedback.user, feedback.channel, feedback.category, liked.astype(np.float64)
        )
        columns = [self._labels(liked, feedback.weight)]
        if Namespace.USER in s:
            columns.append(numbers(" |u ", feedback.user))
        columns += self._post_columns(feedback.post, feedback.channel, feedback.category)
        if Namespace.CONTEXT in s:  # a post's age needs its date: from the store
            columns.append(Context.at(feedback.time, self.content.dates(feedback.post)).column())
        if Namespace.PAST in s:
            columns += past_columns(ch, cat)
        assert all(c.pick is None or len(c.pick) == n for c in columns)
        return columns

    @staticmethod
    def _labels(liked: np.ndarray, weight: np.ndarray | None) -> Column:
        """``1`` / ``-1``, followed by the row's importance weight where it is not 1 (an
        unanswered post handed as a weak 👎): VW's ``label weight`` form."""
        if weight is None or bool((weight == 1.0).all()):
            return picked(["-1", "1"], liked)
        weights, which = np.unique(weight, return_inverse=True)
        texts = [
            label if w == 1.0 else f"{label} {w:.6g}"
            for label in ("-1", "1")
            for w in weights.tolist()
        ]
        return picked(texts, liked.astype(np.int64) * len(weights) + which.reshape(-1))

    def text(self, feedback: Interactions, portrait: Portrait) -> bytes:
        """All the lines at once (what ``oleg export vw`` writes)."""
        return b"".join(self.chunks(feedback, portrait))

    def lines(self, feedback: Interactions, portrait: Portrait) -> list[str]:
        """One labelled line per rating, in order; the portrait counts them in as it goes."""
        return self.text(feedback, portrait).decode().splitlines()

    def scoring_lines(
        self, user: int | None, candidates: Candidates, now: int, portrait: Portrait
    ) -> list[str]:
        """Unlabelled lines of ``user`` (``None``: no subscriber namespaces) and each
        candidate at time ``now``: what VW's ``predict`` is asked in the reference path."""
        n, s = len(candidates), self.chosen
        if n == 0:
            return []
        columns = []
        if user is not None and Namespace.USER in s:
            columns.append(constant(f" |u {user}", n))
        columns += self._post_columns(candidates.post, candidates.channel, candidates.category)
        if Namespace.CONTEXT in s:
            columns.append(Context.at(np.full(n, now, dtype=np.int64), candidates.time).column())
        if user is not None and Namespace.PAST in s:
            ch, cat = portrait.rates_now(user, candidates.channel, candidates.category)
            columns += past_columns(ch, cat)
        text = b"".join(render(columns, n)).decode()
        return text.split("\n")[:-1]
