"""A deployment's store (or the SQLite stores ``oleg demo`` writes, ``demo-<name>.db``) as
a :class:`Dataset` of 👍 (1) / 👎 (0) with the post's channel and the rating's time.

The store is opened without migrating it: evaluating must never change a deployment's
database. A plain file path is taken as a SQLite file.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from oleg.errors import DataError

from oleg_evaluation.dataset import Dataset


def store_url(location: str) -> str:
    """A database URL for ``location`` (a URL, or the path of a SQLite file)."""
    if "://" in location:
        return location
    return f"sqlite:///{Path(location).resolve()}"


def load_store(location: str, *, name: str | None = None) -> Dataset:
    """All feedback in the store at ``location``, in the order it was recorded."""
    from oleg.store import Store

    url = store_url(location)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).is_file():
            raise DataError(f"{parsed.database}: no such SQLite store.")
    try:
        store = Store.open(url, migrate=False)
    except Exception as exc:
        raise DataError(f"{location}: cannot open the store: {exc}") from exc
    try:
        data, _ = store.feedback()
        label = store.display_url
    except sa.exc.SQLAlchemyError as exc:
        raise DataError(
            f"{location}: cannot read feedback: {type(exc).__name__}: {str(exc).splitlines()[0]}",
            hint="Is it an oleg store? `oleg run` creates and migrates one.",
        ) from exc
    finally:
        store.close()
    if len(data) == 0:
        raise DataError(f"{location}: the store holds no feedback yet.")
    stem = Path(parsed.database).stem if parsed.database else "store"
    return Dataset(name=name or stem, interactions=data, kind="binary", source=label)
