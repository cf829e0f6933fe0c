"""Popular: each post's like rate, smoothed towards its channel's, smoothed towards all.

An empirical-Bayes shrinkage: a post with few ratings is scored like its channel, a
channel with few ratings like the whole feed. The same for every subscriber, so a pool is
scored once per round whatever the number of subscribers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import Field

from oleg import Candidates, Interactions, PluginSettings, Recommender
from oleg.types import FloatArray


class PopularSettings(PluginSettings):
    post_prior: float = Field(
        5.0, gt=0, description="Pseudo-ratings pulling a post towards its channel's rate (> 0: a post nobody rated has one)."
    )
    channel_prior: float = Field(
        20.0, gt=0, description="Pseudo-ratings pulling a channel towards the global rate (> 0)."
    )
    global_prior: float = Field(0.25, ge=0, le=1, description="Like rate assumed before any feedback.")


class _Counts:
    """Likes and ratings per key, in growable arrays indexed through a dict."""

    def __init__(self) -> None:
        self.index: dict[int, int] = {}
        self.likes = np.zeros(0)
        self.total = np.zeros(0)

    def add(self, keys: np.ndarray, values: np.ndarray, weights: np.ndarray) -> None:
        uniq, inverse = np.unique(keys, return_inverse=True)
        for key in uniq.tolist():
            if key not in self.index:
                self.index[key] = len(self.index)
        if len(self.index) > len(self.likes):
            grow = len(self.index) - len(self.likes)
            self.likes = np.concatenate([self.likes, np.zeros(grow)])
            self.total = np.concatenate([self.total, np.zeros(grow)])
        rows = np.fromiter((self.index[k] for k in uniq.tolist()), dtype=np.int64, count=len(uniq))
        np.add.at(self.likes, rows[inverse], values * weights)
        np.add.at(self.total, rows[inverse], weights)

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = np.fromiter((self.index.get(k, -1) for k in keys.tolist()), dtype=np.int64, count=len(keys))
        known = rows >= 0
        likes = np.where(known, self.likes[np.where(known, rows, 0)] if len(self.likes) else 0.0, 0.0)
        total = np.where(known, self.total[np.where(known, rows, 0)] if len(self.total) else 0.0, 0.0)
        return likes, total


class PopularRecommender(Recommender):
    name = "popular"
    Settings = PopularSettings
    settings: PopularSettings

    def __init__(self, settings: PopularSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        self._reset()

    def _reset(self) -> None:
        self.posts = _Counts()
        self.channels = _Counts()
        self.likes = 0.0
        self.total = 0.0

    def fit(self, feedback: Interactions) -> None:
        self._reset()
        self.partial_fit(feedback)

    def partial_fit(self, feedback: Interactions) -> None:
        if len(feedback) == 0:
            return
        # A rating counts by its weight (a weak negative, an unanswered post, counts less).
        weights = feedback.weights()
        self.posts.add(feedback.post, feedback.value, weights)
        self.channels.add(feedback.channel, feedback.value, weights)
        self.likes += float((feedback.value * weights).sum())
        self.total += float(weights.sum())

    def bias(self, candidates: Candidates) -> FloatArray:
        s = self.settings
        global_rate = (self.likes + s.channel_prior * s.global_prior) / (self.total + s.channel_prior)
        c_likes, c_total = self.channels.lookup(candidates.channel)
        channel_rate = (c_likes + s.channel_prior * global_rate) / (c_total + s.channel_prior)
        p_likes, p_total = self.posts.lookup(candidates.post)
        return (p_likes + s.post_prior * channel_rate) / (p_total + s.post_prior)

    def score(self, user: int | None, candidates: Candidates) -> FloatArray:
        return self.bias(candidates)

    def score_many(self, users: Sequence[int], candidates: Candidates) -> FloatArray:
        return np.broadcast_to(self.bias(candidates), (len(users), len(candidates))).copy()
