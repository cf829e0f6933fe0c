"""Settings, registration, and what stops a start."""

from __future__ import annotations

from importlib import metadata

import pytest
from _tdlib_testing import PHONES, T0, settings
from oleg.errors import ConfigError, OlegError
from oleg.registry import ComponentKind, ComponentRegistry
from oleg_source_tdlib.buffer import PostBuffer
from oleg_source_tdlib.settings import account_directory, read_channels_file
from oleg_source_tdlib.source import TdlibSource
from oleg_tdlib.tables import SCHEMA
from pydantic import ValidationError


def test_entry_point_registers_the_source_and_commands() -> None:
    (ep,) = [e for e in metadata.entry_points(group="oleg") if e.name == "tdlib"]
    assert ep.value == "oleg_source_tdlib.plugin"
    module = ep.load()
    registry = ComponentRegistry()
    module.oleg_register_components(registry=registry)
    assert [(r.kind, r.name, r.cls) for r in registry.all()] == [(ComponentKind.SOURCE, "tdlib", TdlibSource)]
    assert registry.schemas == [SCHEMA]  # its tables: accounts, assignments, the join queue
    import click

    group = click.Group()
    module.oleg_register_commands(cli=group)
    assert set(group.commands) == {"login", "channels"}
    assert "add" in group.commands["channels"].commands  # type: ignore[attr-defined]


def test_settings_defaults_and_validation(tmp_path) -> None:
    s = settings(tmp_path)
    assert s.join_every.total_seconds() == 180 and s.max_channels_per_account == 500
    assert s.recycle_every.total_seconds() == 6 * 3600 and s.album_wait.total_seconds() == 0.2
    assert "k3y" not in repr(s) and "0123456789abcdef" not in repr(s)
    assert account_directory(s, "+1 555-0100") == tmp_path / "tdlib" / "15550100"
    default = settings(tmp_path, files_directory="tdlib")  # as if not written: under data_dir
    assert account_directory(default, "+15550100", tmp_path / ".oleg") == tmp_path / ".oleg" / "tdlib" / "15550100"
    with pytest.raises(ValidationError):
        settings(tmp_path, accounts=[])
    with pytest.raises(ValidationError):
        settings(tmp_path, accounts=["call me"])
    with pytest.raises(ValidationError):
        settings(tmp_path, accounts=["+15550100", "+1 5550100"])


def test_channels_file_is_read_without_comments(tmp_path) -> None:
    f = tmp_path / "channels.txt"
    f.write_text("# news\n@first_news\n\nsecond_news   # the second\n  https://t.me/third_news\n")
    assert read_channels_file(f) == ["@first_news", "second_news", "https://t.me/third_news"]
    with pytest.raises(ConfigError, match="missing.txt"):
        read_channels_file(tmp_path / "missing.txt")


def test_channels_file_is_queued_at_start(tg, store, make_source, tmp_path) -> None:
    f = tmp_path / "channels.txt"
    f.write_text("@first_news\nsecond_news\n")
    make_source(channels_file=f)
    assert [r["username"] for r in store.channel_requests("queued")] == ["first_news", "second_news"]


def test_a_bad_name_in_the_channels_file_names_the_file(tg, store, make_source, tmp_path) -> None:
    f = tmp_path / "channels.txt"
    f.write_text("fine_name\n@@@\n")
    with pytest.raises(ConfigError, match="channels.txt"):
        make_source(channels_file=f)


def test_an_account_not_logged_in_says_how_to_log_in(tg, store, make_source) -> None:
    with pytest.raises(OlegError) as info:
        make_source(login=False)
    assert "oleg login -d" in str(info.value) and PHONES[0] in str(info.value)


def test_no_bot_username_anywhere_is_a_config_error(tg, store, make_source) -> None:
    with pytest.raises(ConfigError, match="bot_username"):
        make_source(bot_username=None)  # and no telegram-bot sink published one


def test_wrong_api_hash_is_an_error(tg, store, make_source) -> None:
    with pytest.raises(OlegError, match="API_ID_INVALID"):
        make_source(login=False, api_hash="f" * 32)


def test_buffer_gathers_albums_and_drops_repeats() -> None:
    clock = [0.0]
    buf = PostBuffer(1.0, clock=lambda: clock[0])

    def msg(mid: int, album: str = "0") -> dict:
        return {"chat_id": -1001, "id": mid, "media_album_id": album, "date": int(T0.timestamp())}

    assert buf.add("a", msg(1 << 20))
    assert not buf.add("a", msg(1 << 20))  # seen before
    buf.add("a", msg(2 << 20, "77"))
    clock[0] = 0.5
    buf.add("a", msg(3 << 20, "77"))
    groups = buf.take()
    assert [g.message_ids for g in groups] == [[1 << 20]]
    clock[0] = 1.4
    assert buf.take() == []  # the album's last item came 0.9 s ago
    clock[0] = 1.6
    assert [g.message_ids for g in buf.take()] == [[2 << 20, 3 << 20]]
    buf.add("a", msg(4 << 20, "78"))
    buf.drop(-1001, [4 << 20])
    assert buf.take(flush=True) == [] and len(buf) == 0
