"""Every rating the engine has read, in memory, in id order with its id: a full fit does
not re-read the store, and held-out ratings are cut by id (those after a version's cutoff).

Beside the ratings, the posts shown and never answered (``[engine.unanswered]``), by
delivery id: weak 👎s that lines of models learn from but are never judged on."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from oleg.config.sections import UnansweredSettings
from oleg.store import Store
from oleg.types import Interactions


class _Rows:
    """Interactions with an increasing id per row, cut by id."""

    def __init__(self) -> None:
        self.data = Interactions.empty()
        self.ids = np.zeros(0, dtype=np.int64)

    def append(self, data: Interactions, ids: np.ndarray) -> None:
        if len(ids):
            self.data = self.data.concat(data) if len(self.ids) else data
            self.ids = np.concatenate([self.ids, ids])

    def after(self, row_id: int) -> Interactions:
        start = int(np.searchsorted(self.ids, row_id, side="right"))
        return self.data.take(slice(start, None))


class FeedbackLog:
    def __init__(
        self, *, inverse_propensity: bool = False, unanswered: UnansweredSettings | None = None
    ) -> None:
        self.inverse_propensity = inverse_propensity
        """Weigh each row by 1 / its delivery's logged propensity (``[engine]
        inverse_propensity``), for models that correct for what the policy chose to show."""
        self.unanswered = unanswered or UnansweredSettings()
        """Which posts shown and never answered :meth:`catch_up` reads, and their weight."""
        self._ratings = _Rows()
        self._unanswered = _Rows()
        self.unanswered_cursor = 0
        """The highest delivery id looked at for unanswered posts."""

    def __len__(self) -> int:
        return len(self._ratings.ids)

    @property
    def data(self) -> Interactions:
        """Every rating read (not the unanswered posts)."""
        return self._ratings.data

    @property
    def last_id(self) -> int:
        ids = self._ratings.ids
        return int(ids[-1]) if len(ids) else 0

    def read(self, store: Store) -> int:
        """Append the ratings stored since the last read; returns how many."""
        batch = store.feedback_batch(after_id=self.last_id)
        self._ratings.append(self._weighted(batch.data, batch.propensity, 1.0), batch.ids)
        return len(batch.ids)

    def catch_up(self, store: Store, now: datetime) -> int:
        """What the deployment learns from, read up to ``now``: the ratings stored since the
        last read and, with ``[engine.unanswered]``, the posts left unanswered for its
        ``after``. The engine's registry, ``oleg train`` and ``oleg export vw`` all read
        through here, so a model fitted by hand learns what the running engine's would.
        Returns the rows read."""
        read = self.read(store)
        if self.unanswered.after is not None:
            read += self.read_unanswered(
                store, sent_before=now - self.unanswered.after, weight=self.unanswered.weight
            )
        return read

    def read_unanswered(self, store: Store, *, sent_before: datetime, weight: float) -> int:
        """Append the deliveries sent by ``sent_before`` that got no rating, as 👎 of
        ``weight``; returns how many."""
        batch, self.unanswered_cursor = store.unanswered_batch(
            after_id=self.unanswered_cursor, sent_before=sent_before
        )
        self._unanswered.append(self._weighted(batch.data, batch.propensity, weight), batch.ids)
        return len(batch.ids)

    def _weighted(self, data: Interactions, propensity: np.ndarray, weight: float) -> Interactions:
        """``data`` with its rows' weights: ``weight``, divided by each row's logged
        propensity when ``inverse_propensity`` (a propensity not logged counts as 1); no
        weight column at all when every row would weigh 1."""
        if not len(data) or (weight == 1.0 and not self.inverse_propensity):
            return data
        weights = np.full(len(data), weight)
        if self.inverse_propensity:
            logged = np.where(np.isfinite(propensity) & (propensity > 0), propensity, 1.0)
            weights = weights / logged
        return Interactions.from_arrays(
            data.user, data.post, data.channel, data.value, data.time, data.category,
            weight=weights,
        )

    @property
    def last_unanswered_id(self) -> int:
        ids = self._unanswered.ids
        return int(ids[-1]) if len(ids) else 0

    def after(self, feedback_id: int) -> Interactions:
        """The ratings with an id above ``feedback_id``."""
        return self._ratings.after(feedback_id)

    def unanswered_after(self, delivery_id: int) -> Interactions:
        """The unanswered posts with a delivery id above ``delivery_id``."""
        return self._unanswered.after(delivery_id)

    def training(self, feedback_id: int = 0, delivery_id: int = 0) -> Interactions:
        """What a line learns: the ratings after ``feedback_id``, then the unanswered posts
        after ``delivery_id`` (weighted; real ratings weigh 1). Everything from (0, 0)."""
        ratings = self.after(feedback_id)
        weak = self.unanswered_after(delivery_id)
        if not len(weak):
            return ratings
        both = ratings.concat(weak) if len(ratings) else weak
        return both.take(np.argsort(both.time, kind="stable"))  # in time order, as they came

    def first_id_after(self, feedback_id: int) -> int | None:
        ids = self._ratings.ids
        start = int(np.searchsorted(ids, feedback_id, side="right"))
        return int(ids[start]) if start < len(ids) else None
