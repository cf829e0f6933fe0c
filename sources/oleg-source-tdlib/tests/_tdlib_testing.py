"""Helpers of the tdlib source tests: settings, a small runtime, logging in, polling."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from oleg.runtime import Runtime, SharedValues
from oleg.store import Store
from oleg.testing.runtime import static_runtime
from oleg_source_tdlib.accounts import td_settings
from oleg_source_tdlib.source import TdlibSource
from oleg_tdlib.fake import FakeTelegram
from oleg_tdlib.shared import BOT_USERNAME
from oleg_tdlib.testing import TdlibTestStore
from oleg_tdlib.transport import TdClient

T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
API_ID = 12345
API_HASH = "0123456789abcdef0123456789abcdef"
PHONES = ["+15550100", "+15550101"]
BOT = "oleg_feed_bot"


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram(api_id=API_ID, api_hash=API_HASH) as world:
        world.users = {phone: world.add_user(phone) for phone in PHONES}  # type: ignore[attr-defined]
        world.bot_id = world.add_bot("1:token", BOT)  # type: ignore[attr-defined]
        yield world


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TdlibTestStore]:
    with TdlibTestStore.open("sqlite:///" + str(tmp_path / "s.db")) as s:
        yield s


def settings(tmp_path: Path, **overrides: Any) -> TdlibSource.Settings:  # type: ignore[name-defined]
    values: dict[str, Any] = {
        "api_id": API_ID,
        "api_hash": API_HASH,
        "database_encryption_key": "k3y",
        "accounts": PHONES[:1],
        "files_directory": tmp_path / "tdlib",
        "bot_username": BOT,
        "request_timeout": "3s",
        "album_wait": "0.2s",
    }
    values.update(overrides)
    return TdlibSource.Settings.model_validate(values)


def runtime(store: Store, tmp_path: Path, shared: SharedValues | None = None) -> Runtime:
    return static_runtime(store, tmp_path, plugin="tdlib", at=T0, shared=shared)


def bot_published(name: str = BOT) -> SharedValues:
    """What the telegram-bot sink leaves for the source when it has started."""
    shared = SharedValues()
    shared.publish(BOT_USERNAME, name)
    return shared


def log_in(s: Any, phone: str, code: str = "12345") -> None:
    """What ``oleg login`` leaves behind: a session in the account's folder."""
    td = td_settings(s, phone)
    td.files_directory.mkdir(parents=True, exist_ok=True)
    client = TdClient(td)
    try:
        client.authorize(code=lambda: code, timeout=10)
    finally:
        client.close()


@pytest.fixture
def make_source(tg: FakeTelegram, store: Store, tmp_path: Path) -> Iterator[Callable[..., TdlibSource]]:
    """Start a source (its accounts logged in first); every one started is closed at the end."""
    started: list[TdlibSource] = []

    def make(*, login: bool = True, shared: SharedValues | None = None, **overrides: Any) -> TdlibSource:
        s = settings(tmp_path, **overrides)
        if login:
            for phone in s.accounts:
                log_in(s, phone)
        source = TdlibSource(s)
        started.append(source)
        source.start(runtime(store, tmp_path, shared))
        return source

    yield make
    for source in started:
        source.close()


def poll_until(
    source: TdlibSource, now: datetime, enough: Callable[[list[Any]], bool], timeout: float = 5.0
) -> list[Any]:
    """Poll (at the same scheduler time) until ``enough(everything returned)`` or time out."""
    got: list[Any] = []
    deadline = time.monotonic() + timeout
    while True:
        got += source.poll(now)
        if enough(got) or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def follow(source: TdlibSource, store: Store, names: list[str], start: datetime = T0) -> datetime:
    """Queue ``names`` and poll, a join interval apart, until every one is joined or failed."""
    store.queue_channels(names, start)
    now = start
    for _ in range(4 * len(names) + 4):
        source.poll(now)
        if not store.channel_requests("queued"):
            return now
        now += source.settings.join_every
    raise AssertionError(f"still queued: {store.channel_requests('queued')}")


def wait_for(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


__all__ = [
    "BOT",
    "PHONES",
    "T0",
    "TdlibTestStore",
    "bot_published",
    "follow",
    "log_in",
    "poll_until",
    "settings",
    "timedelta",
    "wait_for",
]
