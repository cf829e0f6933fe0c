"""Each subscriber's history: one row per post shown, in the order shown (numpy, no torch).

A row holds the step's context (hour of the week, how it was asked for, position in its
round), its post (id, channel, category, media kind, age) and its feedback (see
:class:`oleg_recommender_argus.features.Col`). Offline the rows come from the
``Interactions`` alone (every rating a step, in time order); in a deployment from the
store's deliveries, rated or not (:mod:`oleg_recommender_argus.store_log`).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from oleg.types import IntArray, Interactions

from oleg_recommender_argus.features import N_COLS, Asked, Col, Feedback, feedback_of, hour_of_week
from oleg_recommender_argus.post_stats import PostStats

EMPTY = np.zeros((0, N_COLS), dtype=np.int64)


@dataclass(frozen=True)
class Window:
    """Rows ``start:end`` of one subscriber's history: one sequence. Training predicts the
    steps from ``first`` on (the earlier ones are only read); ``first`` None: all."""

    user: int
    start: int
    end: int
    first: int | None = None

    @property
    def first_target(self) -> int:
        return self.start if self.first is None else self.first


def window_start(n: int, max_len: int) -> int:
    """Where the window that predicts step ``n`` (0-based: the ``n`` steps before it are
    its history) begins. Up to ``max_len - 1`` steps it begins at 0; past that it moves
    half a window at a time, so a prediction reads between ``max_len - max_len // 2`` and
    ``max_len - 1`` steps and a server's cached keys and values are read again once every
    half window, not at every step. Training cuts its windows by the same rule
    (:meth:`Histories.windows`), so each step is learnt from the very window, and at the
    very position, it is later served from."""
    if n < max_len:
        return 0
    half = max(1, max_len // 2)
    return -(-(n - max_len + 1) // half) * half


def rows_from_interactions(data: Interactions, like_at: float, dislike_at: float) -> np.ndarray:
    """Ratings as history rows: a mailing step each, position 0, media kind and age unknown."""
    rows = np.zeros((len(data), N_COLS), dtype=np.int64)
    rows[:, Col.POST] = data.post
    rows[:, Col.CHANNEL] = data.channel
    rows[:, Col.CATEGORY] = data.category
    rows[:, Col.HOUR] = hour_of_week(data.time)
    rows[:, Col.ASKED] = Asked.MAILING
    rows[:, Col.FEEDBACK] = feedback_of(data.value, like_at, dislike_at)
    rows[:, Col.TIME] = data.time
    return rows


class Histories:
    """Subscriber id -> their rows, oldest first, with each (subscriber, post)'s row number so
    a rating arriving later relabels the step it answers."""

    def __init__(self) -> None:
        self.rows: dict[int, np.ndarray] = {}
        self._where: dict[int, dict[int, int]] = {}
        self._changed: dict[int, int] = {}
        """Subscriber -> the first step added or relabelled since :meth:`take_changes`."""
        self.stats = PostStats()
        """Every post's and channel's answers, kept as rows arrive and change."""

    def __len__(self) -> int:
        return sum(len(r) for r in self.rows.values())

    def _mark(self, user: int, step: int) -> None:
        if step < self._changed.get(user, step + 1):
            self._changed[user] = step

    def take_changes(self) -> dict[int, int]:
        """Subscriber -> the first of their steps that changed since the last call: what
        the serving caches must read again."""
        out, self._changed = self._changed, {}
        return out

    def users(self) -> list[int]:
        return list(self.rows)

    def of(self, user: int | None) -> np.ndarray:
        return self.rows.get(int(user), EMPTY) if user is not None else EMPTY

    def add(self, users: IntArray, rows: np.ndarray) -> set[int]:
        """Append ``rows`` (one per entry of ``users``) in time order; a row for a post the
        subscriber already has relabels that step instead. Returns the subscribers touched."""
        if len(users) == 0:
            return set()
        order = np.lexsort((np.arange(len(users)), rows[:, Col.TIME], users))
        users, rows = np.asarray(users)[order], rows[order]
        cuts = np.flatnonzero(np.diff(users)) + 1
        touched: set[int] = set()
        for chunk_users, chunk in zip(np.split(users, cuts), np.split(rows, cuts), strict=True):
            touched.add(self._add_one(int(chunk_users[0]), chunk))
        return touched

    def _add_one(self, user: int, chunk: np.ndarray) -> int:
        where = self._where.setdefault(user, {})
        old = self.rows.get(user, EMPTY)
        fresh = []
        for row in chunk:
            at = where.get(int(row[Col.POST]))
            if at is None:
                where[int(row[Col.POST])] = len(old) + len(fresh)
                fresh.append(row.copy())
            elif row[Col.FEEDBACK] != Feedback.SHOWN:  # "shown" never erases an answer
                target = old[at] if at < len(old) else fresh[at - len(old)]
                if target[Col.FEEDBACK] != row[Col.FEEDBACK]:
                    if at < len(old):
                        self._recount(target, int(row[Col.FEEDBACK]))
                    target[Col.FEEDBACK] = row[Col.FEEDBACK]
                    self._mark(user, at)
        if fresh:
            self._mark(user, len(old))
            new = np.stack(fresh)
            for post, channel, feedback in new[:, [Col.POST, Col.CHANNEL, Col.FEEDBACK]].tolist():
                self.stats.count(post, channel, feedback, 1)
            old = np.concatenate([old, new])
        self.rows[user] = old
        return user

    def _recount(self, row: np.ndarray, feedback: int) -> None:
        """A counted step's feedback becomes ``feedback``."""
        post, channel = int(row[Col.POST]), int(row[Col.CHANNEL])
        self.stats.count(post, channel, int(row[Col.FEEDBACK]), -1)
        self.stats.count(post, channel, feedback, 1)

    def relabel(
        self, users: IntArray, posts: IntArray, feedback: IntArray
    ) -> tuple[set[int], np.ndarray]:
        """Set the feedback of steps already there; returns the users touched and a mask of
        the ratings that matched no step."""
        missing = np.ones(len(users), dtype=bool)
        touched: set[int] = set()
        for i, (u, p, f) in enumerate(
            zip(users.tolist(), posts.tolist(), feedback.tolist(), strict=True)
        ):
            at = self._where.get(u, {}).get(p)
            if at is not None:
                if self.rows[u][at, Col.FEEDBACK] != f:
                    self._recount(self.rows[u][at], f)
                    self.rows[u][at, Col.FEEDBACK] = f
                    self._mark(u, at)
                missing[i] = False
                touched.add(u)
        return touched, missing

    def windows(
        self,
        max_len: int,
        users: Iterable[int] | None = None,
        *,
        last_only: bool = False,
        hold_last: Container[int] = frozenset(),
        held_steps: int = 1,
    ) -> list[Window]:
        """Training sequences, cut as :func:`window_start` serves: windows of ``max_len``
        steps beginning every half window, each predicting the steps that would be served
        from it (the first all of its own, every later one its second part), so each step is
        a target once. ``last_only`` (an incremental round): the window that serves each
        history's newest step, every step of it a target (the round goes over the steps
        before the new ones again, as a replay); the
        histories of ``hold_last`` without their last ``held_steps`` steps (held out,
        :mod:`oleg_recommender_argus.holdout`)."""
        out: list[Window] = []
        half = max(1, max_len // 2)
        for user in self.rows if users is None else users:
            n = len(self.of(user)) - (held_steps if user in hold_last else 0)
            if n <= 0:
                continue
            if last_only:  # an incremental round: the newest window, every step of it
                start = window_start(n - 1, max_len)
                out.append(Window(int(user), start, n, start))
                continue
            for start in range(0, n, half):
                first = start if start == 0 else start + max_len - half
                if first >= n:
                    break
                out.append(Window(int(user), start, min(start + max_len, n), first))
        return out

    def all_rows(self) -> Iterator[np.ndarray]:
        yield from self.rows.values()
