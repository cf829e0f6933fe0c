"""TDLib's errors as exceptions that say what to do: wait, drop the chat, or give up."""

from __future__ import annotations

import re
from typing import Any

_RETRY = re.compile(r"(?:retry after|FLOOD_WAIT_)\s*(\d+)", re.IGNORECASE)

_GONE = (
    "USER_IS_BLOCKED",
    "bot was blocked",
    "user is deactivated",
    "can't initiate conversation",
    "chat not found",
    "PEER_ID_INVALID",
    "INPUT_USER_DEACTIVATED",
)


class TdError(Exception):
    """An ``error`` object TDLib answered with: ``code`` and ``message`` as TDLib gave them."""

    def __init__(self, code: int, message: str, request: str | None = None) -> None:
        super().__init__(f"{request or 'request'}: {code} {message}")
        self.code = code
        self.message = message
        self.request = request

    @classmethod
    def from_json(cls, obj: dict[str, Any], request: str | None = None) -> TdError:
        return cls(int(obj.get("code", 0)), str(obj.get("message", "")), request)

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait for a 429 "Too Many Requests: retry after N" (or FLOOD_WAIT_N)."""
        if self.code != 429 and "FLOOD_WAIT" not in self.message:
            return None
        match = _RETRY.search(self.message)
        return float(match.group(1)) if match else 1.0

    @property
    def recipient_gone(self) -> bool:
        """The recipient blocked the bot, was deactivated, or never started it: stop sending."""
        if self.code not in (400, 403):
            return False
        low = self.message.lower()
        return any(marker.lower() in low for marker in _GONE)

    @property
    def too_many_channels(self) -> bool:
        return "CHANNELS_TOO_MUCH" in self.message


class TdTimeout(TimeoutError):
    """A request got no answer in time (TDLib never answers requests that need the network
    while offline): the caller decides whether to retry."""

    def __init__(self, request: str, timeout: float) -> None:
        super().__init__(f"{request}: no answer from TDLib within {timeout:g} s")
        self.request = request
        self.timeout = timeout


class TdClosed(RuntimeError):
    """The client was closed while a request waited, or a request was made after close."""
