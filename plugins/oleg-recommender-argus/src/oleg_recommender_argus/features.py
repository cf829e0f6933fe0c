"""What a step is made of, as small integer codes the network embeds (numpy, no torch).

Ids (posts, channels, categories) are hashed, so a post nobody has seen yet is encoded
like any other, and the tables never grow. Times become the hour of the week and an age
bucket (log2 of hours since the post was published; 0 where its date is unknown).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from oleg.types import IntArray, MediaKind

MEDIA_KINDS = {kind.value: code for code, kind in enumerate(MediaKind, start=1)}
"""A post's media kind -> its code (0: unknown)."""
N_MEDIA = len(MEDIA_KINDS) + 1
N_HOURS = 168
N_AGES = 16
MAX_POSITION = 7
"""Positions in a round past this share one code."""
CHANNEL_BUCKETS = 4096
CATEGORY_BUCKETS = 1024

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


class Feedback(IntEnum):
    """What became of a post shown."""

    DISLIKE = 0
    LIKE = 1
    SHOWN = 2
    """Shown, and not (or not yet) answered; or a rating between the like and dislike marks."""


class Asked(IntEnum):
    """How the post was asked for."""

    MAILING = 0
    MORE = 1
    COLD_START = 2


class Col(IntEnum):
    """Columns of a history: one row per step."""

    POST = 0
    CHANNEL = 1
    CATEGORY = 2
    MEDIA = 3
    AGE = 4
    HOUR = 5
    ASKED = 6
    POSITION = 7
    FEEDBACK = 8
    TIME = 9


N_COLS = len(Col)


def mix(x: IntArray, salt: int) -> np.ndarray:
    """splitmix64 of ``x`` with ``salt``: the same bits in every process and run."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64) + np.uint64((0x9E3779B97F4A7C15 * (salt + 1)) & 0xFFFFFFFFFFFFFFFF)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9) & _MASK
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB) & _MASK
        return z ^ (z >> np.uint64(31))


def bucket(x: IntArray, buckets: int, salt: int) -> IntArray:
    return (mix(np.asarray(x, dtype=np.int64), salt) % np.uint64(buckets)).astype(np.int64)


def post_hashes(post: IntArray, buckets: int, n: int) -> IntArray:
    """Shape (len(post), n): each post's rows in the hashed id table."""
    return np.stack([bucket(post, buckets, 100 + k) for k in range(n)], axis=1)


def hour_of_week(epoch: IntArray) -> IntArray:
    """0 = Monday 00:00 UTC (1970-01-01 was a Thursday)."""
    return ((np.asarray(epoch, dtype=np.int64) // 3600 + 72) % N_HOURS).astype(np.int64)


def age_bucket(at: IntArray, published: IntArray) -> IntArray:
    """1 + log2(1 + hours between publication and ``at``), clipped; 0 where unknown."""
    at = np.asarray(at, dtype=np.int64)
    published = np.asarray(published, dtype=np.int64)
    hours = np.maximum(at - published, 0) / 3600.0
    code = 1 + np.floor(np.log2(1.0 + hours)).astype(np.int64)
    return np.where(published > 0, np.minimum(code, N_AGES - 1), 0)


def media_codes(kinds: list[str | None]) -> IntArray:
    return np.fromiter(
        (MEDIA_KINDS.get(k or "", 0) for k in kinds), dtype=np.int64, count=len(kinds)
    )


def feedback_of(value: np.ndarray, like_at: float, dislike_at: float) -> IntArray:
    """A rating on 0..1 as a :class:`Feedback`."""
    value = np.asarray(value, dtype=np.float64)
    out = np.full(len(value), Feedback.SHOWN, dtype=np.int64)
    out[value <= dislike_at] = Feedback.DISLIKE
    out[value >= like_at] = Feedback.LIKE
    return out
