"""The ``[source]`` section of a ``tdlib`` deployment, and what is derived from it.

Kept free of TDLib so that ``oleg check`` and ``oleg plugins`` stay cheap.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from oleg.components import PluginSettings
from oleg.errors import ConfigError
from oleg.fields import Duration, RelativePath, Secret
from pydantic import Field, field_validator

_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{4,}$")


class TdlibSettings(PluginSettings):
    """Telegram app credentials, the listener accounts, and how fast they may act."""

    api_id: int
    """The app's api_id from https://my.telegram.org (one app for every account)."""
    api_hash: Secret
    """The app's api_hash; from the environment, e.g. ``{ env = "OLEG_API_HASH" }``."""
    database_encryption_key: Secret
    """Encrypts each account's TDLib database; keep it: a new key loses the logins."""
    accounts: list[str] = Field(min_length=1)
    """Phone numbers of the listener accounts (log each in once with ``oleg login``)."""
    files_directory: RelativePath = Path(".")
    """Where TDLib keeps each account's session (one subfolder per phone): keep it.
    Left out, it is the plugin's own folder, ``<data_dir>/tdlib``; a value written in the
    file is relative to the file."""
    bot_username: str | None = None
    """The bot posts are forwarded to; by default the sink's own ``username``."""
    channels_file: RelativePath | None = None
    """Channel usernames, one a line (``#`` comments), queued for joining at start."""
    join_every: Duration = timedelta(minutes=3)
    """At most one join per account in this interval: Telegram punishes fast joining."""
    max_channels_per_account: int = Field(500, ge=1)
    """An account in this many channels takes no more (Telegram's limit is 500, 1000 Premium)."""
    recycle_every: Duration = timedelta(hours=6)
    """Close and reopen each TDLib client this often: its caches grow without bound."""
    request_timeout: Duration = timedelta(seconds=15)
    """How long one TDLib request may take before it counts as failed."""
    album_wait: Duration = timedelta(seconds=1)
    """An album's items are gathered until none arrived for this long: one post."""
    reconcile_pages: int = Field(10, ge=0)
    """After downtime, read at most this many pages of 100 messages back per channel."""

    @field_validator("accounts")
    @classmethod
    def _phones(cls, value: list[str]) -> list[str]:
        for phone in value:
            if not _PHONE.match(phone.strip()):
                raise ValueError(f"expected phone numbers such as \"+15550100\", got {phone!r}")
        if len({phone_digits(p) for p in value}) != len(value):
            raise ValueError("an account is listed twice")
        return [p.strip() for p in value]

    @field_validator("bot_username")
    @classmethod
    def _bot(cls, value: str | None) -> str | None:
        return value.strip().lstrip("@") or None if value is not None else None


def phone_digits(phone: str) -> str:
    """``+1 555-0100`` → ``15550100``: a stable folder name for an account."""
    return re.sub(r"\D", "", phone)


def account_directory(settings: TdlibSettings, phone: str, base: Path | None = None) -> Path:
    """The account's own persistent TDLib folder (relative folders hang under ``base``)."""
    root = Path(settings.files_directory)
    if not root.is_absolute() and base is not None:
        root = Path(base) / root
    return root / phone_digits(phone)


def read_channels_file(path: Path) -> list[str]:
    """Usernames from ``path``: one a line, blank lines and ``#`` comments skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"channels_file: cannot read {path}: {exc.strerror or exc}") from None
    names = []
    for line in text.splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(name)
    return names
