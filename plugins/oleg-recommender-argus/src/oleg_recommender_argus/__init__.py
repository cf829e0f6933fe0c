"""ARGUS for oleg: a causal transformer over each subscriber's (context, post, feedback)
steps, trained to predict the next post and its feedback, fine-tuned on pairs, served as
two towers.

Importing this package does not import torch; the first fit or score does.
"""

from oleg_recommender_argus.recommender import ArgusRecommender
from oleg_recommender_argus.settings import PRESETS, ArgusSettings, Size

__all__ = ["PRESETS", "ArgusRecommender", "ArgusSettings", "Size"]
