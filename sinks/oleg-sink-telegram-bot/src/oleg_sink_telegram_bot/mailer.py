"""One mailing round: paced, pipelined sends and every outcome reported.

Sends go out as fast as the rate limiter allows without waiting for each other; the round
then waits (up to ``send_timeout`` after its last send) for TDLib's outcome of each message.
A 429 pauses the limiter as soon as it is seen (in the reply or in the outcome update), so
the rest of the round waits it out instead of collecting more 429s; that delivery is
reported with ``retry_after`` and the engine sends it again. Nothing raises out of
:meth:`Mailer.deliver`: a failed request is an outcome like any other.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from oleg.types import DeliveryResult, Outgoing
from oleg_tdlib import requests as rq
from oleg_tdlib.errors import TdClosed, TdError, TdTimeout
from oleg_tdlib.ratelimit import RateLimiter, SendWindow
from oleg_tdlib.transport import TdClient

from oleg_sink_telegram_bot.compose import Composer, Send
from oleg_sink_telegram_bot.outcomes import Key, Outcomes

log = logging.getLogger(__name__)

_CREATE_CHUNK = 500


@dataclass
class _Item:
    """One delivery in flight: its messages' keys once TDLib named them, and the errors."""

    out: Outgoing
    chat_id: int
    keys: list[Key] = field(default_factory=list)
    errors: list[TdError] = field(default_factory=list)
    unanswered: int = 0


def by_chat_round_robin(batch: Sequence[Outgoing]) -> list[Outgoing]:
    """The first post of every subscriber, then the second of each, ...: two messages to one
    chat are a batch apart, so the per-chat interval rarely holds the whole round."""
    per_chat: dict[str, list[Outgoing]] = {}
    for item in batch:
        per_chat.setdefault(item.subscriber.external_id, []).append(item)
    if all(len(v) == 1 for v in per_chat.values()):
        return list(batch)
    return [o for row in zip_longest(*per_chat.values()) for o in row if o is not None]


def result_of(item: _Item) -> DeliveryResult:
    """The engine's view of a delivery: gone beats retry beats error beats sent."""
    delivery_id = item.out.delivery.id if item.out.delivery.id is not None else -1
    gone = next((e for e in item.errors if e.recipient_gone), None)
    if gone is not None:
        return DeliveryResult(delivery_id, ok=False, error=gone.message, subscriber_gone=True)
    flood = next((e for e in item.errors if e.retry_after is not None), None)
    if flood is not None:
        return DeliveryResult(
            delivery_id, ok=False, error=flood.message, retry_after=flood.retry_after
        )
    if item.errors:
        e = item.errors[0]
        return DeliveryResult(delivery_id, ok=False, error=f"{e.code} {e.message}")
    return DeliveryResult(delivery_id, ok=True)


