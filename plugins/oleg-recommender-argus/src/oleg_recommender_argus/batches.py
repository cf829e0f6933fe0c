"""History rows -> the network's codes and padded tensors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from oleg.types import IntArray

from oleg_recommender_argus.features import (
    CATEGORY_BUCKETS,
    CHANNEL_BUCKETS,
    MAX_POSITION,
    Col,
    bucket,
    post_hashes,
)
from oleg_recommender_argus.histories import Histories, Window
from oleg_recommender_argus.net import Batch


class Codes:
    """How ids become table rows: fixed by the settings, the same in every process."""

    def __init__(self, hash_buckets: int, n_hashes: int) -> None:
        self.hash_buckets = hash_buckets
        self.n_hashes = n_hashes

    @property
    def width(self) -> int:
        return self.n_hashes + 4

    def items(
        self, post: IntArray, channel: IntArray, category: IntArray, media: IntArray, age: IntArray
    ) -> IntArray:
        """(n, width): hashed post rows, channel, category, media kind, age bucket."""
        return np.concatenate(
            [
                post_hashes(post, self.hash_buckets, self.n_hashes),
                bucket(channel, CHANNEL_BUCKETS, 1)[:, None],
                bucket(category, CATEGORY_BUCKETS, 2)[:, None],
                np.asarray(media, dtype=np.int64)[:, None],
                np.asarray(age, dtype=np.int64)[:, None],
            ],
            axis=1,
        )

    def item_codes_of_rows(self, rows: np.ndarray) -> IntArray:
        return self.items(
            rows[:, Col.POST],
            rows[:, Col.CHANNEL],
            rows[:, Col.CATEGORY],
            rows[:, Col.MEDIA],
            rows[:, Col.AGE],
        )

    @staticmethod
    def context(rows: np.ndarray) -> IntArray:
        return np.stack(
            [
                rows[:, Col.HOUR],
                rows[:, Col.ASKED],
                np.minimum(rows[:, Col.POSITION], MAX_POSITION),
            ],
            axis=1,
        )

    def batch(
        self, histories: Histories, windows: Sequence[Window], device: torch.device
    ) -> tuple[Batch, torch.Tensor]:
        """Windows padded on the right to the longest; returns the batch and each length."""
        lengths = np.array([w.end - w.start for w in windows], dtype=np.int64)
        n = int(lengths.max()) if len(windows) else 0
        b = len(windows)
        items = np.zeros((b, n, self.width), dtype=np.int64)
        context = np.zeros((b, n, 3), dtype=np.int64)
        feedback = np.zeros((b, n), dtype=np.int64)
        valid = np.zeros((b, n), dtype=bool)
        parts = [histories.of(w.user)[w.start : w.end] for w in windows]
        if n:  # every window's rows coded at once, then put in place
            rows = np.concatenate(parts)
            at = np.repeat(np.arange(b), lengths)
            step = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            items[at, step] = self.item_codes_of_rows(rows)
            context[at, step] = self.context(rows)
            feedback[at, step] = rows[:, Col.FEEDBACK]
            valid[at, step] = True
        offset = np.array([w.first_target - w.start for w in windows], dtype=np.int64)
        target = valid & (np.arange(n)[None, :] >= offset[:, None])
        t = lambda a: torch.from_numpy(a).to(device)  # noqa: E731
        return Batch(t(items), t(context), t(feedback), t(valid), t(target)), t(lengths)
