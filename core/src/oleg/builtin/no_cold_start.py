"""The ``none`` cold-start policy: every subscriber gets the recommender from the first post."""

from __future__ import annotations

import numpy as np

import oleg
from oleg.components import ColdStartPolicy, Recommender
from oleg.types import Candidates, FloatArray


class NoColdStart(ColdStartPolicy):
    name = "none"

    def applies(self, n_rated: int, n_delivered: int) -> bool:
        return False

    def rank(self, candidates: Candidates, recommender: Recommender) -> FloatArray:
        return np.zeros(len(candidates))


@oleg.hookimpl
def oleg_register_components(registry: oleg.ComponentRegistry) -> None:
    registry.add_cold_start_policy(NoColdStart)