class Mailer:
    """Sends batches for one bot client; remembers which chats the client knows."""

    def __init__(
        self,
        client: TdClient,
        limiter: RateLimiter,
        outcomes: Outcomes,
        composer: Composer,
        window: SendWindow,
        *,
        send_timeout: float,
        request_timeout: float,
    ) -> None:
        self.client = client
        self.limiter = limiter
        self.outcomes = outcomes
        self.composer = composer
        self.window = window
        self.send_timeout = send_timeout
        self.request_timeout = request_timeout
        self.known_chats: set[int] = set()
        self._phantom = itertools.count(-1, -1)
        self.stats = {"sent": 0, "failed": 0, "retry": 0, "gone": 0, "unconfirmed": 0}

    # -- the round ----------------------------------------------------------------------

    def deliver(self, batch: Sequence[Outgoing]) -> list[DeliveryResult]:
        self.outcomes.prune()
        ordered = by_chat_round_robin(batch)
        items = [_Item(o, int(o.subscriber.external_id)) for o in ordered]
        chat_errors = self._ensure_chats({i.chat_id for i in items})
        try:
            self.composer.prepare(ordered)
        except Exception as exc:  # the store failed: report, never raise
            log.exception("looking up the bot's copies failed")
            return [result_of(_fail(i, TdError(0, f"store: {exc}"))) for i in items]
        inflight: deque[tuple[_Item, Any]] = deque()
        last_send = time.monotonic()
        for item in items:
            if item.chat_id in chat_errors:
                item.errors.append(chat_errors[item.chat_id])
                continue
            for send in self.composer.sends(item.out, item.chat_id):
                self._pace(item.chat_id, send)
                try:
                    inflight.append((item, self.client.send(send.method, send.params)))
                except TdClosed as exc:
                    item.errors.append(TdError(500, str(exc), send.method))
                    break
                last_send = time.monotonic()
                self._collect_replies(inflight, block=False)
        self._collect_replies(inflight, block=True)
        keys = [k for i in items for k in i.keys]
        if not self.outcomes.wait_all(keys, last_send + self.send_timeout):
            log.debug("some outcomes did not come within send_timeout")
        for item in items:
            for key in item.keys:
                came, error = self.outcomes.take(key)
                if not came:
                    item.unanswered += 1
                elif error is not None:
                    item.errors.append(error)
        return self._results(items)

    def _results(self, items: list[_Item]) -> list[DeliveryResult]:
        results = [result_of(i) for i in items]
        for item, r in zip(items, results, strict=True):
            if item.unanswered and r.ok:
                self.stats["unconfirmed"] += 1
            if r.ok:
                self.stats["sent"] += 1
            elif r.subscriber_gone:
                self.stats["gone"] += 1
            elif r.retry_after is not None:
                self.stats["retry"] += 1
            else:
                self.stats["failed"] += 1
        unconfirmed = sum(1 for i in items if i.unanswered)
        if unconfirmed:
            log.warning(
                "%d of %d deliveries had no outcome within %g s; counted as sent "
                "(TDLib keeps sending)",
                unconfirmed,
                len(items),
                self.send_timeout,
            )
        return results

    def _pace(self, chat_id: int, send: Send) -> None:
        """Wait for this send's slots. An album of N is one message for the chat's interval
        but N for the overall rate (as Telegram counts it): the N-1 extra slots are booked
        under chat ids no private chat has (negative), since the limiter has no other way
        to book a global-only slot."""
        count = 1
        if send.method == "sendMessageAlbum":
            count = len(send.params["input_message_contents"])
            for _ in range(count - 1):
                self.limiter.acquire(next(self._phantom))
        self.limiter.acquire(chat_id)
        self.window.take(count)

    # -- replies ------------------------------------------------------------------------

    def _collect_replies(self, inflight: deque[tuple[_Item, Any]], *, block: bool) -> None:
        """Read the answers to sends in order: temporary ids to wait on, or errors. Not
        blocking, it stops at the first send still unanswered."""
        while inflight:
            item, pending = inflight[0]
            if not block and not pending.event.is_set():
                return
            inflight.popleft()
            try:
                reply = self.client.wait(pending, self.request_timeout)
            except TdError as exc:
                self._failed(item, exc)
                continue
            except (TdTimeout, TdClosed) as exc:
                item.errors.append(TdError(500, str(exc), pending.method))
                continue
            keys = message_keys(reply)
            item.keys.extend(keys)
            self.outcomes.expect(keys)

    def _failed(self, item: _Item, exc: TdError) -> None:
        if exc.retry_after is not None:
            self.limiter.pause(exc.retry_after)
            log.warning(
                "Telegram asks to wait %g s (%s); sending pauses", exc.retry_after, exc.request
            )
        if exc.message.lower().startswith("chat not found"):
            self.known_chats.discard(item.chat_id)
        item.errors.append(exc)

    # -- chats --------------------------------------------------------------------------

    def _ensure_chats(self, chats: set[int]) -> dict[int, TdError]:
        """``createPrivateChat`` (pipelined) for chats this client has not opened in this
        session: TDLib answers "Chat not found" to a send into a chat it does not know."""
        unknown = sorted(chats - self.known_chats)
        errors: dict[int, TdError] = {}
        for chunk in _chunks(unknown, _CREATE_CHUNK):
            pending = []
            for chat in chunk:
                try:
                    pending.append(
                        (
                            chat,
                            self.client.send("createPrivateChat", rq.create_private_chat(chat)),
                        )
                    )
                except TdClosed as exc:
                    errors[chat] = TdError(500, str(exc), "createPrivateChat")
            for chat, p in pending:
                try:
                    self.client.wait(p, self.request_timeout)
                    self.known_chats.add(chat)
                except TdError as exc:
                    errors[chat] = exc
                except (TdTimeout, TdClosed) as exc:
                    errors[chat] = TdError(500, str(exc), "createPrivateChat")
        return errors


def _fail(item: _Item, error: TdError) -> _Item:
    item.errors.append(error)
    return item


def _chunks(seq: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def message_keys(reply: dict[str, Any]) -> list[Key]:
    """(chat id, temporary id) of each still pending message a send reply holds (``message``
    or ``messages``): only those get an outcome update later."""
    messages = reply.get("messages") or [] if reply.get("@type") == "messages" else [reply]
    return [
        (int(m["chat_id"]), int(m["id"]))
        for m in messages
        if m
        and "id" in m
        and (m.get("sending_state") or {}).get("@type") == "messageSendingStatePending"
    ]
