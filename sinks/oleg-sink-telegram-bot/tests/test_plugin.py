from datetime import timedelta

import pytest
from oleg.plugins import Plugins
from oleg_sink_telegram_bot.settings import BotSettings
from pydantic import ValidationError


def test_registered_under_its_entry_point_name() -> None:
    assert "telegram-bot" in Plugins.available()


def test_settings_defaults_and_masked_secrets() -> None:
    s = BotSettings(api_id=1, api_hash="h" * 32, bot_token="1:tok", database_encryption_key="k")
    assert s.rate == 30 and s.per_chat_interval == timedelta(seconds=1)
    assert s.send_timeout == timedelta(seconds=30) and s.recycle_every == timedelta(hours=6)
    assert s.admins == [] and str(s.files_directory) == "."  # the plugin's own folder
    assert "1:tok" not in repr(s) and "h" * 32 not in repr(s)
    with pytest.raises(ValidationError):
        BotSettings(api_id=1, api_hash="h", bot_token="t", database_encryption_key="k", speed=3)


def test_a_session_from_before_plugin_folders_moves_in_once(tmp_path) -> None:
    from oleg_tdlib.shared import adopt_legacy_folder

    legacy, folder = tmp_path / "tdlib" / "bot", tmp_path / "telegram-bot"
    assert not adopt_legacy_folder(legacy, folder)  # nothing old
    legacy.mkdir(parents=True)
    (legacy / "td.binlog").write_bytes(b"session")
    folder.mkdir()  # the engine creates the plugin's folder, empty
    assert adopt_legacy_folder(legacy, folder)
    assert (folder / "td.binlog").read_bytes() == b"session" and not legacy.exists()
    legacy.mkdir()
    (legacy / "td.binlog").write_bytes(b"stale")
    assert not adopt_legacy_folder(legacy, folder)  # the plugin's folder is in use: left alone
    assert (folder / "td.binlog").read_bytes() == b"session"
