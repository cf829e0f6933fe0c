"""Shared fixtures.

PostgreSQL: the store runs on it in production, so its tests run against a real server,
started once per session in a temporary directory (no mocks, nothing left behind).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from oleg.testing.postgres import PostgresUnavailable, drop_database, new_database, postgres_server

ROOT = Path(__file__).resolve().parents[1]
INSTALL_POSTGRES = ROOT / "scripts" / "install-postgres.sh"


def _unavailable(reason: str) -> NoReturn:
    """In CI a missing PostgreSQL is a failure (tests must not silently shrink); locally a skip."""
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests cannot run: {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason} (run scripts/install-postgres.sh)")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server for the session (:mod:`oleg.testing.postgres`); yields
    the URL of its ``oleg_test`` database."""
    try:
        server = postgres_server(INSTALL_POSTGRES)
        url = server.__enter__()
    except PostgresUnavailable as exc:
        _unavailable(str(exc))
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty database, once per backend: a SQLite file, or a new
    PostgreSQL database (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'oleg.db'}"
        return
    url = new_database(request.getfixturevalue("postgres_url"))
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def store_url_factory(request: pytest.FixtureRequest) -> Iterator[Callable[[], str]]:
    """Make fresh PostgreSQL databases on the session's server (all dropped afterwards)."""
    server = request.getfixturevalue("postgres_url")
    made: list[str] = []

    def make() -> str:
        made.append(new_database(server))
        return made[-1]

    yield make
    for url in made:
        drop_database(url)

