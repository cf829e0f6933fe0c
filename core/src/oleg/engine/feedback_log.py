"""Every rating the engine has read, in memory, in id order with its id: a full fit does
not re-read the store, and held-out ratings are cut by id (those after a version's cutoff)."""

from __future__ import annotations

import numpy as np

from oleg.store import Store
from oleg.types import Interactions


class FeedbackLog:
    def __init__(self) -> None:
        self.data = Interactions.empty()
        self.ids = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def last_id(self) -> int:
        return int(self.ids[-1]) if len(self.ids) else 0

    def read(self, store: Store) -> int:
        """Append the ratings stored since the last read; returns how many."""
        new, ids = store.feedback_with_ids(after_id=self.last_id)
        if len(ids):
            self.data = self.data.concat(new) if len(self.ids) else new
            self.ids = np.concatenate([self.ids, ids])
        return len(ids)

    def after(self, feedback_id: int) -> Interactions:
        """The ratings with an id above ``feedback_id``."""
        start = int(np.searchsorted(self.ids, feedback_id, side="right"))
        return self.data.take(slice(start, None))

    def first_id_after(self, feedback_id: int) -> int | None:
        start = int(np.searchsorted(self.ids, feedback_id, side="right"))
        return int(self.ids[start]) if start < len(self.ids) else None
