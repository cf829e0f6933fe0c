"""``fresh``: an example third-party recommender in one file.

Scores a post by how much this subscriber liked its channel so far (smoothed towards the
channel's overall like rate), decayed by the post's age. Copy this file to start a plugin
of your own: a settings model, a Recommender subclass, one hook that registers it, and an
entry point in the group ``oleg`` in your pyproject.toml.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import oleg
from pydantic import Field


class FreshSettings(oleg.PluginSettings):
    half_life_hours: float = Field(12.0, gt=0, description="A post loses half its score in this time.")
    prior: float = Field(3.0, ge=0, description="Pseudo-ratings towards the channel's overall rate.")


class FreshRecommender(oleg.Recommender):
    name = "fresh"
    Settings = FreshSettings
    settings: FreshSettings

    def __init__(self, settings: FreshSettings | None = None, *, seed: int = 0) -> None:
        super().__init__(settings, seed=seed)
        self.fit(oleg.Interactions.empty())

    def fit(self, feedback: oleg.Interactions) -> None:
        self.user_channel: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0.0, 0.0])
        self.channel: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
        self.partial_fit(feedback)

    def partial_fit(self, feedback: oleg.Interactions) -> None:
        for user, channel, value in zip(
            feedback.user.tolist(), feedback.channel.tolist(), feedback.value.tolist(), strict=True
        ):
            for counts in (self.user_channel[(user, channel)], self.channel[channel]):
                counts[0] += value
                counts[1] += 1.0

    def score(self, user: int | None, candidates: oleg.Candidates) -> np.ndarray:
        prior = self.settings.prior
        rates = np.empty(len(candidates))
        for i, channel in enumerate(candidates.channel.tolist()):
            c_likes, c_total = self.channel.get(channel, (0.0, 0.0))
            channel_rate = (c_likes + prior * 0.25) / (c_total + prior)
            u_likes, u_total = self.user_channel.get((user, channel), (0.0, 0.0)) if user is not None else (0, 0)
            rates[i] = (u_likes + prior * channel_rate) / (u_total + prior)
        if len(candidates) == 0:
            return rates
        age_hours = (candidates.time.max() - candidates.time) / 3600.0
        return rates * np.power(0.5, age_hours / self.settings.half_life_hours)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["user_channel"] = dict(self.user_channel)
        state["channel"] = dict(self.channel)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.user_channel = defaultdict(lambda: [0.0, 0.0], state["user_channel"])
        self.channel = defaultdict(lambda: [0.0, 0.0], state["channel"])


@oleg.hookimpl
def oleg_register_components(registry: oleg.ComponentRegistry) -> None:
    registry.add_recommender(FreshRecommender)
