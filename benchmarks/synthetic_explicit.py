"""Synthetic explicit ratings from a known low-rank model plus noise, with their noise floor.

Stars = mean + user bias + post bias + user · (channel + post) + noise, rank 8, rounded to
half stars from 0.5 to 5, posts drawn with a Zipf-like popularity (as real catalogues are):
the shape MovieLens has, but with a truth known to the row: the floor of a split's test
RMSE is the RMSE of the best possible prediction, E[stars | truth], not 0.
``bench_defaults.py`` measures models against it at several sizes; ``write_csv`` gives
``oleg tune ratings`` the same rows.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from oleg import Interactions
from oleg_evaluation import Dataset
from scipy.stats import norm

LOW, HIGH = 0.5, 5.0
RANK = 8
NOISE = 0.6
"""Noise standard deviation in stars (MovieLens' best models leave about 0.85 RMSE)."""


@dataclass(frozen=True)
class SyntheticRatings:
    """The data set and, per row, the best prediction any model could make (in stars)."""

    data: Dataset
    expected: np.ndarray

    def floor(self, rows: np.ndarray) -> float:
        """RMSE of the best prediction on ``rows`` (indices into the data set's rows)."""
        stars = LOW + self.data.interactions.value[rows] * (HIGH - LOW)
        return float(np.sqrt(np.mean((self.expected[rows] - stars) ** 2)))


def sizes(rows: int) -> tuple[int, int, int]:
    """Users, posts and channels for ``rows`` ratings: about 50 ratings per user and 20 per
    post at 100k (MovieLens latest-small has 165 and 10), growing sub-linearly."""
    users = max(50, rows // 50)
    posts = max(100, int(rows**0.75 / 1.5))
    return users, posts, max(5, min(100, posts // 200))


def synthetic_ratings(rows: int, seed: int = 0, noise: float = NOISE) -> SyntheticRatings:
    """``rows`` ratings (no user x post twice is not enforced: a repeat is a re-rating)."""
    rng = np.random.default_rng(seed)
    n_users, n_posts, n_channels = sizes(rows)
    post_channel = rng.integers(0, n_channels, n_posts)
    user_f = rng.normal(0, 0.45, (n_users, RANK))
    channel_f = rng.normal(0, 0.35, (n_channels, RANK))
    post_f = channel_f[post_channel] + rng.normal(0, 0.3, (n_posts, RANK))
    user_b = rng.normal(0, 0.35, n_users)
    post_b = rng.normal(0, 0.4, n_posts)
    popularity = 1.0 / np.arange(1, n_posts + 1) ** 0.8
    u = rng.integers(0, n_users, rows)
    p = rng.permutation(n_posts)[rng.choice(n_posts, size=rows, p=popularity / popularity.sum())]
    truth = 3.5 + user_b[u] + post_b[p] + (user_f[u] * post_f[p]).sum(1)
    stars = _half_stars(truth + rng.normal(0, noise, rows))
    inter = Interactions.from_arrays(
        u + 1, p + 1, post_channel[p] + 1, (stars - LOW) / (HIGH - LOW), np.arange(rows)
    )
    data = Dataset(
        f"synthetic {rows:,} (rank {RANK}, noise {noise})",
        inter,
        "explicit",
        scale=(LOW, HIGH),
        positive_at=4.0,
    )
    return SyntheticRatings(data, _expected_stars(truth, noise))


def _half_stars(x: np.ndarray) -> np.ndarray:
    """Half stars from 0.5 to 5, as MovieLens: ten levels (a continuous rating would make
    every row its own level, and PairAccuracy counts pairs per level)."""
    return np.clip(np.round(x * 2) / 2, LOW, HIGH)


def _expected_stars(mean: np.ndarray, sd: float) -> np.ndarray:
    """E[half_stars(X)] for X ~ N(mean, sd²): each level times the chance X rounds to it."""
    levels = np.arange(LOW, HIGH + 0.25, 0.5)
    edges = np.concatenate(([-np.inf], levels[:-1] + 0.25, [np.inf]))
    cdf = norm.cdf((edges[None, :] - mean[:, None]) / sd)
    return (np.diff(cdf, axis=1) * levels[None, :]).sum(1)


def write_csv(ratings: SyntheticRatings, path: Path) -> Path:
    """The ratings as ``userId,movieId,rating,timestamp`` (stars), for ``oleg tune ratings``
    (channels stay out: the file has no item table)."""
    inter = ratings.data.interactions
    stars = LOW + inter.value * (HIGH - LOW)
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["userId", "movieId", "rating", "timestamp"])
        out.writerows(zip(inter.user, inter.post, np.round(stars, 4), inter.time, strict=True))
    return path
