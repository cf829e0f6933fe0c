"""``top-bias``: until a subscriber has rated ``first_posts`` posts, send the unseen posts
with the highest learned bias (the recommender's user-independent score), as OLEG did with
the first 30 posts of every new user. Deterministic, so its propensity is 1."""

from __future__ import annotations

import oleg
from oleg import Candidates, ColdStartPolicy, PluginSettings, Recommender
from oleg.types import FloatArray
from pydantic import Field


class TopBiasSettings(PluginSettings):
    first_posts: int = Field(
        30, ge=0, description="A subscriber with fewer ratings than this gets the highest-bias posts."
    )


class TopBias(ColdStartPolicy):
    name = "top-bias"
    Settings = TopBiasSettings
    settings: TopBiasSettings

    def applies(self, n_rated: int, n_delivered: int) -> bool:
        return n_rated < self.settings.first_posts

    def rank(self, candidates: Candidates, recommender: Recommender) -> FloatArray:
        return recommender.bias(candidates)


@oleg.hookimpl
def oleg_register_components(registry: oleg.ComponentRegistry) -> None:
    registry.add_cold_start_policy(TopBias)
