"""Channel messages between their arrival (handler threads) and the next poll.

An album arrives as one update per item sharing a ``media_album_id``, with no sign of which
is the last: its items are gathered until none came for ``album_wait``, then leave as one
group. The quiet time is measured on a monotonic clock because it is about how TDLib
delivers updates, not about the scheduler's (possibly virtual) time. A message is read as a
post when it arrives: one that cannot be (a bad ``date``, a missing id) is refused there,
so it never reaches a poll, where it would stop the others.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from oleg_tdlib import translate
from oleg_tdlib.reading import Unreadable, log_skipped

log = logging.getLogger(__name__)

Message = dict[str, Any]


@dataclass
class Group:
    """One post to be: a single message or an album's items, and the account that saw it."""

    account: str
    chat_id: int
    items: dict[int, Message] = field(default_factory=dict)
    last_at: float = 0.0

    @property
    def message_ids(self) -> list[int]:
        return sorted(self.items)

    @property
    def messages(self) -> list[Message]:
        return [self.items[i] for i in self.message_ids]


class PostBuffer:
    """Thread-safe: handlers :meth:`add`, the poll :meth:`take`s finished groups.

    Each (chat, message) is accepted once (a bounded memory of keys), so the live updates
    and the catch-up after downtime may overlap without emitting a post twice.
    """

    def __init__(
        self, album_wait: float, *, clock: Callable[[], float] = time.monotonic, remember: int = 200_000
    ) -> None:
        self.album_wait = album_wait
        self._clock = clock
        self._remember = remember
        self._lock = threading.Lock()
        self._singles: list[Group] = []
        self._albums: dict[tuple[int, str], Group] = {}
        self._seen: OrderedDict[tuple[int, int], None] = OrderedDict()

    def seen(self, chat_id: int, message_id: int) -> bool:
        with self._lock:
            return (chat_id, message_id) in self._seen

    def add(self, account: str, message: Message) -> bool:
        """Buffer one channel message; False if it was accepted before.
        :class:`~oleg_tdlib.reading.Unreadable` if it cannot be read as a post."""
        post = translate.message_to_post(message)
        chat_id, message_id = post.channel_id, post.message_id
        key = (chat_id, message_id)
        album = str(message.get("media_album_id") or "0")
        with self._lock:
            if key in self._seen:
                return False
            self._seen[key] = None
            while len(self._seen) > self._remember:
                self._seen.popitem(last=False)
            now = self._clock()
            if album == "0":
                self._singles.append(Group(account, chat_id, {message_id: message}, now))
            else:
                group = self._albums.setdefault((chat_id, album), Group(account, chat_id))
                group.items[message_id] = message
                group.last_at = now
        return True

    def add_many(self, account: str, messages: Iterable[Message]) -> int:
        """Buffer each message that can be read (the others are logged and skipped)."""
        added = 0
        for message in messages:
            try:
                added += self.add(account, message)
            except Unreadable as exc:
                log_skipped(log, message, exc, account=account)
        return added

    def edit(self, chat_id: int, message_id: int, content: dict[str, Any]) -> bool:
        """Replace a still-buffered message's content (an edit before the post was stored)."""
        with self._lock:
            for group in self._groups():
                if group.chat_id == chat_id and message_id in group.items:
                    group.items[message_id] = {**group.items[message_id], "content": content}
                    return True
        return False

    def drop(self, chat_id: int, message_ids: Iterable[int]) -> None:
        """Forget still-buffered messages that were deleted before the poll took them."""
        ids = set(message_ids)
        with self._lock:
            for group in self._groups():
                if group.chat_id == chat_id:
                    for mid in ids & set(group.items):
                        del group.items[mid]
            self._singles = [g for g in self._singles if g.items]
            self._albums = {k: g for k, g in self._albums.items() if g.items}

    def take(self, *, flush: bool = False) -> list[Group]:
        """Finished groups in arrival order: every single message, every quiet album
        (every album with ``flush``)."""
        with self._lock:
            now = self._clock()
            done = self._singles
            self._singles = []
            for key, group in list(self._albums.items()):
                if flush or now - group.last_at >= self.album_wait:
                    done.append(self._albums.pop(key))
        done.sort(key=lambda g: (g.last_at, g.chat_id, g.message_ids[0]))
        return done

    def __len__(self) -> int:
        with self._lock:
            return len(self._singles) + len(self._albums)

    def _groups(self) -> Iterable[Group]:
        yield from self._singles
        yield from self._albums.values()
