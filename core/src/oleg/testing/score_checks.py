"""Checks on what a recommender returned, failing with a message that names the call.

The contract's checks go through these so that a failure reads "score(None, unseen posts)
returned NaN at positions [0]" rather than only numpy's diff of two arrays: a plugin
author sees which case broke before reading any array.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from oleg.types import FloatArray

_SHOWN = 10
"""How many positions a message lists before it only counts the rest."""


def positions(mask: np.ndarray) -> str:
    """``[3, 7]``, or ``[0, 1, ..., 9, ...] (40 in all)`` for many: where ``mask`` holds."""
    where = [
        int(i) if mask.ndim == 1 else tuple(int(j) for j in i)
        for i in (np.flatnonzero(mask) if mask.ndim == 1 else np.argwhere(mask))
    ]
    if len(where) <= _SHOWN:
        return str(where)
    return f"{str(where[:_SHOWN])[:-1]}, ...] ({len(where)} in all)"


@contextmanager
def calling(call: str) -> Iterator[None]:
    """Turn an exception raised inside into a failure saying which call raised it."""
    try:
        yield
    except AssertionError:
        raise
    except Exception as exc:
        raise AssertionError(f"{call} raised {type(exc).__name__}: {exc}") from exc


def checked_scores(scores: object, shape: tuple[int, ...], call: str) -> FloatArray:
    """``scores`` as a float array, asserting its shape and that every value is finite."""
    try:
        array = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AssertionError(
            f"{call} returned {type(scores).__name__}, not an array of numbers ({exc})"
        ) from None
    if array.shape != shape:
        if len(shape) == 1 and array.ndim == 1:
            raise AssertionError(
                f"{call} returned {array.shape[0]} scores for {shape[0]} candidates"
            )
        raise AssertionError(
            f"{call} returned an array of shape {array.shape}, expected {shape}"
            + (" (one row per user, one column per candidate)" if len(shape) == 2 else "")
        )
    problems = [
        f"{label} at positions {positions(mask)}"
        for label, mask in (("NaN", np.isnan(array)), ("inf", np.isinf(array)))
        if mask.any()
    ]
    if problems:
        raise AssertionError(f"{call} returned " + " and ".join(problems))
    return array


def assert_same_scores(
    actual: FloatArray, expected: FloatArray, what: str, *, rtol: float = 0.0, atol: float = 0.0
) -> None:
    """Fail with ``what``, the largest difference and where the scores differ."""
    close = np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return
    # NaN against a number counts as infinitely far
    difference = np.nan_to_num(np.abs(actual - expected), nan=np.inf)
    worst = int(np.argmax(np.where(close, -np.inf, difference)))
    raise AssertionError(
        f"{what}: max difference {difference[worst]:.3g} at position {worst} "
        f"({float(actual[worst]):.6g} against {float(expected[worst]):.6g}); "
        f"they differ at positions {positions(~close)}"
    )
