"""From oleg's feedback to the user×post confidence matrix implicit factorizes.

oleg's ids are the store's ints, neither dense nor ordered. Each one gets a dense index in
order of *first appearance* in the feedback (row order, not id order), and later ids are
appended after the known ones (:class:`oleg.idmap.IdMap`): the same feedback always gives
the same matrix, so a fit through oleg and implicit called directly on :func:`als_matrix`'s
result agree exactly.

Kept free of scipy and implicit at import time: ``oleg plugins`` imports this package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from oleg import Interactions
from oleg.idmap import IdMap, first_positions
from oleg.types import IntArray

from oleg_recommender_als.settings import AlsSettings, Confidence

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

LIKE_THRESHOLD = 0.5
"""A feedback value at or above this is a 👍 (oleg's values are 1.0 and 0.0)."""


def confidences(value: Any, settings: AlsSettings) -> np.ndarray:
    """Signed confidence of each rating: for a 👍 (a value at or above ``LIKE_THRESHOLD``)
    ``+alpha*like_weight``, or with ``confidence`` linear / log ``1 + alpha*value`` /
    ``1 + alpha*log1p(value/epsilon)``; ``-alpha*dislike_weight`` for a 👎 (float64; stored as
    float32 in the matrix)."""
    value = np.asarray(value, dtype=np.float64)
    dislike = settings.alpha * settings.dislike_weight
    if settings.confidence == Confidence.LINEAR:
        like = 1.0 + settings.alpha * value
    elif settings.confidence == Confidence.LOG:
        like = 1.0 + settings.alpha * np.log1p(np.maximum(value, 0.0) / settings.epsilon)
    else:
        like = np.full(value.shape, settings.alpha * settings.like_weight)
    return np.where(value >= LIKE_THRESHOLD, like, -dislike)


def build_csr(rows: Any, cols: Any, data: Any, shape: tuple[int, int]) -> csr_matrix:
    """A canonical CSR matrix (float32, sorted indices) where, for a (row, col) given more
    than once, the *last* occurrence wins (a subscriber's latest rating of a post counts)."""
    from scipy.sparse import csr_matrix

    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    data = np.asarray(data)
    n = len(rows)
    if n:
        # one stable sort of a (row, column) key: the order of a three-key lexsort (ties
        # keep their feedback order), a third of its time
        order = np.argsort(rows * max(1, shape[1]) + cols, kind="stable")
        rows, cols, data = rows[order], cols[order], data[order]
        last = np.ones(n, dtype=bool)
        last[:-1] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        rows, cols, data = rows[last], cols[last], data[last]
    index_dtype = (
        np.int32 if max(shape[0], shape[1], len(rows)) < np.iinfo(np.int32).max else np.int64
    )
    indptr = np.zeros(shape[0] + 1, dtype=index_dtype)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    return csr_matrix(
        (data.astype(np.float32), cols.astype(index_dtype), indptr), shape=shape, dtype=np.float32
    )


def merge_csr(
    old: csr_matrix, rows: Any, cols: Any, data: Any, shape: tuple[int, int]
) -> csr_matrix:
    """``old`` grown to ``shape`` with new entries; a new entry replaces an old one."""
    coo = old.tocoo()
    return build_csr(
        np.concatenate([coo.row.astype(np.int64), np.asarray(rows, dtype=np.int64)]),
        np.concatenate([coo.col.astype(np.int64), np.asarray(cols, dtype=np.int64)]),
        np.concatenate([coo.data.astype(np.float32), np.asarray(data, dtype=np.float32)]),
        shape,
    )


def usable(feedback: Interactions, settings: AlsSettings) -> Interactions:
    """The ratings that enter the matrix: all, less dislikes when ``dislike_weight`` is 0."""
    if settings.dislike_weight > 0:
        return feedback
    return feedback.take(feedback.value >= LIKE_THRESHOLD)


@dataclass(frozen=True)
class AlsMatrix:
    """The confidence matrix of some feedback and what its rows and columns are."""

    matrix: csr_matrix
    """users × posts, float32 CSR with sorted indices: what implicit's ``fit`` receives."""
    user_ids: IntArray
    """Row ``i`` is the subscriber with store id ``user_ids[i]``."""
    post_ids: IntArray
    """Column ``j`` is the post with store id ``post_ids[j]``."""
    post_channel: IntArray
    """The channel of each column's post (as first seen)."""


def als_matrix(feedback: Interactions, settings: AlsSettings | None = None) -> AlsMatrix:
    """The exact matrix ``AlsRecommender.fit(feedback)`` hands to implicit.

    Rows and columns are numbered by first appearance in ``feedback``; entries are
    :func:`confidences` (alpha already applied, so implicit gets ``alpha=1.0``); a
    (user, post) pair rated twice keeps its last rating; with ``dislike_weight == 0``
    dislikes are dropped before numbering.
    """
    return numbered_matrix(feedback, settings).matrix


@dataclass(frozen=True)
class NumberedMatrix:
    """:func:`als_matrix`'s result with the id maps that numbered it, so that a fit builds
    them once (not again from the matrix's id arrays)."""

    matrix: AlsMatrix
    users: IdMap
    posts: IdMap


def numbered_matrix(feedback: Interactions, settings: AlsSettings | None = None) -> NumberedMatrix:
    """What :func:`als_matrix` computes, and the maps of its rows and columns."""
    settings = settings if settings is not None else AlsSettings()
    feedback = usable(feedback, settings)
    users, posts = IdMap(), IdMap()
    rows = users.add(feedback.user)
    cols = posts.add(feedback.post)
    first = first_positions(cols, 0)
    matrix = build_csr(rows, cols, confidences(feedback.value, settings), (len(users), len(posts)))
    return NumberedMatrix(
        AlsMatrix(matrix, users.ids(), posts.ids(), feedback.channel[first]), users, posts
    )
