"""What every data source turns into: one :class:`Dataset` the splits and the runner share.

oleg's recommenders learn P(👍) on 0..1, so a source's values are brought to that scale
here once (explicit stars rescaled, likes kept as 1/0), and what is needed to report on
the source's own terms travels along: the original rating scale, which ratings count as
positives for top-K metrics, and the names of the channels the items were mapped to.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from oleg.types import FloatArray, Interactions

Kind = Literal["explicit", "binary", "implicit"]
"""explicit: graded ratings (stars); binary: 👍 (1) / 👎 (0); implicit: positives only."""


@dataclass(frozen=True)
class Dataset:
    """Interactions on oleg's 0..1 scale plus what is needed to judge them.

    ``scale`` is the original (min, max) of explicit ratings; ``positive_at`` the original
    rating from which an interaction counts as a positive in top-K metrics (e.g. 4 stars).
    ``channel_names`` names the channel ids items were mapped to (genres, for MovieLens).
    ``skipped`` counts the bad rows left out when the source was read with ``skip_bad``.
    """

    name: str
    interactions: Interactions
    kind: Kind
    scale: tuple[float, float] | None = None
    positive_at: float | None = None
    channel_names: dict[int, str] = field(default_factory=dict)
    source: str = ""
    skipped: int = 0
    skipped_examples: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.interactions)

    @property
    def n_users(self) -> int:
        return len(np.unique(self.interactions.user))

    @property
    def n_items(self) -> int:
        return len(np.unique(self.interactions.post))

    def to_original(self, values: FloatArray) -> FloatArray:
        """Values on 0..1 back on the source's scale (the identity without one)."""
        if self.scale is None:
            return np.asarray(values, dtype=np.float64)
        lo, hi = self.scale
        return lo + np.asarray(values, dtype=np.float64) * (hi - lo)

    def positive(self, values: FloatArray) -> np.ndarray:
        """Which 0..1 values count as positives (relevant) for top-K metrics."""
        v = np.asarray(values, dtype=np.float64)
        if self.kind == "implicit":
            return np.ones(len(v), dtype=bool)
        if self.kind == "binary":
            return v > 0.5
        threshold = rescale_value(self.positive_at, self.scale) if self.positive_at is not None else 0.5
        return v >= threshold - 1e-9

    def binarized(self) -> Dataset:
        """The same ratings as 👍 (at or above ``positive_at``) and 👎 (below): how oleg's own
        feedback looks, for recommenders built for likes (ALS, popular as a like rate).
        ``positive_at`` stays, to say where the line was drawn."""
        if self.kind != "explicit":
            return self
        inter = self.interactions
        liked = self.positive(inter.value).astype(np.float64)
        data = Interactions(inter.user, inter.post, inter.channel, liked, inter.time, inter.category)
        return replace(self, interactions=data, kind="binary", scale=None, name=f"{self.name} (likes)")

    def describe(self) -> dict[str, object]:
        """A JSON-ready summary for reports."""
        return {
            "name": self.name,
            "source": self.source,
            "kind": self.kind,
            "rows": len(self),
            "users": self.n_users,
            "items": self.n_items,
            "channels": len(np.unique(self.interactions.channel)),
            "scale": list(self.scale) if self.scale else None,
            "positive_at": self.positive_at,
            "skipped_rows": self.skipped,
        }


def rescale_value(value: float, scale: tuple[float, float] | None) -> float:
    if scale is None:
        return float(value)
    lo, hi = scale
    return (float(value) - lo) / (hi - lo) if hi > lo else 0.5


def rescale(values: FloatArray, scale: tuple[float, float]) -> FloatArray:
    """(r - min) / (max - min): explicit ratings on oleg's 0..1 scale."""
    lo, hi = scale
    v = np.asarray(values, dtype=np.float64)
    return (v - lo) / (hi - lo) if hi > lo else np.full(len(v), 0.5)
