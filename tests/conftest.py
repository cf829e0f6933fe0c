"""Shared fixtures.

PostgreSQL: the store runs on it in production, so its tests run against a real server,
started once per session in a temporary directory (no mocks, nothing left behind).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
INSTALL_POSTGRES = ROOT / "scripts" / "install-postgres.sh"


def _postgres_bin() -> Path | None:
    """The newest PostgreSQL's bin directory holding ``initdb`` and ``pg_ctl``, if any."""
    found = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
    )
    found = [d for d in found if (d / "pg_ctl").exists()]
    return found[-1] if found else None


def _unavailable(reason: str) -> NoReturn:
    """In CI a missing PostgreSQL is a failure (tests must not silently shrink); locally a skip."""
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests cannot run: {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason} (run scripts/install-postgres.sh)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server for the session; yields the URL of its ``oleg_test``
    database (trust authentication, user ``postgres``)."""
    bindir = _postgres_bin()
    if bindir is None and os.geteuid() == 0 and INSTALL_POSTGRES.exists():
        subprocess.run(["bash", str(INSTALL_POSTGRES)], check=False)
        bindir = _postgres_bin()
    if bindir is None:
        _unavailable("no initdb under /usr/lib/postgresql/*/bin")

    # PostgreSQL refuses to run as root: run it as the `postgres` user, in a directory of its
    # own under /tmp (pytest's tmp dirs are private to root).
    as_postgres: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="oleg-pg-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(tmp)
            _unavailable("running as root and there is no 'postgres' user to run the server")
        os.chown(tmp, user.pw_uid, user.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]

    data, sockets, logfile = tmp / "data", tmp / "sockets", tmp / "server.log"
    port = _free_port()

    def run(*cmd: str | Path) -> None:
        subprocess.run([*as_postgres, *map(str, cmd)], check=True, capture_output=True)

    started = False
    try:
        run("mkdir", sockets)
        run(bindir / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--no-sync", "--locale=C")
        # Durability off for speed; a non-UTC server time zone so that code relying on the
        # session's zone instead of saying UTC fails here rather than in production.
        options = (
            f"-F -c fsync=off -c full_page_writes=off -c synchronous_commit=off "
            f"-c timezone=Asia/Tokyo -c listen_addresses=127.0.0.1 -p {port} -k {sockets}"
        )
        try:
            run(bindir / "pg_ctl", "-D", data, "-l", logfile, "-o", options, "-w", "-t", "60",
                "start")
        except subprocess.CalledProcessError:
            log = logfile.read_text() if logfile.exists() else "(no log)"
            pytest.fail(f"PostgreSQL did not start:\n{log}")
        started = True
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/oleg_test"
        _admin(url, "CREATE DATABASE oleg_test")
        yield url
    finally:
        if started:
            run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(tmp, ignore_errors=True)


def _admin(url: str, *statements: str) -> None:
    """Run statements that cannot run in a transaction (CREATE/DROP DATABASE)."""
    engine = sa.create_engine(
        sa.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
    )
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty database, once per backend: a SQLite file, or a new
    PostgreSQL database (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'oleg.db'}"
        return
    server = request.getfixturevalue("postgres_url")
    name = f"t_{uuid.uuid4().hex[:16]}"
    _admin(server, f"CREATE DATABASE {name}")
    try:
        yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def store_url_factory(request: pytest.FixtureRequest) -> Iterator[Callable[[], str]]:
    """Make fresh PostgreSQL databases on the session's server (all dropped afterwards)."""
    server = request.getfixturevalue("postgres_url")
    made: list[str] = []

    def make() -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        _admin(server, f"CREATE DATABASE {name}")
        made.append(name)
        return sa.make_url(server).set(database=name).render_as_string(hide_password=False)

    yield make
    for name in made:
        _admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
