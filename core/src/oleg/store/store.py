"""The store: everything oleg keeps, in SQLite or PostgreSQL, behind one small API.

One engine, a short transaction per call. The hot paths (posts, deliveries, feedback) run
thousands of times in a simulation with batches of hundreds of rows, so they are Core
statements executed once per batch: ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` makes
them idempotent and tells, in the same round trip, which rows are new and their ids.

The methods live in one mixin per subject (:mod:`~oleg.store.posts`,
:mod:`~oleg.store.deliveries`, :mod:`~oleg.store.feedback`, :mod:`~oleg.store.models`);
plugins keep their own tables beside these (:mod:`oleg.store.schema`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.pool import NullPool, StaticPool

from oleg.errors import OlegError
from oleg.store.deliveries import DeliveryMethods
from oleg.store.feedback import FeedbackMethods
from oleg.store.leases import LeaseMethods
from oleg.store.models import ModelMethods
from oleg.store.posts import PostMethods
from oleg.store.schema import Database, StoreSchema
from oleg.urls import mask_url

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(
    url: str | None = None,
    connection: sa.Connection | None = None,
    schema: StoreSchema | None = None,
) -> Config:
    """An Alembic config for the store's migrations, built in code (no ``alembic.ini``).

    Give ``connection`` to migrate on it, or ``url`` to let Alembic connect, e.g. to
    autogenerate a revision: ``command.revision(alembic_config(url), autogenerate=True)``.
    With ``schema``, the config is that plugin schema's: its revisions, its tables, its own
    version table.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")  # folders in version_locations split like PATH
    if schema is not None:
        cfg.set_main_option("version_locations", str(schema.versions))
        cfg.attributes["metadata"] = schema.metadata
        cfg.attributes["version_table"] = schema.version_table
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL lets readers run beside the writer; SQLite leaves foreign keys off unless asked."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_memory_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _driver_leaves_transactions_to_us(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None


@contextlib.contextmanager
def _migration_connection(store: Store) -> Iterator[sa.Connection]:
    """A connection whose transaction holds DDL too.

    Python's sqlite3 begins a transaction only before INSERT/UPDATE/DELETE, so a migration's
    CREATE TABLEs committed one by one: a process killed mid-migration left a store that
    could not be opened again ("table channel already exists"). Migrations on an SQLite file
    run on a connection of their own that begins its transaction itself (``BEGIN
    IMMEDIATE``: the write lock from the start), SQLAlchemy's recipe for pysqlite; the
    store's other transactions keep the driver's behaviour. PostgreSQL's DDL is
    transactional anyway; an in-memory database dies with its process.
    """
    if store.engine.dialect.name != "sqlite" or store.is_in_memory:
        with store.engine.begin() as conn:
            yield conn
        return
    engine = sa.create_engine(store.engine.url, poolclass=NullPool)
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    sa.event.listen(engine, "connect", _driver_leaves_transactions_to_us)
    sa.event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


class Store(PostMethods, DeliveryMethods, FeedbackMethods, ModelMethods, LeaseMethods):
    """oleg's database. Open it with :meth:`open`; every method is its own transaction."""

    def __init__(self, url: str, engine: sa.Engine, schemas: Sequence[StoreSchema] = ()) -> None:
        self.url = url
        self.engine = engine
        self.schemas = tuple(schemas)
        dialect = engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")
        self._insert = sqlite.insert if dialect == "sqlite" else postgresql.insert

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, schemas: Sequence[StoreSchema] = ()) -> Store:
        """Connect to ``url`` and, unless ``migrate=False``, bring the core's tables and
        those of ``schemas`` (the loaded plugins') to their latest revisions (a no-op when
        they are)."""
        u = sa.make_url(url)
        if u.get_backend_name() == "sqlite":
            memory = u.database in (None, "", ":memory:")
            engine = sa.create_engine(
                u,
                # One connection for an in-memory database, or each would get its own.
                poolclass=StaticPool if memory else None,
                connect_args={"check_same_thread": False},
            )
            sa.event.listen(
                engine, "connect", _sqlite_memory_pragmas if memory else _sqlite_pragmas
            )
        else:
            engine = sa.create_engine(u, pool_pre_ping=True)
        store = cls(url, engine, schemas)
        if migrate:
            try:
                store.migrate()
            except sa.exc.OperationalError as exc:
                engine.dispose()
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                raise OlegError(f"cannot open the database {store.display_url}: {reason}") from None
        return store

    def migrate(self) -> None:
        """Run Alembic's ``upgrade head`` for the core's tables, then for each plugin schema,
        each in one transaction (:func:`_migration_connection`)."""
        with _migration_connection(self) as conn:
            command.upgrade(alembic_config(connection=conn), "head")
        for schema in self.schemas:
            self._migrate_schema(schema)

    def add_schemas(self, schemas: Sequence[StoreSchema]) -> None:
        """Take on more plugins' schemas (those of a deployment's plugins, on a store opened
        before they were known), migrating each one not held yet."""
        held = {s.name for s in self.schemas}
        for schema in schemas:
            if schema.name not in held:
                self._migrate_schema(schema)
                self.schemas += (schema,)
                held.add(schema.name)

    def _migrate_schema(self, schema: StoreSchema) -> None:
        with _migration_connection(self) as conn:
            command.upgrade(alembic_config(connection=conn, schema=schema), "head")

    @property
    def is_in_memory(self) -> bool:
        """An in-memory SQLite database: one process, one connection."""
        u = sa.make_url(self.url)
        return u.get_backend_name() == "sqlite" and u.database in (None, "", ":memory:")

    @property
    def database(self) -> Database:
        """The engine and ``INSERT`` for plugins' own tables."""
        return Database(self.engine, self._insert)

    @property
    def display_url(self) -> str:
        """The URL with its password masked, for logs and messages."""
        return mask_url(self.url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.display_url!r})"
