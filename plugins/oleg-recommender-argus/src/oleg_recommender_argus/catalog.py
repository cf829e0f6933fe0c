"""The posts the histories hold, with their codes and how often each was shown: the pool
of uniform negatives and the logQ of in-batch ones."""

from __future__ import annotations

import numpy as np

from oleg_recommender_argus.batches import Codes
from oleg_recommender_argus.features import Col
from oleg_recommender_argus.histories import Histories


class Catalog:
    def __init__(self, histories: Histories, codes: Codes) -> None:
        rows = [r for r in histories.all_rows() if len(r)]
        allrows = np.concatenate(rows) if rows else np.zeros((0, len(Col)), dtype=np.int64)
        posts, first, counts = np.unique(
            allrows[:, Col.POST], return_index=True, return_counts=True
        )
        self.posts = posts
        self.counts = counts
        self.total = max(1, int(counts.sum()))
        self.codes = (
            codes.item_codes_of_rows(allrows[first])
            if len(first)
            else np.zeros((0, codes.width), np.int64)
        )
        media = allrows[first, Col.MEDIA] if len(first) else np.zeros(0, np.int64)
        self.media = dict(zip(posts.tolist(), media.tolist(), strict=True))

    def __len__(self) -> int:
        return len(self.posts)

    def share(self, post: np.ndarray) -> np.ndarray:
        """count / total of each post (posts not held: one count)."""
        at = np.clip(np.searchsorted(self.posts, post), 0, max(0, len(self.posts) - 1))
        found = len(self.posts) > 0
        c = (
            np.where(found & (self.posts[at] == post), self.counts[at], 1)
            if found
            else np.ones(len(post))
        )
        return c / self.total
