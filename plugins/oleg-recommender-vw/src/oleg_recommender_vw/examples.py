"""Feedback as VW text examples: one line per rating, namespaces as :class:`Namespace` says.

The same lines feed the plugin's own learning and ``oleg export vw``, so VW's command line
trained on an exported file learns exactly what the plugin learns. A line reads::

    1 |u 17 |c -1001234 |p 5521 |k 7781 |m photo |w cats on a boat |t h13 d2 a4 |h ch:0.125

Namespaces with nothing to say (no category, text unknown, no past yet) are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from oleg.types import NO_CATEGORY, Candidates, IntArray, Interactions

from oleg_recommender_vw.content import ContentCache, PostContent
from oleg_recommender_vw.portrait import Portrait
from oleg_recommender_vw.settings import Namespace, VwSettings

MAX_AGE_BUCKET = 16
"""Post ages are bucketed as floor(log2(1 + hours)), up to this (about 7 years)."""
PAST_CHANNEL = "ch"
PAST_CATEGORY = "cat"


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

    def parts(self) -> list[str]:
        """Each row's ``|t`` part, from a table of every (hour, day, age) there is."""
        table = _context_table()
        codes = (self.hour * 7 + self.day) * (MAX_AGE_BUCKET + 2) + (self.age + 1)
        return [table[c] for c in codes.tolist()]


_CONTEXT_TABLE: list[str] = []


def _context_table() -> list[str]:
    if not _CONTEXT_TABLE:
        for hour in range(24):
            for day in range(7):
                for age in range(-1, MAX_AGE_BUCKET + 1):
                    _CONTEXT_TABLE.append(f" |t h{hour} d{day}" + (f" a{age}" if age >= 0 else ""))
    return _CONTEXT_TABLE


def _number(x: float) -> str:
    return repr(float(x))


class ExampleWriter:
    """Builds the text lines of one model's examples; keeps each post's part once."""

    def __init__(self, settings: VwSettings, content: ContentCache) -> None:
        self.settings = settings
        self.content = content
        self.chosen = frozenset(settings.namespaces)
        self._post_parts: dict[int, str] = {}
        self._past_parts: dict[tuple[float, float], str] = {}

    def post_part(self, post: int, channel: int, category: int, content: PostContent) -> str:
        part = self._post_parts.get(post)
        if part is None:
            s = self.chosen
            pieces = []
            if Namespace.CHANNEL in s:
                pieces.append(f" |c {channel}")
            if Namespace.POST in s:
                pieces.append(f" |p {post}")
            if Namespace.CATEGORY in s and category != NO_CATEGORY:
                pieces.append(f" |k {category}")
            if Namespace.MEDIA in s and content.media:
                pieces.append(f" |m {content.media}")
            if Namespace.WORDS in s and content.words:
                pieces.append(" |w " + " ".join(content.words))
            part = self._post_parts[post] = "".join(pieces)
        return part

    def lines(self, feedback: Interactions, portrait: Portrait) -> list[str]:
        """One labelled line per rating, in order; the portrait counts them in as it goes
        (each line sees only the ratings before it)."""
        n = len(feedback)
        ch, cat = portrait.rates_before(
            feedback.user,
            feedback.channel,
            feedback.category,
            (feedback.value > 0.5).astype(np.float64),
        )
        if n == 0:
            return []
        contents = self.content.get(feedback.post)
        dates = np.fromiter((c.date for c in contents), dtype=np.int64, count=n)
        context = Context.at(feedback.time, dates)
        s = self.chosen
        labels = ["1" if v > 0.5 else "-1" for v in feedback.value.tolist()]
        posts = [
            self.post_part(p, c, k, content)
            for p, c, k, content in zip(
                feedback.post.tolist(),
                feedback.channel.tolist(),
                feedback.category.tolist(),
                contents,
                strict=True,
            )
        ]
        users = [f" |u {u}" for u in feedback.user.tolist()] if Namespace.USER in s else [""] * n
        contexts = context.parts() if Namespace.CONTEXT in s else [""] * n
        pasts = past_parts(ch, cat, self._past_parts) if Namespace.PAST in s else [""] * n
        return [
            f"{label}{user}{post}{ctx}{past}"
            for label, user, post, ctx, past in zip(
                labels, users, posts, contexts, pasts, strict=True
            )
        ]

    def scoring_lines(
        self, user: int | None, candidates: Candidates, now: int, portrait: Portrait
    ) -> list[str]:
        """Unlabelled lines of ``user`` (``None``: no subscriber namespaces) and each
        candidate at time ``now``: what VW's ``predict`` is asked in the reference path."""
        n = len(candidates)
        if n == 0:
            return []
        contents = self.content.get(candidates.post)
        context = Context.at(np.full(n, now, dtype=np.int64), candidates.time)
        s = self.chosen
        user_part = f" |u {user}" if user is not None and Namespace.USER in s else ""
        if user is not None and Namespace.PAST in s:
            rates = portrait.rates_now(user, candidates.channel, candidates.category)
            pasts = past_parts(*rates, self._past_parts)
        else:
            pasts = [""] * n
        contexts = context.parts() if Namespace.CONTEXT in s else [""] * n
        return [
            f"{user_part}{self.post_part(p, c, k, content)}{ctx}{past}"
            for p, c, k, content, ctx, past in zip(
                candidates.post.tolist(),
                candidates.channel.tolist(),
                candidates.category.tolist(),
                contents,
                contexts,
                pasts,
                strict=True,
            )
        ]


def past_parts(
    ch: np.ndarray, cat: np.ndarray, memo: dict[tuple[float, float], str]
) -> Sequence[str]:
    """Each row's ``|h`` part; rates are multiples of 1/1024, so ``memo`` keeps few pairs."""
    out = []
    get = memo.get
    for pair in zip(ch.tolist(), cat.tolist(), strict=True):
        part = get(pair)
        if part is None:
            a, b = pair
            pieces = []
            if a:
                pieces.append(f"{PAST_CHANNEL}:{_number(a)}")
            if b:
                pieces.append(f"{PAST_CATEGORY}:{_number(b)}")
            part = memo[pair] = " |h " + " ".join(pieces) if pieces else ""
        out.append(part)
    return out
