"""Logs fit for a service: one line per record in a pipe (text or JSON), a line per mailing
and training round, other libraries quiet, and no secret anywhere, tracebacks included."""

from __future__ import annotations

import json
import logging
import re

import pytest
import sqlalchemy as sa
from oleg.logs import OneLineFormatter, SecretFilter, setup_logging

from .test_run_errors_and_secrets import DEPLOY, GOOD_ROW, oleg

LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: "
)


def _write(tmp_path, database='"sqlite:///t.db"'):
    (tmp_path / "posts.jsonl").write_text("".join(GOOD_ROW % (i, i) for i in range(1, 4)))
    text = DEPLOY.format(subscribers='["me", "you"]').replace('"sqlite:///t.db"', database)
    (tmp_path / "deploy.toml").write_text(text)


def test_secrets_are_masked_in_exception_messages_and_tracebacks():
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    logger = logging.getLogger("oleg.test.tracebacks")
    handler = Keep()
    handler.setFormatter(OneLineFormatter())
    handler.addFilter(SecretFilter({"s3cret-value"}))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            token = "s3cret-value"
            raise RuntimeError(f"login with {token} refused")
        except RuntimeError:
            logger.exception("sending failed")
    finally:
        logger.removeHandler(handler)
    (line,) = records
    assert "s3cret-value" not in line
    assert "RuntimeError: login with *** refused" in line
    assert "Traceback" in line and "\n" not in line  # the traceback kept, on one line


def test_third_party_loggers_stay_at_warning_unless_debug():
    try:
        setup_logging(logging.INFO, "text")
        assert logging.getLogger("alembic").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("apscheduler").getEffectiveLevel() == logging.WARNING
        setup_logging(logging.DEBUG, "text")
        assert logging.getLogger("alembic").getEffectiveLevel() == logging.DEBUG
    finally:
        setup_logging(logging.WARNING, "auto")


def test_a_run_in_a_pipe_writes_one_line_per_record_and_a_line_per_round(tmp_path):
    _write(tmp_path)
    result = oleg("run", "deploy.toml", cwd=tmp_path)  # no -v: a service still logs its rounds
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(LINE.match(line) for line in lines), result.stderr
    assert sum(" round at " in line for line in lines) == 2
    assert any(" INFO oleg.engine.engine: t starts at " in line for line in lines)
    assert not any("alembic" in line or "apscheduler" in line for line in lines)


def test_json_log_format_is_one_object_per_line(tmp_path):
    _write(tmp_path)
    result = oleg("--log-format", "json", "-v", "run", "deploy.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert any(r["message"].startswith("round at ") and r["level"] == "INFO" for r in records)


@pytest.mark.postgres
def test_a_debug_run_in_a_pipe_shows_no_password(tmp_path, postgres_url):
    # Trust authentication ignores the password, so the run works and still has a secret.
    secret = "pw-" + "k9z2m"
    url = sa.make_url(postgres_url).set(password=secret).render_as_string(hide_password=False)
    _write(tmp_path, database='{ env = "OLEG_TEST_DATABASE" }')
    result = oleg("-vv", "run", "deploy.toml", cwd=tmp_path, env={"OLEG_TEST_DATABASE": url})
    assert result.returncode == 0, result.stderr[-3000:]
    assert secret not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) > 5 and all(LINE.match(line) for line in lines)
    assert any(" INFO alembic." in line for line in lines)  # -vv lets other libraries speak
