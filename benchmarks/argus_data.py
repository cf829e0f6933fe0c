"""The data sets the argus benchmarks share: MovieLens latest-small's ratings as the three
kinds of feedback a subscriber gives (>= 4 stars 👍, <= 2 stars 👎, the rest shown and not
answered), and a user sample that keeps a default run within minutes on 2 cores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from oleg.types import Interactions
from oleg_evaluation import Dataset, load_ratings

LIKE, SHOWN, DISLIKE = 1.0, 0.5, 0.0


def movielens_feedback(folder: Path) -> Dataset:
    """Ratings on 0..1 as 1 (like), 0.5 (shown) and 0 (dislike); relevant for top-K: likes.
    argus reads 0.5 as "shown" (its ``like_at``/``dislike_at`` are 0.75/0.25)."""
    stars = load_ratings(
        folder / "ratings.csv", items=folder / "movies.csv", name="MovieLens latest-small"
    )
    lo, hi = stars.scale or (0.5, 5.0)
    original = lo + stars.interactions.value * (hi - lo)
    value = np.where(original >= 4.0, LIKE, np.where(original <= 2.0, DISLIKE, SHOWN))
    inter = stars.interactions
    data = Interactions(inter.user, inter.post, inter.channel, value, inter.time, inter.category)
    return Dataset(
        name="MovieLens latest-small feedback (>=4 like, <=2 dislike, else shown)",
        interactions=data,
        kind="explicit",
        positive_at=LIKE,
        channel_names=stars.channel_names,
        source=str(folder),
    )


def sample_users(data: Dataset, share: float, seed: int) -> Dataset:
    """A ``share`` of the users, drawn with ``seed``, with all their rows (1: all)."""
    if share >= 1.0:
        return data
    users = np.unique(data.interactions.user)
    rng = np.random.default_rng(seed)
    keep = rng.choice(users, size=max(1, round(share * len(users))), replace=False)
    inter = data.interactions.take(np.isin(data.interactions.user, keep))
    return Dataset(
        name=f"{data.name}, {share:.0%} of users",
        interactions=inter,
        kind=data.kind,
        scale=data.scale,
        positive_at=data.positive_at,
        channel_names=data.channel_names,
        source=data.source,
    )
