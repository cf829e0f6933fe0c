"""Tables that plugins own, and the database handle their code writes through.

A plugin that keeps state of its own (the TDLib listener's accounts and join queue, the bot's
copies of posts) declares its tables on a SQLAlchemy ``MetaData`` of its own and ships Alembic
revisions for them, then registers both as a :class:`StoreSchema`
(``registry.add_schema(SCHEMA)`` in ``oleg_register_components``). :meth:`Store.open` migrates
the core's tables first, then each registered schema.

Each schema has its own Alembic version table (``alembic_version_<name>``), so it is an
independent line of revisions: a store opened without the plugin installed (a read-only
report, another deployment) neither needs nor touches its revisions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from oleg.store.tables import NAMING_CONVENTION


def plugin_metadata() -> sa.MetaData:
    """A ``MetaData`` with the core's naming convention, for a plugin's tables."""
    return sa.MetaData(naming_convention=NAMING_CONVENTION)


@dataclass(frozen=True)
class StoreSchema:
    """A plugin's tables and the folder of the Alembic revisions that create them."""

    name: str
    """Short and unique (``tdlib``): names the version table ``alembic_version_<name>``."""
    metadata: sa.MetaData
    versions: Path
    """Folder holding the revision files (``down_revision = None`` for the first)."""

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.name.replace('-', '_')}"


@dataclass(frozen=True)
class Database:
    """The store's SQLAlchemy engine and its dialect's ``INSERT`` (with ``ON CONFLICT``), for
    code that writes a plugin's own tables."""

    engine: sa.Engine
    insert: Callable[..., Any]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name
