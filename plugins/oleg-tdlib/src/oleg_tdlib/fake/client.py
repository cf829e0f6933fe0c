"""One fake TDLib client: the python-telegram ``TDJson`` interface over a fake world.

What TDLib keeps per client instance lives here (its authorization state, the chats it
knows, the requests it will never answer); what Telegram keeps lives in the world.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from oleg_tdlib.fake.delivery import Mailbox

if TYPE_CHECKING:
    from oleg_tdlib.fake.model import Account, Session
    from oleg_tdlib.fake.world import FakeTelegram

WAIT_PARAMETERS = "authorizationStateWaitTdlibParameters"
WAIT_PHONE = "authorizationStateWaitPhoneNumber"
WAIT_CODE = "authorizationStateWaitCode"
WAIT_PASSWORD = "authorizationStateWaitPassword"
READY = "authorizationStateReady"
CLOSING = "authorizationStateClosing"
CLOSED = "authorizationStateClosed"

RECEIVE_WAIT = 0.2


class FakeClient:
    """A TDJson-like client: ``send``, ``receive``, ``td_execute``, ``stop``."""

    def __init__(self, world: FakeTelegram, client_id: int) -> None:
        self.world = world
        self.id = client_id
        self.box = Mailbox()
        self.state = WAIT_PARAMETERS
        self.account: Account | None = None
        self.login: Account | None = None  # the account a phone number named, before the code
        self.session: Session | None = None
        self.directory: str | None = None
        self.keep_chats = False
        self.known: set[int] = set()
        self.hung: list[Any] = []  # @extra of requests that never get an answer
        self.last_due = 0.0
        self.destroyed = False

    @property
    def account_id(self) -> int:
        return self.account.id if self.account is not None else 0

    @property
    def is_bot(self) -> bool:
        return self.account is not None and self.account.is_bot

    # -- the TDJson interface ---------------------------------------------------------

    def send(self, query: dict[str, Any]) -> None:
        """Queue a request; the answer (with the same ``@extra``) comes from ``receive``."""
        if self.destroyed:
            raise RuntimeError("the TDLib client was destroyed")
        self.world.handle(self, json.loads(json.dumps(query)))

    def receive(self) -> dict[str, Any] | None:
        """The next answer or update, or None after a short wait without one."""
        if self.destroyed or (self.box.closed and not len(self.box)):
            time.sleep(0.005)  # a closed client never answers again; do not let callers spin
            return None
        text = self.box.get(RECEIVE_WAIT)
        return None if text is None else json.loads(text)  # type: ignore[no-any-return]

    def td_execute(self, query: dict[str, Any]) -> dict[str, Any] | None:
        """A synchronous request (getOption, setLogVerbosityLevel)."""
        return json.loads(json.dumps(self.world.execute(json.loads(json.dumps(query)))))  # type: ignore[no-any-return]

    def stop(self) -> None:
        """Destroy the client: its database lock goes, nothing more arrives."""
        if not self.destroyed:
            self.world.detach(self)

    def __repr__(self) -> str:
        return f"<FakeClient {self.id} {self.state} account={self.account_id}>"
