"""The example plugin passes the same contract as the built-in recommenders."""

from oleg.testing import RecommenderContract


class TestFresh(RecommenderContract):
    name = "fresh"
    settings = {"half_life_hours": 1000}  # the synthetic ratings have no freshness signal
