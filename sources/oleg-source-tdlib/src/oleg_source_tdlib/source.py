"""The ``tdlib`` source: listener accounts read their channels' posts through TDLib.

``start`` opens every account (logged in beforehand with ``oleg login``), queues the
channels file, and starts catching up on what was posted while oleg was away. Each ``poll``
then joins queued channels slowly, reopens clients whose caches grew for too long, returns
the posts that arrived (an album as one post) and forwards each to the bot, which copies it
to subscribers. Handlers only buffer; everything that waits on the network runs in the poll.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any, ClassVar

from oleg.components import PluginSettings, Source
from oleg.errors import ConfigError, DataError, OlegError
from oleg.runtime import Runtime, SharedValues
from oleg.types import Post, utc
from oleg_tdlib import translate
from oleg_tdlib.errors import TdClosed, TdError, TdTimeout
from oleg_tdlib.reading import Unreadable, log_skipped
from oleg_tdlib.shared import BOT_USERNAME, LISTENER_USER_IDS
from oleg_tdlib.transport import NeedsLogin

from oleg_source_tdlib.accounts import Account, authorize_unattended, new_client
from oleg_source_tdlib.buffer import PostBuffer
from oleg_source_tdlib.forwarder import Forward, Forwarder
from oleg_source_tdlib.joiner import Joiner
from oleg_source_tdlib.listener import Listener
from oleg_source_tdlib.reconcile import catch_up
from oleg_source_tdlib.settings import TdlibSettings, read_channels_file
from oleg_source_tdlib.store_access import SourceStore

log = logging.getLogger(__name__)


class TdlibSource(Source):
    """Posts of the channels that the listener accounts joined for oleg."""

    name: ClassVar[str] = "tdlib"
    Settings: ClassVar[type[PluginSettings]] = TdlibSettings
    settings: TdlibSettings

    def __init__(self, settings: PluginSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        self.accounts: dict[str, Account] = {}
        self.buffer = PostBuffer(self.settings.album_wait.total_seconds())
        self.titles: dict[int, str | None] = {}
        self.protected: set[int] = set()
        self._store: SourceStore | None = None
        self._shared: SharedValues | None = None
        self._listener: Listener | None = None
        self.forwarder: Forwarder | None = None
        self.joiner: Joiner | None = None
        self._threads: list[threading.Thread] = []

    # -- life cycle ------------------------------------------------------------------

    def check(self) -> None:
        if self.settings.channels_file is not None:
            read_channels_file(self.settings.channels_file)

    def start(self, runtime: Runtime) -> None:
        s = self.settings
        store = self._store = SourceStore(runtime)
        now = _runtime_now(runtime)
        self._shared = runtime.shared
        if s.bot_username is None and self.bot_username() is None:
            raise ConfigError(
                "[source] bot_username: the sink published no bot username to forward posts to "
                "(only the telegram-bot sink does); set bot_username = \"...\" (without @)."
            )
        if s.channels_file is not None:
            self.queue_file(now)
        self._listener = Listener(store, self.buffer)
        self._listener.protected = self.protected
        self._open_accounts(runtime)
        self.forwarder = Forwarder(store, self.accounts, self.bot_username, self.protected)
        self.joiner = Joiner(
            store, list(self.accounts.values()), join_every=s.join_every,
            max_channels=s.max_channels_per_account, on_joined=self._joined,
        )
        for account in self.accounts.values():
            if self.bot_username():
                try:
                    self.forwarder.bot_chat(account)
                except (TdError, TdTimeout, TdClosed, Unreadable) as exc:  # the polls try again
                    log.warning("%s cannot reach the bot @%s yet: %s", account.name, self.bot_username(), exc)
            self._catch_up(account, s.reconcile_pages)

    def _open_accounts(self, runtime: Runtime) -> None:
        store = self._require_store()
        rows = store.assignments()
        info = store.channel_info([r["channel_id"] for r in rows]) if rows else {}
        self.protected.update(c for c, i in info.items() if i.get("protected"))
        try:
            for phone in self.settings.accounts:
                account = Account(phone, new_client(self.settings, phone, runtime.data_dir))
                account.account_id = store.add_account(phone, max_channels=self.settings.max_channels_per_account)
                for row in rows:
                    if row["account"] == phone and row["status"] == "joined":
                        account.chats.add(int(row["channel_id"]))
                        self.titles[int(row["channel_id"])] = row.get("title")
                assert self._listener is not None
                self._listener.attach(account)  # before authorizing: no update is missed
                self.accounts[phone] = account
                authorize_unattended(account.client)  # the file is not the source's to know
                self._publish_listener(runtime.shared, account)
        except BaseException:
            self.close()
            raise

    def _publish_listener(self, shared: SharedValues, account: Account) -> None:
        """Tell the bot this account's user id, so its /start is not taken for a subscriber."""
        try:
            me = account.client.request("getMe")
        except (TdError, TdTimeout) as exc:
            log.warning("%s: getMe failed (%s); the bot learns it from its first forward", account.name, exc)
            return
        known = shared.get(LISTENER_USER_IDS) or frozenset()
        shared.publish(LISTENER_USER_IDS, frozenset(known | {int(me["id"])}))

    def _catch_up(self, account: Account, pages: int) -> None:
        store = self._require_store()
        rows = [r for r in store.assignments() if r["account"] == account.name and r["status"] == "joined"]
        last_ids = store.last_message_ids()
        joined_at = {int(r["channel_id"]): utc(r["updated_at"]) for r in rows}
        usernames = {int(r["channel_id"]): r.get("username") for r in rows}
        thread = threading.Thread(
            target=catch_up, name=f"tdlib-catch-up-{account.name}", daemon=True,
            args=(account, self.buffer),
            kwargs={"last_ids": last_ids, "joined_at": joined_at, "usernames": usernames, "pages": pages,
                    "chats": list(account.chats)},
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def close(self) -> None:
        for account in self.accounts.values():
            try:
                account.client.close()
            except Exception:
                log.exception("%s: closing TDLib failed", account.name)
        for thread in self._threads:
            thread.join(timeout=5.0)
        self._threads = []

    # -- the engine's calls ----------------------------------------------------------

    def poll(self, now: datetime) -> list[Post]:
        now = utc(now)
        store = self._require_store()
        assert self._listener is not None and self.forwarder is not None and self.joiner is not None
        for chat_id, protected in self._listener.take_protection_changes():
            store.set_channel_info(chat_id, at=now, protected=protected)
        self.joiner.poll(now)
        self._recycle(now)
        posts: list[Post] = []
        for group in self.buffer.take():
            if not group.items:
                continue
            try:  # the buffer refused what it could not read; still, one group never stops the rest
                post = translate.album_post(group.messages, title=self.titles.get(group.chat_id))
            except Unreadable as exc:
                log_skipped(log, group.messages[0], exc, account=group.account)
                continue
            posts.append(post)
            if group.chat_id not in self.protected:
                self.forwarder.enqueue(Forward(group.account, group.chat_id, tuple(group.message_ids)))
        self.forwarder.flush(now)
        return posts

    def deleted(self, now: datetime) -> list[tuple[int, int]]:
        return self._listener.take_deleted() if self._listener is not None else []

    # -- helpers ---------------------------------------------------------------------

    def bot_username(self) -> str | None:
        """Where posts are forwarded: the setting, else the bot the telegram-bot sink
        published when it started."""
        shared = self._shared.get(BOT_USERNAME) if self._shared is not None else None
        name = self.settings.bot_username or shared
        return str(name).lstrip("@") if name else None

    def queue_file(self, now: datetime) -> list[str]:
        """Queue the channels file's usernames (new ones only); the names newly queued."""
        path = self.settings.channels_file
        assert path is not None
        names = read_channels_file(path)
        try:
            added = self._require_store().queue_channels(names, now) if names else []
        except DataError as exc:
            raise ConfigError(f"[source] channels_file {path}: {exc.message}") from None
        if added:
            log.info("queued %d channel(s) from %s", len(added), path)
        return added

    def _joined(self, account: Account, chat: dict[str, Any]) -> None:
        chat_id = int(chat["id"])
        self.titles[chat_id] = chat.get("title")
        if chat.get("has_protected_content"):
            self.protected.add(chat_id)
        account.chats.add(chat_id)

    def _recycle(self, now: datetime) -> None:
        every = self.settings.recycle_every
        for account in self.accounts.values():
            if account.recycled_at is None:
                account.recycled_at = now
            elif now - account.recycled_at >= every:
                account.recycled_at = now
                try:
                    account.client.recycle(timeout=max(30.0, self.settings.request_timeout.total_seconds()))
                except (NeedsLogin, TdError, TdTimeout, TdClosed) as exc:
                    log.error("%s: reopening TDLib failed: %s", account.name, exc)
                    continue
                self._catch_up(account, 1)  # the few posts made while it was closed

    def _require_store(self) -> SourceStore:
        if self._store is None:
            raise OlegError("the tdlib source was not started")
        return self._store


def _runtime_now(runtime: Runtime) -> datetime:
    """The scheduler's time; a virtual clock that has not started yet has none."""
    try:
        return utc(runtime.now())
    except Exception:
        return datetime.now(UTC)
