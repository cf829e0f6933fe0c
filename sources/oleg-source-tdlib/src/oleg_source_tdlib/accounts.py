"""One listener account: its TDLib client and the little state the source keeps about it.

Opening never asks for a login code: a deployment runs unattended, so an account that is
not logged in stops the start with the command that fixes it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from oleg.errors import OlegError
from oleg_tdlib.errors import TdError, TdTimeout
from oleg_tdlib.transport import NeedsLogin, TdClient, TdSettings

from oleg_source_tdlib.settings import TdlibSettings, account_directory

log = logging.getLogger(__name__)


@dataclass
class Account:
    """A listener account (named by its phone) and when it may act next."""

    name: str
    client: TdClient
    account_id: int = 0
    next_join_at: datetime | None = None
    paused_until: datetime | None = None
    """After a 429 on forwarding: no request from this account before then."""
    recycled_at: datetime | None = None
    full: bool = False
    chats: set[int] = field(default_factory=set)
    """Chat ids of the channels this account follows for oleg (joined assignments)."""


def td_settings(settings: TdlibSettings, phone: str, base: Path | None = None) -> TdSettings:
    """The gateway's settings for one account (secrets unwrapped only here)."""
    return TdSettings(
        api_id=settings.api_id,
        api_hash=settings.api_hash.get_secret_value(),
        database_encryption_key=settings.database_encryption_key.get_secret_value(),
        files_directory=account_directory(settings, phone, base),
        phone=phone,
        request_timeout=settings.request_timeout.total_seconds(),
    )


def new_client(settings: TdlibSettings, phone: str, base: Path | None = None) -> TdClient:
    """An unopened client on the account's own folder (created if missing)."""
    td = td_settings(settings, phone, base)
    td.files_directory.mkdir(parents=True, exist_ok=True)
    return TdClient(td)


def authorize_unattended(client: TdClient, *, deployment: str = "<deployment file>") -> None:
    """Authorize without anyone to type a code: an account that needs a login, or a TDLib
    that will not start, is an OlegError (the client is closed again)."""
    phone = client.settings.account
    timeout = max(30.0, client.settings.request_timeout)
    try:
        client.authorize(timeout=timeout)
        return
    except NeedsLogin:
        error = OlegError(
            f"the Telegram account {phone} is not logged in.",
            hint=f"Run `oleg login -d {deployment}` once, then start again.",
        )
    except TdError as exc:
        error = OlegError(f"the Telegram account {phone} cannot start: {exc.code} {exc.message}")
    except TdTimeout:
        error = OlegError(f"the Telegram account {phone}: TDLib did not answer within {timeout:g} s.")
    client.close()
    raise error
