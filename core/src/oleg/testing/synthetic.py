"""Small synthetic feedback with structure a recommender can learn: users like some
channels, posts have a quality. Used by the contract tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oleg.types import Candidates, Interactions


@dataclass(frozen=True)
class SyntheticFeedback:
    train: Interactions
    test: Interactions
    candidates: Candidates
    """Every post, with its channel: what a recommender scores."""
    like_probability: np.ndarray
    """(users, posts) ground truth, indexed by id - 1."""


def synthetic_feedback(
    n_users: int = 60, n_posts: int = 300, n_channels: int = 12, n_ratings: int = 4000, seed: int = 0
) -> SyntheticFeedback:
    """Ratings drawn from P(like) = sigmoid(user-channel taste + post quality - 1).

    Ids start at 1 (as in the store) and are shuffled relative to any structure; the last
    20% of ratings by time are the test set.
    """
    rng = np.random.default_rng(seed)
    post_channel = rng.integers(0, n_channels, n_posts)
    taste = rng.normal(0.0, 1.5, (n_users, n_channels))
    quality = rng.normal(0.0, 1.0, n_posts)
    logits = taste[:, post_channel] + quality[None, :] - 1.0
    prob = 1.0 / (1.0 + np.exp(-logits))
    users = rng.integers(0, n_users, n_ratings)
    posts = rng.integers(0, n_posts, n_ratings)
    values = (rng.random(n_ratings) < prob[users, posts]).astype(np.float64)
    times = np.sort(rng.integers(1_700_000_000, 1_700_000_000 + 30 * 86400, n_ratings))
    channel_ids = -1_001_000_000_000 - post_channel  # Telegram-like channel ids
    data = Interactions.from_arrays(users + 1, posts + 1, channel_ids[posts], values, times)
    cut = int(n_ratings * 0.8)
    candidates = Candidates.from_arrays(np.arange(1, n_posts + 1), channel_ids, np.full(n_posts, times[-1]))
    return SyntheticFeedback(data.take(slice(0, cut)), data.take(slice(cut, None)), candidates, prob)
