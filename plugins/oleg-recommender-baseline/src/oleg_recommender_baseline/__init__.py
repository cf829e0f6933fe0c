"""Baselines every other recommender is measured against: ``random`` and ``popular``."""

from oleg_recommender_baseline.popular import PopularRecommender
from oleg_recommender_baseline.random_scores import RandomRecommender

__all__ = ["PopularRecommender", "RandomRecommender"]
