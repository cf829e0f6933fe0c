"""What the TDLib source and the Telegram bot share at run time, and where their files live."""

from __future__ import annotations

import logging
from pathlib import Path

from oleg.runtime import SharedKey

log = logging.getLogger(__name__)

BOT_USERNAME = SharedKey("telegram.bot_username", str)
"""The bot's @username (without @), published by the ``telegram-bot`` sink when it has
logged in: where the ``tdlib`` source forwards each post."""

LISTENER_USER_IDS = SharedKey("tdlib.listener_user_ids", frozenset)
"""The Telegram user ids of the ``tdlib`` source's listener accounts, published as each logs
in: the bot takes their /start (sent so that they may forward to it) for what it is, not
for a new subscriber."""


def legacy_folder(legacy: Path, folder: Path) -> Path:
    """``folder``, unless it is empty or missing and a session from before the plugins had
    folders of their own (``legacy``) is not: then that one, so no login is lost."""
    empty = not folder.is_dir() or not any(folder.iterdir())
    if empty and legacy.is_dir() and any(legacy.iterdir()):
        log.info("using the TDLib folder %s (from before %s was the plugin's own folder)", legacy, folder)
        return legacy
    return folder
