"""One TDLib client (one account): requests with timeouts, update handlers, authorization.

Why not python-telegram's ``Telegram`` class: its waits have no timeout, calling ``stop()``
from a handler raises and leaks the client, and its handler queue drops updates when full.
This client keeps python-telegram's ``TDJson`` (and its bundled libtdjson) and replaces the
rest:

- every :meth:`TdClient.request` has a timeout and raises :class:`~oleg_tdlib.errors.TdError`
  with TDLib's code and message, or :class:`~oleg_tdlib.errors.TdTimeout`;
- replies are matched by ``@extra`` (they can arrive out of order);
- updates go to handlers on one dispatcher thread, separate from the receiving thread, so a
  handler may itself send requests and wait for them; the queue is unbounded (nothing dropped);
- :meth:`TdClient.close` from inside a handler closes on another thread instead of joining
  its own;
- :meth:`TdClient.recycle` closes and reopens on the same files directory: the session
  survives (no new login) and TDLib's caches start empty again.
"""

from __future__ import annotations

import base64
import itertools
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oleg_tdlib import requests as rq
from oleg_tdlib.backend import TdJson, open_tdjson
from oleg_tdlib.errors import TdClosed, TdError, TdTimeout

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]

READY = "authorizationStateReady"
CLOSED = "authorizationStateClosed"
WAIT_PARAMETERS = "authorizationStateWaitTdlibParameters"
WAIT_PHONE = "authorizationStateWaitPhoneNumber"
WAIT_CODE = "authorizationStateWaitCode"
WAIT_PASSWORD = "authorizationStateWaitPassword"
WAIT_EMAIL = "authorizationStateWaitEmailAddress"
WAIT_REGISTRATION = "authorizationStateWaitRegistration"


class NeedsLogin(RuntimeError):
    """The account waits for a code or a password and nobody can type it here."""

    def __init__(self, account: str, state: str) -> None:
        super().__init__(f"account {account} is not logged in (TDLib waits in {state})")
        self.account = account
        self.state = state


@dataclass(frozen=True)
class TdSettings:
    """What one client needs: the app's credentials and one persistent files directory.

    Exactly one of ``phone`` (a user account) and ``bot_token`` (a bot) is set.
    """

    api_id: int
    api_hash: str = field(repr=False)
    database_encryption_key: str = field(repr=False)
    files_directory: Path = field(default=Path("."))
    phone: str | None = None
    bot_token: str | None = field(default=None, repr=False)
    request_timeout: float = 10.0
    use_message_database: bool = True
    system_language_code: str = "en"
    device_model: str = "oleg"
    application_version: str = "0.1"
    verbosity: int = 1
    """TDLib's own log level (0 fatal ... 5 debug), written to :attr:`log_path`."""
    log_file: Path | None = None
    """Where TDLib's own log goes; ``files_directory/tdlib.log`` by default (never the terminal)."""
    name: str = field(default="")

    def __post_init__(self) -> None:
        if (self.phone is None) == (self.bot_token is None):
            raise ValueError("TdSettings needs exactly one of phone and bot_token")

    @property
    def log_path(self) -> Path:
        return self.log_file or self.files_directory / "tdlib.log"

    @property
    def account(self) -> str:
        """How logs name this client: the phone, or ``bot`` (never the token)."""
        return self.name or self.phone or "bot"


class _Pending:
    __slots__ = ("event", "method", "reply")

    def __init__(self, method: str) -> None:
        self.method = method
        self.event = threading.Event()
        self.reply: dict[str, Any] | None = None


