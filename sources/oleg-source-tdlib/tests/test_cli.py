"""``oleg login`` and ``oleg channels`` on a deployment file, through the real ``oleg`` CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from _tdlib_testing import API_HASH, API_ID, BOT, PHONES, TdlibTestStore
from click.testing import CliRunner
from oleg.cli.main import cli


def write_deployment(tmp_path: Path, source: str | None = None) -> Path:
    accounts = ", ".join(f'"{p}"' for p in PHONES)
    source = source or f"""
[source]
plugin = "tdlib"
api_id = {API_ID}
api_hash = {{ env = "T_API_HASH" }}
database_encryption_key = {{ env = "T_DB_KEY" }}
accounts = [{accounts}]
bot_username = "{BOT}"
request_timeout = "3s"
"""
    path = tmp_path / "feed.toml"
    path.write_text(
        f"""
[deployment]
name = "test-feed"
database = "sqlite:///feed.db"
{source}
[sink]
plugin = "console"

[recommender]
plugin = "popular"
"""
    )
    return path


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("T_API_HASH", API_HASH)
    monkeypatch.setenv("T_DB_KEY", "s3cret-key")
    return write_deployment(tmp_path)


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_login_walks_code_retry_and_password(tg, deployment: Path) -> None:
    tg.add_user("+15550102", code="24680", password="hunter2")  # a third, with 2FA
    text = deployment.read_text().replace(f'"{PHONES[1]}"]', f'"{PHONES[1]}", "+15550102"]')
    deployment.write_text(text)

    first = run("login", "-d", str(deployment), "--account", PHONES[0], input="00000\n12345\n")
    assert first.exit_code == 0, first.output
    assert "Wrong code" in first.output and "logged in" in first.output

    second = run("login", "-d", str(deployment), "--account", "+15550102", input="24680\nwrong\nhunter2\n")
    assert second.exit_code == 0, second.output
    assert "Wrong password" in second.output and "hunter2" not in second.output

    again = run("login", "-d", str(deployment), "--account", PHONES[0])
    assert again.exit_code == 0 and "already logged in" in again.output
    assert (deployment.parent / ".oleg" / "tdlib" / "15550100").is_dir()  # under data_dir


def test_login_takes_the_deployment_from_the_environment(tg, deployment: Path, monkeypatch) -> None:
    monkeypatch.setenv("OLEG_DEPLOYMENT", str(deployment))
    result = run("login", input="12345\n12345\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("logged in") == 2


def test_login_of_an_unknown_account_is_an_error(tg, deployment: Path) -> None:
    result = run("login", "-d", str(deployment), "--account", "+19999999")
    assert result.exit_code == 2 and "not one of the deployment's accounts" in result.output


def test_commands_refuse_a_deployment_with_another_source(tmp_path, monkeypatch) -> None:
    path = write_deployment(tmp_path, '[source]\nplugin = "replay"\npath = "builtin:telegram-news-ru"\n')
    for args in (["login", "-d", str(path)], ["channels", "-d", str(path)]):
        result = run(*args)
        assert result.exit_code == 2 and "tdlib" in result.output


def test_channels_add_and_list(tg, deployment: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # a wide table: no wrapped cells
    listing = tmp_path / "more.txt"
    listing.write_text("# extra\nthird_news\n")
    added = run("channels", "add", "-d", str(deployment), "@first_news", "https://t.me/second_news",
                "--file", str(listing))
    assert added.exit_code == 0, added.output
    assert "Queued 3" in added.output

    with TdlibTestStore.open(f"sqlite:///{tmp_path / 'feed.db'}") as store:
        assert [r["username"] for r in store.channel_requests()] == ["first_news", "second_news", "third_news"]
        store.update_channel_request("second_news", status="failed", at=store.channel_requests()[0]["requested_at"],
                                     error="400 USERNAME_NOT_OCCUPIED", attempt=True)

    shown = run("channels", "-d", str(deployment))
    assert shown.exit_code == 0, shown.output
    for text in ("@first_news", "@second_news", "@third_news", "queued", "failed", "USERNAME_NOT_OCCUPIED"):
        assert text in shown.output

    again = run("channels", "-d", str(deployment), "add", "first_news")
    assert again.exit_code == 0 and "Queued 0" in again.output


def test_channels_add_rejects_a_bad_name(tg, deployment: Path) -> None:
    result = run("channels", "add", "-d", str(deployment), "good_name", "no")
    assert result.exit_code == 2
    assert "'no' is not a channel username" in result.output
    with TdlibTestStore.open(f"sqlite:///{deployment.parent / 'feed.db'}") as store:
        assert store.channel_requests() == []
