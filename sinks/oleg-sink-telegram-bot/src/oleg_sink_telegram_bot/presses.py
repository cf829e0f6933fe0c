"""A 👍/👎 press: verify it, store it durably, then answer and mark the choice.

Order matters: the feedback is in the store before the subscriber sees "noted", so an
acknowledged vote is never lost. The answer and the edit are not messages: they skip the
mailing round's rate limiter (see the README), so a press is answered at once even while a
round is being paced. Runs on its own worker thread, never on TDLib's update dispatcher.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from oleg.types import LIKE, FeedbackEvent
from oleg_tdlib import requests as rq
from oleg_tdlib import translate
from oleg_tdlib.errors import TdClosed, TdError, TdTimeout
from oleg_tdlib.reading import Unreadable, log_skipped
from oleg_tdlib.transport import TdClient

from oleg_sink_telegram_bot import payload
from oleg_sink_telegram_bot.keyboard import feedback_keyboard
from oleg_sink_telegram_bot.settings import Texts

if TYPE_CHECKING:
    from oleg.runtime import RecordFeedback
    from oleg.store.views import StoreReader

log = logging.getLogger(__name__)


class Presses:
    def __init__(
        self,
        store: StoreReader,
        record_feedback: RecordFeedback,
        client: Callable[[], TdClient],
        key: bytes,
        texts: Texts,
        *,
        now: Callable[[], datetime],
        timeout: float,
    ) -> None:
        self.store = store
        self.record_feedback = record_feedback
        self.client = client
        self.key = key
        self.texts = texts
        self.now = now
        self.timeout = timeout
        self.counts = {"stored": 0, "repeated": 0, "expired": 0, "unreadable": 0, "refused": 0}

    def on_press(self, update: dict[str, Any]) -> None:
        try:
            press = translate.callback_press(update)
        except Unreadable as exc:  # answered when it can be: the button stops spinning
            self.counts["unreadable"] += 1
            log_skipped(log, update, exc)
            self._answer(translate.query_id_of(update) or "", self.texts.expired)
            return
        if press is None:
            self._answer(translate.query_id_of(update) or "", self.texts.expired)
            return
        vote = payload.decode(self.key, press.data, press.chat_id)
        if vote is None or not self._belongs(vote.delivery_id, press.chat_id, press.user_id):
            self.counts["expired"] += 1
            log.info("ignored a press on an expired or foreign button (chat %d)", press.chat_id)
            self._answer(press.query_id, self.texts.expired)
            return
        try:
            (stored,) = self.record_feedback([FeedbackEvent(vote.delivery_id, vote.value, self.now())])
        except Exception:
            log.exception("storing a press failed")
            self._answer(press.query_id, self.texts.try_again)
            return
        if not stored:
            self.counts["repeated"] += 1
            self._answer(press.query_id, self.texts.already_noted)
            return
        self.counts["stored"] += 1
        noted = self.texts.noted_like if vote.value == LIKE else self.texts.noted_dislike
        markup = feedback_keyboard(self.key, vote.delivery_id, press.chat_id, chosen=vote.value)
        self._send(
            ("answerCallbackQuery", rq.answer_callback(press.query_id, noted)),
            (
                "editMessageReplyMarkup",
                rq.edit_reply_markup(press.chat_id, press.message_id, markup),
            ),
        )

    def refuse(self, update: dict[str, Any]) -> None:
        """A press that found the queue full: "try again" at once, on the caller's thread
        (TDLib's dispatcher), sent without waiting for the reply."""
        self.counts["refused"] += 1
        query = translate.query_id_of(update)
        if not query:
            return
        try:
            answer = rq.answer_callback(query, self.texts.try_again)
            self.client().send("answerCallbackQuery", answer)
        except TdClosed as exc:
            log.warning("%s", exc)

    def _belongs(self, delivery_id: int, chat_id: int, user_id: int) -> bool:
        """The delivery exists and went to the subscriber behind this private chat."""
        if user_id != chat_id:
            return False
        delivery = self.store.delivery(delivery_id)
        if delivery is None:
            return False
        subscriber = self.store.subscriber_by_external(str(chat_id))
        return subscriber is not None and subscriber.id == delivery.subscriber_id

    def _answer(self, query_id: str, text: str) -> None:
        if query_id:
            self._send(("answerCallbackQuery", rq.answer_callback(query_id, text)))

    def _send(self, *requests: tuple[str, dict[str, Any]]) -> None:
        """Send all at once, then wait for each (errors are logged: a press is already stored)."""
        try:
            client = self.client()
            pending = [client.send(method, params) for method, params in requests]
            for p in pending:
                try:
                    client.wait(p, self.timeout)
                except (TdError, TdTimeout) as exc:
                    log.warning("%s", exc)
        except TdClosed as exc:
            log.warning("%s", exc)
