"""The ``[sink]`` section of a deployment that names ``plugin = "telegram-bot"``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from oleg.components import PluginSettings
from oleg.fields import Duration, RelativePath, Secret
from pydantic import Field

DEFAULT_FILES = Path(".")
"""The default ``files_directory``: the plugin's own folder."""


class Texts(PluginSettings):
    """What the bot says; plain text (no markup), so any wording is safe."""

    welcome: str = (
        "Welcome! From now on you get posts picked for you from many channels. "
        "Rate each with 👍 or 👎 and the feed learns your taste. "
        "/more for one more now, /stop to leave."
    )
    """Answer to /start."""
    goodbye: str = "You will get no more posts. Send /start to come back whenever you like."
    """Answer to /stop."""
    help: str = (
        "/start: get your personal feed\n/more: one more post now\n/stop: no more posts\n"
        "Rate each post with 👍 or 👎: the feed learns from it."
    )
    """Answer to /help and to unknown commands."""
    not_admin: str = "Sorry, that command is for the bot's administrators."
    """Answer to /stats and /channels from someone who is not in ``admins``."""
    rate_album: str = "Your rating of the album above:"
    """The small message carrying the buttons under an album (an album takes no buttons)."""
    expired: str = "This button has expired."
    """Answer to a press on a button that is forged, stale or not this subscriber's."""
    noted_like: str = "👍 noted"
    noted_dislike: str = "👎 noted"
    already_noted: str = "Already noted"
    try_again: str = "Sorry, that did not work; please press again."
    """Answer to a press that could not be stored (the database was unreachable)."""


class BotSettings(PluginSettings):
    """A bot account (its token) and how fast it may write."""

    api_id: int
    """The Telegram application's id (my.telegram.org), shared with the tdlib source."""
    api_hash: Secret
    """The application's hash; write ``{ env = "OLEG_API_HASH" }``."""
    bot_token: Secret
    """The bot's token from @BotFather; write ``{ env = "OLEG_BOT_TOKEN" }``."""
    database_encryption_key: Secret
    """Key of TDLib's local database for the bot; write ``{ env = "OLEG_BOT_DB_KEY" }``."""
    files_directory: RelativePath = DEFAULT_FILES
    """Where TDLib keeps the bot's session and files (persistent). Left out, it is the
    plugin's own folder, ``<data_dir>/telegram-bot`` (a session made before oleg 0.2 in
    ``<data_dir>/tdlib/bot`` is moved there at start); a value written in the file is relative
    to the file."""
    admins: list[int] = Field(default_factory=list)
    """Telegram user ids allowed /stats and /channels."""
    rate: float = Field(30.0, gt=0)
    """Messages per second overall (Telegram allows about 30)."""
    per_chat_interval: Duration = timedelta(seconds=1)
    """Least time between two messages to the same subscriber (Telegram: about 1 s)."""
    send_timeout: Duration = timedelta(seconds=30)
    """How long a round waits for the outcome of its last message (TDLib keeps sending after)."""
    recycle_every: Duration = timedelta(hours=6)
    """Reopen TDLib this often, between rounds, so its caches do not grow without bound."""
    request_timeout: Duration = timedelta(seconds=15)
    """Timeout of every other TDLib request."""
    max_pending_updates: int = Field(1000, ge=1, le=1_000_000)
    """How many presses, and separately how many incoming messages, may wait for the bot's
    worker threads. Beyond it a press is answered with ``texts.try_again`` at once and a
    message is dropped with a warning (both counted): a flood costs bounded memory."""
    texts: Texts = Texts()
    """What the bot says."""
