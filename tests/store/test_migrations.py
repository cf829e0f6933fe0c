"""The Alembic migrations against the SQLModel tables, and reopening a database."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from oleg.store import Store, alembic_config, metadata
from oleg.types import Post

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _revision(store: Store) -> str | None:
    with store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_migrated_schema_matches_the_tables(store_url: str) -> None:
    with Store.open(store_url) as store, store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, metadata) == []
        tables = set(sa.inspect(conn).get_table_names())
    assert tables == set(metadata.tables) | {"alembic_version"}


def test_open_migrates_to_head(store_url: str) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with Store.open(store_url, migrate=False) as store:
        assert _revision(store) is None
        assert "post" not in sa.inspect(store.engine).get_table_names()
    with Store.open(store_url) as store:
        assert head is not None and _revision(store) == head


def test_reopening_keeps_data_and_migrating_again_is_a_noop(store_url: str) -> None:
    with Store.open(store_url) as store:
        (p,) = store.add_posts([Post(-100, 1, T0)])
        store.set_state("cursor", 7)
        revision = _revision(store)
    with Store.open(store_url) as store:
        store.migrate()
        assert _revision(store) == revision
        assert store.post_count() == 1
        assert store.recent_posts(T0, 5)[0].id == p.id
        assert store.get_state("cursor") == 7
        assert store.add_posts([Post(-100, 1, T0)]) == []


def test_display_url_masks_the_password(store_url: str) -> None:
    with Store.open(store_url, migrate=False) as store:
        assert store.url == store_url
        assert store.display_url == sa.make_url(store_url).render_as_string(hide_password=True)
    url = sa.make_url(store_url).set(password="s3cret").render_as_string(hide_password=False)
    masked = Store(url, sa.create_engine(url)).display_url
    assert "s3cret" not in masked
    assert ("***" in masked) == url.startswith("postgresql")


def test_in_memory_sqlite_keeps_one_database() -> None:
    """Backend-specific: ``sqlite://`` must share one connection, or each call would see
    its own empty database (so this one does not run on PostgreSQL)."""
    with Store.open("sqlite://") as store:
        store.add_posts([Post(-100, 1, T0)])
        store.set_state("k", "v")
        assert store.post_count() == 1
        assert store.get_state("k") == "v"
        assert store.recent_posts(T0, 1)[0].date.tzinfo is not None
