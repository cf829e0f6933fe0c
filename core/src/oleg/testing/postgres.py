"""A throwaway PostgreSQL server for tests and benchmarks: Debian's binaries, started in a
temporary folder (as the ``postgres`` user when run as root), durability off for speed, a
non-UTC server time zone so that code relying on the session's zone fails early.

``tests/conftest.py`` starts one per test session; ``benchmarks/bench_crash.py`` one per run.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa


class PostgresUnavailable(Exception):
    """There is no PostgreSQL here to start (or it would not start); the reason says why."""


def postgres_bin() -> Path | None:
    """The newest PostgreSQL's bin directory holding ``initdb`` and ``pg_ctl``, if any."""
    found = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
    )
    found = [d for d in found if (d / "pg_ctl").exists()]
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def admin(url: str, *statements: str) -> None:
    """Run statements that cannot run in a transaction (CREATE/DROP DATABASE)."""
    engine = sa.create_engine(
        sa.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def new_database(server: str) -> str:
    """A fresh, empty database on ``server``; its URL."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin(server, f"CREATE DATABASE {name}")
    return sa.make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    admin(url, f"DROP DATABASE IF EXISTS {sa.make_url(url).database} WITH (FORCE)")


@contextlib.contextmanager
def postgres_server(install_script: Path | None = None) -> Iterator[str]:
    """Start a server for the block; yields the URL of its ``oleg_test`` database (trust
    authentication, user ``postgres``). ``install_script`` is run first when no PostgreSQL
    is installed and we are root."""
    bindir = postgres_bin()
    if bindir is None and os.geteuid() == 0 and install_script is not None and install_script.exists():
        subprocess.run(["bash", str(install_script)], check=False)
        bindir = postgres_bin()
    if bindir is None:
        raise PostgresUnavailable("no initdb under /usr/lib/postgresql/*/bin")
    # PostgreSQL refuses to run as root: run it as the `postgres` user, in a folder of its own.
    as_postgres: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="oleg-pg-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(tmp)
            raise PostgresUnavailable("running as root and there is no 'postgres' user to run the server") from None
        os.chown(tmp, user.pw_uid, user.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data, sockets, logfile = tmp / "data", tmp / "sockets", tmp / "server.log"
    port = _free_port()

    def run(*cmd: str | Path) -> None:
        subprocess.run([*as_postgres, *map(str, cmd)], check=True, capture_output=True)

    started = False
    try:
        run("mkdir", sockets)
        run(bindir / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--locale=C")
        options = (
            f"-F -c fsync=off -c full_page_writes=off -c synchronous_commit=off "
            f"-c timezone=Asia/Tokyo -c listen_addresses=127.0.0.1 -p {port} -k {sockets}"
        )
        try:
            run(bindir / "pg_ctl", "-D", data, "-l", logfile, "-o", options, "-w", "-t", "60", "start")
        except subprocess.CalledProcessError:
            log = logfile.read_text() if logfile.exists() else "(no log)"
            raise PostgresUnavailable(f"PostgreSQL did not start:\n{log}") from None
        started = True
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/oleg_test"
        admin(url, "CREATE DATABASE oleg_test")
        yield url
    finally:
        if started:
            run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(tmp, ignore_errors=True)
