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


def adopt_legacy_folder(legacy: Path, folder: Path) -> bool:
    """Move a session from before the plugins had folders of their own (``legacy``) into
    ``folder``, once: only while ``folder`` is missing or empty. Whether it moved."""
    empty = not folder.is_dir() or not any(folder.iterdir())
    if not (empty and legacy.is_dir() and any(legacy.iterdir())):
        return False
    if folder.is_dir():
        folder.rmdir()
    folder.parent.mkdir(parents=True, exist_ok=True)
    legacy.rename(folder)
    log.info("moved the TDLib folder %s to %s, the plugin's own folder", legacy, folder)
    return True