class TdClient:
    """One account's TDLib client. ``open()`` then ``authorize()``; ``close()`` at the end."""

    def __init__(self, settings: TdSettings) -> None:
        self.settings = settings
        self._td: TdJson | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._pending_lock = threading.Lock()
        self._handlers: defaultdict[str, list[Handler]] = defaultdict(list)
        self._updates: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._state = threading.Condition()
        self.authorization_state: str | None = None
        self._running = False
        self._receiver: threading.Thread | None = None
        self._dispatcher: threading.Thread | None = None
        self.opened_at = 0.0
        self.on("updateAuthorizationState", self._note_state)

    # -- life cycle -------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._running

    def open(self) -> None:
        """Create the low-level client and start receiving. Idempotent."""
        if self._running:
            return
        self._td = open_tdjson(self.settings.verbosity, self.settings.log_path)
        self._running = True
        self.authorization_state = None
        self.opened_at = time.monotonic()
        self._receiver = threading.Thread(
            target=self._receive_loop, name=f"td-recv-{self.settings.account}", daemon=True
        )
        self._dispatcher = threading.Thread(
            target=self._dispatch_loop, name=f"td-updates-{self.settings.account}", daemon=True
        )
        self._receiver.start()
        self._dispatcher.start()

    def close(self, timeout: float = 5.0) -> None:
        """Close the session cleanly (TDLib flushes its database), then stop the threads.

        From inside an update handler the work moves to another thread, because this one
        cannot wait for itself.
        """
        if not self._running:
            return
        if threading.current_thread() is self._dispatcher:
            threading.Thread(target=self.close, args=(timeout,), daemon=True).start()
            return
        try:
            self.send("close", {})
            self.wait_for_state({CLOSED}, timeout)
        except (TdError, TdTimeout, TdClosed) as exc:
            log.warning("%s: TDLib did not close cleanly: %s", self.settings.account, exc)
        self._shutdown()

    def _shutdown(self) -> None:
        self._running = False
        for thread in (self._receiver, self._dispatcher):
            if thread is not None and thread is not threading.current_thread():
                if thread is self._dispatcher:
                    self._updates.put(None)
                thread.join(timeout=5.0)
        with self._pending_lock:
            pending, self._pending = self._pending, {}
        for p in pending.values():
            p.event.set()  # wakes the waiter, who sees no reply and raises TdClosed
        if self._td is not None:
            self._td.stop()
            self._td = None

    def recycle(self, timeout: float = 30.0) -> None:
        """Close and reopen on the same files directory: the login survives, caches go."""
        log.info("%s: reopening TDLib to bound its cache memory", self.settings.account)
        self.close()
        self.open()
        self.authorize(timeout=timeout)

    # -- requests ---------------------------------------------------------------------

    def send(self, method: str, params: dict[str, Any]) -> _Pending:
        """Send without waiting; :meth:`wait` gets the reply."""
        td = self._td
        if td is None or not self._running:
            raise TdClosed(f"{self.settings.account}: {method} on a closed client")
        request_id = next(self._ids)
        pending = _Pending(method)
        with self._pending_lock:
            self._pending[request_id] = pending
        td.send({"@type": method, **params, "@extra": {"id": request_id}})
        return pending

    def wait(self, pending: _Pending, timeout: float | None = None) -> dict[str, Any]:
        timeout = self.settings.request_timeout if timeout is None else timeout
        if not pending.event.wait(timeout):
            with self._pending_lock:
                for key, value in list(self._pending.items()):
                    if value is pending:
                        del self._pending[key]
            raise TdTimeout(pending.method, timeout)
        reply = pending.reply
        if reply is None:
            raise TdClosed(f"{self.settings.account}: closed while {pending.method} waited")
        if reply.get("@type") == "error":
            raise TdError.from_json(reply, pending.method)
        return reply

    def request(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> dict[str, Any]:
        """Send a request and wait for its answer (``settings.request_timeout`` by default)."""
        return self.wait(self.send(method, dict(params or {})), timeout)

    def execute(self, query: dict[str, Any]) -> dict[str, Any] | None:
        """A synchronous request through ``td_execute`` (works before authorization)."""
        td = self._td
        if td is not None:
            return td.td_execute(query)
        td = open_tdjson(self.settings.verbosity, self.settings.log_path)
        try:
            return td.td_execute(query)
        finally:
            td.stop()  # a client only for this call: not stopping it leaked TDLib's threads

    # -- updates ----------------------------------------------------------------------

    def on(self, update_type: str, handler: Handler) -> None:
        """Call ``handler(update)`` for every update of ``update_type``, on the dispatcher
        thread, one at a time, in arrival order."""
        if handler not in self._handlers[update_type]:
            self._handlers[update_type].append(handler)

    def _receive_loop(self) -> None:
        while self._running:
            td = self._td
            if td is None:
                break
            try:
                obj = td.receive()
            except Exception:  # the client was destroyed under us, or a bad payload
                if self._running:
                    log.exception("%s: receiving from TDLib failed", self.settings.account)
                    time.sleep(0.1)
                continue
            if not obj:
                continue
            extra = obj.get("@extra")
            request_id = extra.get("id") if isinstance(extra, dict) else None
            if request_id is not None:
                if not isinstance(request_id, int) or isinstance(request_id, bool):
                    log.warning(
                        "%s: skipped a reply with a garbled @extra id: %.200r",
                        self.settings.account,
                        extra,
                    )
                    continue
                with self._pending_lock:
                    pending = self._pending.pop(request_id, None)
                if pending is not None:
                    pending.reply = obj
                    pending.event.set()
                continue
            self._updates.put(obj)
            if self._updates.qsize() in (10_000, 100_000):
                log.warning(
                    "%s: %d updates wait for handlers", self.settings.account, self._updates.qsize()
                )

    def _dispatch_loop(self) -> None:
        while True:
            obj = self._updates.get()
            if obj is None:
                return
            kind = obj.get("@type", "") if isinstance(obj, dict) else None
            if not isinstance(kind, str):  # a garbled update must not end the dispatch thread
                log.warning(
                    "%s: skipped an update whose @type is not a name: %.200r",
                    self.settings.account,
                    obj,
                )
                continue
            for handler in list(self._handlers.get(kind, ())):
                try:
                    handler(obj)
                except Exception:
                    log.exception("%s: handler for %s failed", self.settings.account, kind)

    # -- authorization ----------------------------------------------------------------

    def _note_state(self, update: dict[str, Any]) -> None:
        with self._state:
            self.authorization_state = update["authorization_state"]["@type"]
            self._state.notify_all()

    def wait_for_state(self, states: set[str], timeout: float) -> str:
        """Block until the authorization state is one of ``states``; the state reached."""
        deadline = time.monotonic() + timeout
        with self._state:
            while self.authorization_state not in states:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TdTimeout(f"authorization state in {sorted(states)}", timeout)
                self._state.wait(left)
            return self.authorization_state  # type: ignore[return-value]

    def _wait_change(self, previous: str | None, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        with self._state:
            while self.authorization_state == previous:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TdTimeout(f"authorization past {previous}", timeout)
                self._state.wait(left)
            return self.authorization_state  # type: ignore[return-value]

    def authorize(
        self,
        *,
        code: Callable[[], str] | None = None,
        password: Callable[[], str] | None = None,
        timeout: float = 30.0,
    ) -> str:
        """Walk the authorization states to ``authorizationStateReady``.

        A user account that waits for a login code or 2FA password asks ``code()`` /
        ``password()`` (``oleg login`` passes prompts); without them it raises
        :class:`NeedsLogin`. A bot logs in with its token alone.
        """
        self.open()
        s = self.settings
        state = (
            self._wait_change(None, timeout)
            if self.authorization_state is None
            else self.authorization_state
        )
        while state != READY:
            if state == WAIT_PARAMETERS:
                key = base64.b64encode(s.database_encryption_key.encode()).decode()
                self.request(
                    "setTdlibParameters",
                    rq.tdlib_parameters(
                        api_id=s.api_id,
                        api_hash=s.api_hash,
                        database_key=key,
                        directory=s.files_directory,
                        use_message_database=s.use_message_database,
                        language=s.system_language_code,
                        device_model=s.device_model,
                        application_version=s.application_version,
                    ),
                    timeout=timeout,
                )
            elif state == WAIT_PHONE:
                if s.bot_token is None and code is None:
                    # sending the number makes Telegram send a login code nobody could type
                    raise NeedsLogin(s.account, state)
                if s.bot_token is not None:
                    self.request(
                        "checkAuthenticationBotToken", {"token": s.bot_token}, timeout=timeout
                    )
                else:
                    self.request(
                        "setAuthenticationPhoneNumber",
                        rq.phone_number(s.phone or ""),
                        timeout=timeout,
                    )
            elif state == WAIT_CODE:
                if code is None:
                    raise NeedsLogin(s.account, state)
                self.request("checkAuthenticationCode", {"code": code()}, timeout=timeout)
            elif state == WAIT_PASSWORD:
                if password is None:
                    raise NeedsLogin(s.account, state)
                self.request(
                    "checkAuthenticationPassword", {"password": password()}, timeout=timeout
                )
            elif state in (WAIT_EMAIL, WAIT_REGISTRATION):
                raise NeedsLogin(s.account, state)
            elif state in (CLOSED, "authorizationStateClosing", "authorizationStateLoggingOut"):
                raise TdClosed(f"{s.account}: TDLib is {state}")
            state = self._wait_change(state, timeout)
        log.info("%s: authorized", s.account)
        return state
