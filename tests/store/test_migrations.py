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


BROKEN_REVISION = '''
"""Creates a table, then fails (a process killed mid-migration).

Revision ID: b001
Revises:
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "b001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("half_made", sa.Column("id", sa.Integer(), primary_key=True))
    raise RuntimeError("killed")


def downgrade():
    op.drop_table("half_made")
'''


def test_a_failed_migration_leaves_nothing_half_made(store_url: str, tmp_path) -> None:
    """Migrations run in one transaction, DDL included (SQLite too): a process killed
    half-way leaves the store as it was, and the next start migrates it whole."""
    import pytest
    from oleg.store.schema import StoreSchema, plugin_metadata

    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "b001_broken.py").write_text(BROKEN_REVISION)
    broken = StoreSchema("broken", plugin_metadata(), versions)
    with pytest.raises(RuntimeError, match="killed"):
        Store.open(store_url, schemas=[broken])
    with Store.open(store_url, migrate=False) as store:
        tables = set(sa.inspect(store.engine).get_table_names())
    assert "half_made" not in tables and "alembic_version_broken" not in tables
    with Store.open(store_url) as store:  # the core's own revisions are whole
        assert _revision(store) == ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert store.add_posts([Post(-100, 1, T0)])
