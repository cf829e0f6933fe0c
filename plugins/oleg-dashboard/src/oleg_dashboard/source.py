"""Opening a deployment's store read-only: beside a running ``oleg run``, never migrating or
writing it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from oleg.errors import OlegError
from oleg.urls import mask_url

CORE_TABLES = ("channel", "post", "subscriber", "delivery", "feedback", "model_version")
TDLIB_TABLES = ("listener_account", "channel_assignment", "channel_request")
"""The TDLib plugins' tables (``oleg_tdlib.tables``): shown when the store has them."""


@dataclass(frozen=True)
class ReadOnlyStore:
    engine: sa.Engine
    display_url: str
    """The URL with its password masked: the only form ever shown."""
    has_tdlib: bool

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()


def store_url(target: str) -> str:
    """A store URL as given, or the database of a deployment file."""
    if "://" in target:
        return target
    from oleg.config import load_deployment

    return load_deployment(Path(target)).deployment.database


def open_readonly(target: str) -> ReadOnlyStore:
    """The store of ``target`` (a deployment file or a database URL), opened read-only."""
    url = sa.make_url(store_url(target))
    shown = mask_url(url.render_as_string(hide_password=False))
    if url.get_backend_name() == "sqlite":
        path = url.database
        if not path or path == ":memory:" or not Path(path).exists():
            raise OlegError(f"no store at {path or url}: run the deployment first (oleg run ...).")
        # SQLite's own read-only mode: this connection can never write the file.
        engine = sa.create_engine(
            f"sqlite:///file:{Path(path).resolve()}?mode=ro&uri=true",
            connect_args={"check_same_thread": False},
        )
    elif url.get_backend_name() == "postgresql":
        engine = sa.create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"options": "-c default_transaction_read_only=on"},
        )
    else:
        raise OlegError(f"{shown}: expected a SQLite or PostgreSQL URL.")
    try:
        names = set(sa.inspect(engine).get_table_names())
    except sa.exc.OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise OlegError(f"cannot open the database {shown}: {reason}") from None
    missing = [t for t in CORE_TABLES if t not in names]
    if missing:
        engine.dispose()
        raise OlegError(f"{shown} is not an oleg store (no table {', '.join(missing)}).")
    return ReadOnlyStore(engine, shown, all(t in names for t in TDLIB_TABLES))
