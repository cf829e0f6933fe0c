"""FakeTelegram: the fake Telegram world that fake TDLib clients talk to.

It holds what Telegram's servers would (accounts, channels, dialogs, sessions by database
directory), the knobs that script failures (floods, errors, requests that never answer,
lost replies, latency), and the world API tests use to play the other side (publish a post,
a subscriber writes to a bot or presses a button). Request handling itself lives in
:mod:`oleg_tdlib.fake.handlers`; every call here is thread-safe (one lock).
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any

from oleg_tdlib.backend import use_backend
from oleg_tdlib.fake import objects as o
from oleg_tdlib.fake.client import CLOSED, CLOSING, READY, FakeClient
from oleg_tdlib.fake.delivery import Scheduler
from oleg_tdlib.fake.limits import SendLimits
from oleg_tdlib.fake.model import Account, Channel, Dialog, Msg

JSON = dict[str, Any]
CLOSE_MARK = ""  # after this a mailbox is closed: receive() answers None
OFFLINE_KEPT = 100_000  # updates a logged-out bot or user gets when it comes back


class FakeTelegram:
    """An in-process Telegram with TDLib's JSON interface (see the package docstring)."""

    def __init__(
        self,
        *,
        api_id: int = 12345,
        api_hash: str = "0123456789abcdef0123456789abcdef",
        latency: float = 0.0,
        jitter: float = 0.0,
        drop_rate: float = 0.0,
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
        enforce_limits: bool = True,
        channel_limit: int = 500,
        per_chat_interval: float = 1.0,
        per_chat_burst: int = 3,
        global_rate: float = 30.0,
        echo_outgoing: bool = True,
    ) -> None:
        self.api_id = api_id
        self.api_hash = api_hash
        self.latency = latency
        self.jitter = jitter
        self.drop_rate = drop_rate
        self.clock = clock
        self.enforce_limits = enforce_limits
        self.channel_limit = channel_limit
        self.echo_outgoing = echo_outgoing
        self.limits = SendLimits(clock, per_chat_interval=per_chat_interval,
                                 per_chat_burst=per_chat_burst, global_rate=global_rate)
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._scheduler = Scheduler()
        self._instant = latency <= 0 and jitter <= 0
        self._deferred: list[tuple[FakeClient, str]] | None = None
        self._client_ids = itertools.count(1)
        self._user_ids = itertools.count(100_000_001)
        self._bot_ids = itertools.count(7_000_000_001)
        self._channel_ids = itertools.count(1_000_000_001)
        self._album_ids = itertools.count(10**17 + 1)
        self._query_ids = itertools.count(10**18 + 1)
        self.accounts: dict[int, Account] = {}
        self.by_phone: dict[str, int] = {}
        self.by_token: dict[str, int] = {}
        self.by_username: dict[str, int] = {}  # lower-case name -> chat id
        self.channels: dict[int, Channel] = {}  # by chat id
        self.dialogs: dict[tuple[int, int], Dialog] = {}
        self.sessions: dict[str, Any] = {}
        self.locks: dict[str, FakeClient] = {}
        self.clients: list[FakeClient] = []
        self.queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[int, str]] = []
        self.stats: dict[str, int] = {"sent": 0, "rejected_429": 0, "limit_violations": 0,
                                      "joins": 0}
        self._faults: list[list[Any]] = []  # [method, code, message, count, account]
        self._never: dict[str, int | None] = {}
        self._backend: AbstractContextManager[None] | None = None

    # -- installing as the TDLib backend ---------------------------------------------

    def new_client(self) -> FakeClient:
        """A new low-level client (what ``use_backend`` calls for every ``TdClient.open``)."""
        with self._lock:
            client = FakeClient(self, next(self._client_ids))
            self.clients.append(client)
            self.push(client, o.auth_state(client.state))
            return client

    def install(self) -> None:
        """Make every TdClient opened from now on talk to this world."""
        if self._backend is None:
            self._backend = use_backend(self.new_client)
            self._backend.__enter__()

    def uninstall(self) -> None:
        """Undo :meth:`install`, destroy the clients still alive, stop the timer thread."""
        if self._backend is not None:
            backend, self._backend = self._backend, None
            backend.__exit__(None, None, None)
        self.shutdown()

    def shutdown(self) -> None:
        """Close every client still open (as if TDLib closed: a TdClient still running sees
        ``authorizationStateClosed``) and stop the timer thread."""
        self._scheduler.stop()
        with self._lock:
            self._instant = True  # nothing may wait for the stopped timer any more
            try:
                for client in self.clients:
                    if client.state != CLOSED and not client.box.closed:
                        self.close_client(client)
            finally:
                self._instant = self.latency <= 0 and self.jitter <= 0

    def __enter__(self) -> FakeTelegram:
        self.install()
        return self

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    # -- the world API: setting the scene --------------------------------------------

    def add_user(self, phone: str, *, code: str = "12345", password: str | None = None,
                 first_name: str = "", premium: bool = False) -> int:
        """A user account that logs in with ``phone`` and ``code`` (and ``password``)."""
        with self._lock:
            digits = _digits(phone)
            if digits in self.by_phone:
                raise ValueError(f"phone {phone} is taken")
            acc = Account(next(self._user_ids), phone=phone, code=code, password=password,
                          first_name=first_name or f"User{digits[-4:]}", premium=premium)
            self.accounts[acc.id] = acc
            self.by_phone[digits] = acc.id
            return acc.id

    def add_bot(self, token: str, username: str) -> int:
        with self._lock:
            name = username.lstrip("@")
            if token in self.by_token or name.lower() in self.by_username:
                raise ValueError("bot token or username is taken")
            acc = Account(next(self._bot_ids), is_bot=True, token=token, username=name,
                          first_name=name)
            self.accounts[acc.id] = acc
            self.by_token[token] = acc.id
            self.by_username[name.lower()] = acc.id
            return acc.id

    def add_subscriber(self, first_name: str = "") -> int:
        """A user with no client: talks to bots only through this API."""
        with self._lock:
            acc = Account(next(self._user_ids), first_name=first_name or "Subscriber")
            self.accounts[acc.id] = acc
            return acc.id

    def add_channel(self, username: str, title: str | None = None, *,
                    protected: bool = False) -> int:
        """A public channel; its chat id (``-100<channel id>``)."""
        with self._lock:
            name = username.lstrip("@")
            if name.lower() in self.by_username:
                raise ValueError(f"username {name} is taken")
            cid = next(self._channel_ids)
            chat_id = -(10**12 + cid)
            self.channels[chat_id] = Channel(cid, chat_id, name, title or name, protected)
            self.by_username[name.lower()] = chat_id
            return chat_id

    def block_bot(self, user_id: int, bot_user_id: int) -> None:
        with self._lock:
            self.accounts[user_id].blocked.add(bot_user_id)

    def deactivate(self, user_id: int) -> None:
        with self._lock:
            self.accounts[user_id].deactivated = True

    # -- the world API: events --------------------------------------------------------

    def publish(self, chat_id: int, text: str | None = None, *, kind: str = "text",
                album: int = 1, date: int | None = None) -> list[int]:
        """A channel post (an album of ``album`` items); members' clients get it."""
        with self._lock:
            ch = self.channels[chat_id]
            if album < 1 or album > 10 or (album > 1 and kind not in o.ALBUM_KINDS):
                raise ValueError(f"an album is 2-10 items of {o.ALBUM_KINDS}")
            album_id = next(self._album_ids) if album > 1 else 0
            when = int(time.time()) if date is None else date
            ids = []
            for i in range(album):
                msg = Msg(ch.new_id(), when, o.content(kind, text if i == 0 else None),
                          channel_chat_id=chat_id, album_id=album_id, protected=ch.protected)
                ch.messages[msg.id] = msg
                ids.append(msg.id)
                self._to_members(ch, {"@type": "updateNewMessage",
                                      "message": msg.render(chat_id, 0)})
            return ids

    def edit(self, chat_id: int, message_id: int, text: str) -> None:
        with self._lock:
            ch = self.channels[chat_id]
            msg = ch.messages[message_id]
            msg.content = o.set_text(msg.content, text)
            msg.edit_date = int(time.time())
            self._to_members(ch, {"@type": "updateMessageContent", "chat_id": chat_id,
                                  "message_id": message_id, "new_content": msg.content})
            self._to_members(ch, {"@type": "updateMessageEdited", "chat_id": chat_id,
                                  "message_id": message_id, "edit_date": msg.edit_date,
                                  "reply_markup": None})

    def delete(self, chat_id: int, message_ids: Iterable[int]) -> None:
        with self._lock:
            ch = self.channels[chat_id]
            gone = [mid for mid in message_ids if ch.messages.pop(mid, None) is not None]
            if gone:
                self._to_members(ch, {"@type": "updateDeleteMessages", "chat_id": chat_id,
                                      "message_ids": gone, "is_permanent": True,
                                      "from_cache": False})

    def user_sends(self, user_id: int, bot_user_id: int, text: str) -> int:
        """A user writes to a bot (``/start``...): the bot now may write back."""
        with self._lock:
            user, bot = self.accounts[user_id], self._bot(bot_user_id)
            self.starts(user, bot)
            dialog = self.dialog(user_id, bot.id)
            msg = Msg(dialog.new_id(), int(time.time()), o.content("text", text),
                      sender_id=user_id)
            dialog.messages[msg.id] = msg
            self.route(bot.id, {"@type": "updateNewMessage",
                                "message": msg.render(user_id, bot.id)}, user_id)
            if self.echo_outgoing:
                self.route(user_id, {"@type": "updateNewMessage",
                                     "message": msg.render(bot.id, user_id)}, bot.id)
            return msg.id

    def press(self, user_id: int, chat_id: int, message_id: int,
              button: tuple[int, int] = (0, 0)) -> str:
        """A user presses a callback button on a bot's message; the query id.

        ``chat_id`` is the chat as the user sees it: the bot's user id.
        """
        with self._lock:
            bot = self._bot(chat_id)
            msg = self.dialog(user_id, bot.id).messages.get(message_id)
            if msg is None or msg.sender_id != bot.id:
                raise LookupError(f"no message {message_id} from the bot in that chat")
            row, col = button
            try:
                kind = (msg.reply_markup or {})["rows"][row][col]["type"]
            except (KeyError, IndexError, TypeError):
                raise LookupError(f"no button {button} on message {message_id}") from None
            if kind.get("@type") != "inlineKeyboardButtonTypeCallback":
                raise LookupError(f"button {button} is not a callback button")
            return self._callback(user_id, bot.id, message_id, str(kind.get("data") or ""))

    def press_data(self, user_id: int, chat_id: int, message_id: int, data: bytes) -> str:
        """A forged press with arbitrary ``data`` (no button needed)."""
        with self._lock:
            bot = self._bot(chat_id)
            return self._callback(user_id, bot.id, message_id, base64.b64encode(data).decode())

    def inject(self, account_id: int, update: JSON, *, query_from: int | None = None) -> None:
        """Any update, garbled or not, for an account's clients (a fuzz test's way in). With
        ``query_from``, the update's ``id`` becomes a callback query that user made, which
        the bot may answer."""
        with self._lock:
            if query_from is not None and isinstance(update.get("id"), str | int):
                self.queries[str(update["id"])] = {"bot": account_id, "user": query_from,
                                                   "answered": False}
            self.route(account_id, update, query_from)

    def new_query_id(self) -> str:
        return str(next(self._query_ids))

    def _callback(self, user_id: int, bot_id: int, message_id: int, data: str) -> str:
        qid = str(next(self._query_ids))
        self.queries[qid] = {"bot": bot_id, "user": user_id, "answered": False}
        instance = (user_id * 1_000_003 + bot_id) % (1 << 62)
        self.route(bot_id, {
            "@type": "updateNewCallbackQuery", "id": qid, "sender_user_id": user_id,
            "chat_id": user_id, "message_id": message_id, "chat_instance": str(instance),
            "payload": {"@type": "callbackQueryPayloadData", "data": data},
        }, user_id)
        return qid

    # -- the world API: inspection ----------------------------------------------------

    def messages_in(self, chat_id: int, *, viewer: int) -> list[JSON]:
        """The messages of a chat as ``viewer`` sees them, oldest first."""
        with self._lock:
            if chat_id in self.channels:
                store = self.channels[chat_id].messages
                items = [m.render(chat_id, viewer) for m in store.values()]
            else:
                dialog = self.dialogs.get(_key(viewer, chat_id))
                items = [] if dialog is None else [m.render(chat_id, viewer)
                                                   for m in dialog.messages.values()]
            return json.loads(json.dumps(items))  # type: ignore[no-any-return]

    def members(self, chat_id: int) -> set[int]:
        with self._lock:
            return set(self.channels[chat_id].members)

    def joined_channels(self, user_id: int) -> set[int]:
        with self._lock:
            return set(self.accounts[user_id].channels)

    # -- the world API: faults --------------------------------------------------------

    def flood(self, method: str, retry_after: int, *, count: int = 1,
              account: int | None = None) -> None:
        """The next ``count`` calls of ``method`` get 429 "Too Many Requests: retry after N"
        (sends fail through ``updateMessageSendFailed``, other requests answer the error)."""
        self.fail(method, 429, f"Too Many Requests: retry after {int(retry_after)}",
                  count=count, account=account)

    def fail(self, method: str, code: int, message: str, *, count: int = 1,
             account: int | None = None) -> None:
        with self._lock:
            self._faults.append([method, code, message, count, account])

    def never_answer(self, method: str, *, count: int | None = None) -> None:
        """The next ``count`` (None: all) calls of ``method`` get no answer until close."""
        with self._lock:
            self._never[method] = count

    def take_fault(self, method: str, account_id: int) -> JSON | None:
        for fault in self._faults:
            if fault[0] == method and fault[3] > 0 and fault[4] in (None, account_id):
                fault[3] -= 1
                if fault[1] == 429:
                    self.stats["rejected_429"] += 1
                return o.error(fault[1], fault[2])
        return None

    def take_never(self, method: str) -> bool:
        if method not in self._never:
            return False
        left = self._never[method]
        if left is not None:
            if left <= 0:
                return False
            self._never[method] = left - 1
        return True

    # -- requests ---------------------------------------------------------------------

    def handle(self, client: FakeClient, query: JSON) -> None:
        """Answer one request (now or later), then deliver the updates it caused."""
        from oleg_tdlib.fake.handlers import answer  # the handlers import this module

        extra = query.get("@extra")
        with self._lock:
            self._deferred = []
            try:
                method, reply = answer(self, client, query)
                deferred = self._deferred
            finally:
                self._deferred = None
            base = time.monotonic() + self.latency
            if reply is not None:
                if extra is not None:
                    reply["@extra"] = extra
                base = self._reply(client, method, reply, base)
            for target, text in deferred:
                self._deliver(target, text, base)

    def execute(self, query: JSON) -> JSON:
        from oleg_tdlib.fake.handlers import execute

        return execute(self, query)

    def _reply(self, client: FakeClient, method: str, reply: JSON, base: float) -> float:
        from oleg_tdlib.fake.handlers import NEVER_DROPPED

        dropped = self.drop_rate > 0 and method not in NEVER_DROPPED
        if dropped and self._rng.random() < self.drop_rate:
            return base
        text = json.dumps(reply)
        if self._instant:
            client.box.put(text)
            return base
        due = base + self.jitter * self._rng.random()
        self._scheduler.at(due, client.box, text)
        return due

    def _deliver(self, client: FakeClient, text: str, base: float) -> None:
        if self._instant:
            client.box.put(text)
            return
        due = max(base, client.last_due)
        client.last_due = due
        self._scheduler.at(due, client.box, text)

    def push(self, client: FakeClient, update: JSON | str) -> None:
        """Send an update to one client (after the current request's reply, if any)."""
        text = update if isinstance(update, str) else json.dumps(update)
        if self._deferred is not None:
            self._deferred.append((client, text))
        else:
            self._deliver(client, text, time.monotonic() + self.latency)

    def route(self, account_id: int, update: JSON, chat_id: int | None = None, *,
              channel: bool = False) -> None:
        """An update for every ready client of an account (kept for later if none is ready,
        except channel posts, which a user offline simply misses, as with real TDLib)."""
        acc = self.accounts.get(account_id)
        if acc is None:
            return
        text = json.dumps(update)
        if not acc.clients:
            if not channel and (acc.is_bot or acc.phone):
                if len(acc.offline) >= OFFLINE_KEPT:
                    acc.offline.popleft()
                acc.offline.append((text, chat_id))
            return
        for client in acc.clients:
            if chat_id is not None:
                client.known.add(chat_id)
            self.push(client, text)

    def _to_members(self, ch: Channel, update: JSON) -> None:
        for member in ch.members:
            self.route(member, update, ch.chat_id, channel=True)

    def set_state(self, client: FakeClient, state: str, **fields: Any) -> None:
        client.state = state
        self.push(client, o.auth_state(state, **fields))

    def log_in(self, client: FakeClient, acc: Account) -> None:
        """The client is Ready as ``acc``; its database directory now remembers the login."""
        from oleg_tdlib.fake.model import Session

        directory = client.directory or ""
        session = self.sessions.get(directory)
        if session is None or session.account_id != acc.id:
            session = self.sessions[directory] = Session(directory, acc.id)
        client.session = session
        client.account = acc
        client.known = session.known if client.keep_chats else set()
        client.known.add(acc.id)
        acc.clients.append(client)
        self.push(client, {"@type": "updateOption", "name": "my_id",
                            "value": {"@type": "optionValueInteger", "value": str(acc.id)}})
        self.set_state(client, READY)
        while acc.offline:
            text, chat_id = acc.offline.popleft()
            if chat_id is not None:
                client.known.add(chat_id)
            self.push(client, text)

    def close_client(self, client: FakeClient) -> None:
        """``close``: pending requests end with 500 "Request aborted", then Closing, Closed."""
        for extra in client.hung:
            self.push(client, {**o.error(500, "Request aborted"), "@extra": extra})
        client.hung.clear()
        self._log_out(client)
        self.set_state(client, CLOSING)
        self.set_state(client, CLOSED)
        self.push(client, CLOSE_MARK)

    def _log_out(self, client: FakeClient) -> None:
        if client.account is not None and client in client.account.clients:
            client.account.clients.remove(client)
        if client.directory is not None and self.locks.get(client.directory) is client:
            del self.locks[client.directory]

    def detach(self, client: FakeClient) -> None:
        """``stop()``: the client is destroyed; its lock and deliveries go with it."""
        with self._lock:
            client.destroyed = True
            self._log_out(client)
            if client in self.clients:
                self.clients.remove(client)
            alive = bool(self.clients)
        client.box.close()
        self._scheduler.discard(client.box)
        if not alive:
            self._scheduler.stop()

    # -- helpers for the handlers -----------------------------------------------------

    def dialog(self, a: int, b: int) -> Dialog:
        key = _key(a, b)
        dialog = self.dialogs.get(key)
        if dialog is None:
            dialog = self.dialogs[key] = Dialog(*key)
        return dialog

    def new_album_id(self) -> int:
        return next(self._album_ids)

    def starts(self, user: Account, bot: Account) -> None:
        """A user wrote to a bot: it may write back; writing again also unblocks it."""
        user.started.add(bot.id)
        user.blocked.discard(bot.id)

    def _bot(self, bot_id: int) -> Account:
        acc = self.accounts.get(bot_id)
        if acc is None or not acc.is_bot:
            raise LookupError(f"{bot_id} is not a bot")
        return acc

    @property
    def timer_running(self) -> bool:
        """Whether the delayed-delivery thread runs (tests check nothing leaks)."""
        return self._scheduler.running


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def _key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a <= b else (b, a)
