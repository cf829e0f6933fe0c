"""Errors while running are user errors when the user can fix them; secrets never reach
a log; plugins can add commands."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from oleg.logs import SecretFilter
from oleg.testing.distributions import write_distribution

DEPLOY = """
[deployment]
name = "t"
database = "sqlite:///t.db"

[source]
plugin = "replay"
path = "posts.jsonl"

[sink]
plugin = "console"
subscribers = {subscribers}

[recommender]
plugin = "popular"

[cold_start]
plugin = "none"

[scheduler]
plugin = "virtual"
start = "2024-11-10T00:00:00Z"
run_for = "3h"
mailing_every = "1h"
"""

GOOD_ROW = '{"channel_id": -1001, "message_id": %d, "date": "2024-11-10T0%d:00:00Z"}\n'


def oleg(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oleg.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def test_malformed_posts_file_stops_the_run_with_file_and_line(tmp_path):
    (tmp_path / "posts.jsonl").write_text(GOOD_ROW % (1, 0) + '{"channel_id": -1001, "message_id": 2, "date": "yesterday"}\n')
    (tmp_path / "deploy.toml").write_text(DEPLOY.format(subscribers='["me"]'))
    result = oleg("run", "deploy.toml", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "posts.jsonl line 2" in result.stderr and "date" in result.stderr


def test_console_deployment_prints_what_it_would_send(tmp_path):
    (tmp_path / "posts.jsonl").write_text("".join(GOOD_ROW % (i, i) for i in range(1, 4)))
    (tmp_path / "deploy.toml").write_text(DEPLOY.format(subscribers='["me", "you"]'))
    result = oleg("run", "deploy.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # posts at 1h, 2h, 3h; rounds at 0h (nothing yet), 1h and 2h (3h is the end): each
    # subscriber gets the one new post of each round, ingested before the round runs
    assert result.stdout.count("t.me/c/1/") == 4
    assert "delivered 4" in result.stdout and "rounds 2" in result.stdout


def test_secret_filter_masks_values_in_messages_and_args():
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    logger = logging.getLogger("oleg.test.secrets")
    handler = Keep()
    handler.addFilter(SecretFilter({"123456:ABC-token"}))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("calling https://api/bot%s/getMe", "123456:ABC-token")
        logger.warning("token=123456:ABC-token in message")
    finally:
        logger.removeHandler(handler)
    assert records == ["calling https://api/bot***/getMe", "token=*** in message"]


def test_secrets_from_the_environment_never_reach_the_log(tmp_path):
    (tmp_path / "posts.jsonl").write_text("".join(GOOD_ROW % (i, i) for i in range(1, 4)))
    secret = "postgres-password-" + "x7q"
    text = DEPLOY.format(subscribers='["me"]').replace(
        'database = "sqlite:///t.db"', 'database = { env = "OLEG_TEST_DATABASE" }'
    )
    (tmp_path / "deploy.toml").write_text(text)
    url = f"postgresql+psycopg://oleg:{secret}@127.0.0.1:1/none"
    result = oleg("-vv", "run", "deploy.toml", cwd=tmp_path, env={"OLEG_TEST_DATABASE": url})
    # the database is unreachable: a user error that names it, without the password
    assert result.returncode == 2, result.stderr
    assert "cannot open the database postgresql+psycopg://oleg:***@127.0.0.1:1/none" in result.stderr
    assert secret not in result.stdout + result.stderr


def test_a_plugin_can_add_a_command(tmp_path):
    source = """
import click
import oleg

@oleg.hookimpl
def oleg_register_commands(cli):
    @cli.command()
    @click.argument("name")
    def hello(name):
        "Say hello."
        click.echo(f"hello {name}")
"""
    site = write_distribution(
        tmp_path / "site", "oleg-hello", entry_points={"hello": "oleg_hello"}, module=("oleg_hello", source)
    )
    env = {"PYTHONPATH": str(site)}
    assert oleg("hello", "world", cwd=tmp_path, env=env).stdout == "hello world\n"
    assert "hello" in oleg("--help", cwd=tmp_path, env=env).stdout
    unknown = oleg("helo", cwd=tmp_path, env=env)
    assert unknown.returncode == 2 and "No such command" in unknown.stderr


def test_check_reads_the_posts_file(tmp_path):
    (tmp_path / "posts.jsonl").write_text(GOOD_ROW % (1, 0) + "not json\n")
    (tmp_path / "deploy.toml").write_text(DEPLOY.format(subscribers='["me"]'))
    result = oleg("check", "deploy.toml", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "deploy.toml: [source]" in result.stderr and "posts.jsonl line 2" in result.stderr


def test_models_without_a_store_is_a_user_error(tmp_path):
    (tmp_path / "posts.jsonl").write_text(GOOD_ROW % (1, 0))
    (tmp_path / "deploy.toml").write_text(DEPLOY.format(subscribers='["me"]'))
    for command in ("models", "train"):
        result = oleg(command, "deploy.toml", cwd=tmp_path)
        assert result.returncode == 2 and "no store at" in result.stderr and "oleg run" in result.stderr
    assert not (tmp_path / "t.db").exists()


def test_no_error_path_shows_a_secret(tmp_path):
    """Each way a run can fail before or while running, with secret values set: the output
    (errors, logs at -vv) never holds them."""
    import sqlalchemy as sa

    (tmp_path / "posts.jsonl").write_text("".join(GOOD_ROW % (i, i) for i in range(1, 4)))
    secret = "s3cr3t-" + "pw9"
    base = DEPLOY.format(subscribers='["me"]')
    cases = {
        # a malformed URL from the environment: shown as where it came from
        "bad url": (base.replace('database = "sqlite:///t.db"', 'database = { env = "OLEG_T_DB" }'),
                    {"OLEG_T_DB": f"nonsense {secret}"}),
        # a driver that is not installed: the URL is shown without its password
        "no driver": (base.replace('database = "sqlite:///t.db"', f'database = "postgresql+pg8000://u:{secret}@h/d"'), {}),
        # a value that is not valid, next to secrets that are set
        "bad value": (base.replace('run_for = "3h"', 'run_for = "forever"').replace(
            'database = "sqlite:///t.db"', 'database = { env = "OLEG_T_DB" }'), {"OLEG_T_DB": "sqlite:///t.db"}),
    }
    for name, (text, env) in cases.items():
        (tmp_path / "deploy.toml").write_text(text)
        for command in (["-vv", "check", "deploy.toml"], ["-vv", "run", "deploy.toml"]):
            result = oleg(*command, cwd=tmp_path, env=env)
            assert result.returncode == 2, (name, command, result.stderr)
            assert secret not in result.stdout + result.stderr, (name, command)
            assert "Traceback" not in result.stderr, (name, command)
    # the store in use by another engine, on a URL with a password: named without it
    db = tmp_path / "t.db"
    from datetime import UTC, datetime, timedelta

    from oleg.store import Store
    from oleg.store.leases import Lease

    with Store.open(f"sqlite:///{db}") as store:
        now = datetime.now(UTC)
        store.acquire_lease(Lease("engine", "other:1:x", "other", 1, now, now), ttl=timedelta(minutes=5))
    (tmp_path / "deploy.toml").write_text(base)
    result = oleg("-vv", "run", "deploy.toml", cwd=tmp_path)
    assert result.returncode == 2 and "in use by another engine" in result.stderr
    assert sa.make_url(f"sqlite:///{db}").render_as_string() in result.stderr
