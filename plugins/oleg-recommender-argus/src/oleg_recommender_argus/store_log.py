"""A deployment's deliveries as history rows, read from the store page by page.

Every delivery is a step, rated or not. How it was asked for comes from its policy
(``cold_start:...`` is a cold start) and from its round: the store does not record a
``/more``, but a mailing round sends one post time to every due subscriber, so a
recommender delivery that no other subscriber shares its ``sent_at`` with, in a store with
more than one subscriber, was a ``/more``. Its position is its rank among the posts the
subscriber got at that time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
from oleg.store.deliveries import LoggedDelivery
from oleg.store.views import StoreReader
from oleg.types import PolicyKind, category_code, to_epoch

from oleg_recommender_argus.features import (
    N_COLS,
    Asked,
    Col,
    Feedback,
    age_bucket,
    hour_of_week,
    media_codes,
)

PAGE = 10_000


@dataclass
class LogRows:
    """Rows of deliveries, with who got each and its stored rating (-1: none)."""

    users: np.ndarray
    rows: np.ndarray
    rating: np.ndarray

    def take(self, mask: np.ndarray) -> LogRows:
        return LogRows(self.users[mask], self.rows[mask], self.rating[mask])


def rows_of(logged: list[LoggedDelivery], *, many_subscribers: bool) -> LogRows:
    n = len(logged)
    rows = np.zeros((n, N_COLS), dtype=np.int64)
    if n == 0:
        return LogRows(np.zeros(0, np.int64), rows, np.zeros(0, np.int64))
    sent = np.array([to_epoch(x.delivery.sent_at) for x in logged], dtype=np.int64)
    users = np.array([x.delivery.subscriber_id for x in logged], dtype=np.int64)
    rows[:, Col.POST] = [x.delivery.post_id for x in logged]
    rows[:, Col.CHANNEL] = [x.post.channel_id for x in logged]
    rows[:, Col.CATEGORY] = [category_code(x.post.category) for x in logged]
    rows[:, Col.MEDIA] = media_codes([x.post.media_kind for x in logged])
    rows[:, Col.AGE] = age_bucket(
        sent, np.array([to_epoch(x.post.date) for x in logged], dtype=np.int64)
    )
    rows[:, Col.HOUR] = hour_of_week(sent)
    rows[:, Col.TIME] = sent
    rows[:, Col.FEEDBACK] = Feedback.SHOWN
    sharing = Counter()
    for t, subs in _subscribers_by_time(sent, users).items():
        sharing[t] = len(subs)
    position: dict[tuple[int, int], int] = defaultdict(int)
    for i, x in enumerate(logged):
        key = (int(users[i]), int(sent[i]))
        rows[i, Col.POSITION] = position[key]
        position[key] += 1
        if x.delivery.policy.kind is PolicyKind.COLD_START:
            rows[i, Col.ASKED] = Asked.COLD_START
        elif many_subscribers and sharing[int(sent[i])] == 1:
            rows[i, Col.ASKED] = Asked.MORE
        else:
            rows[i, Col.ASKED] = Asked.MAILING
    rating = np.array([-1 if x.value is None else int(x.value) for x in logged], dtype=np.int64)
    return LogRows(users, rows, rating)


def _subscribers_by_time(sent: np.ndarray, users: np.ndarray) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    for t, u in zip(sent.tolist(), users.tolist(), strict=True):
        out[t].add(u)
    return out


class StoreLog:
    """A cursor over the store's deliveries."""

    def __init__(self, store: StoreReader) -> None:
        self.store = store
        self.cursor = 0

    def read(self, *, until: int | None = None) -> LogRows:
        """The deliveries after the cursor (only those sent at or before ``until``, epoch
        seconds, when given: the cursor stops at the first one after it)."""
        got: list[LoggedDelivery] = []
        while True:
            page = self.store.delivery_log(after_id=self.cursor, limit=PAGE)
            stop = False
            for x in page:
                if until is not None and to_epoch(x.delivery.sent_at) > until:
                    stop = True
                    break
                got.append(x)
                self.cursor = int(x.delivery.id or self.cursor)
            if stop or len(page) < PAGE:
                break
        many = len(self.store.subscribers(active_only=False)) > 1
        return rows_of(got, many_subscribers=many)
