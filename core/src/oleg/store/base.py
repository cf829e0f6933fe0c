"""What every part of the store shares: the engine, the dialect's ``INSERT``, and small
helpers for batched, idempotent statements."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

T = TypeVar("T")

_CHUNK = 500
"""Rows per ``IN (...)`` list: well under SQLite's and PostgreSQL's bound-parameter limits."""


class StoreBase:
    """The attributes the store's method groups (mixins of :class:`oleg.store.Store`) use."""

    engine: sa.Engine
    _insert: Callable[..., Any]


def first_by(items: Sequence[T], key: Callable[[T], Hashable]) -> list[T]:
    """``items`` without repeated keys, the first of each kept, in input order."""
    first: dict[Hashable, T] = {}
    for item in items:
        first.setdefault(key(item), item)
    return list(first.values())


def check_value(what: str, value: str, allowed: frozenset[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {sorted(allowed)}, got {value!r}")


def chunks(seq: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]
