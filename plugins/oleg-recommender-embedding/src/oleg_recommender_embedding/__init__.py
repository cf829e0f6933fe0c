"""OLEG's embedding recommenders in PyTorch: ``dot`` and ``embedding-nn``.

Importing this package does not import torch; the first fit or score does.
"""

from oleg_recommender_embedding.models import (
    DotRecommender,
    EmbeddingNNRecommender,
    EmbeddingRecommender,
)
from oleg_recommender_embedding.settings import DotSettings, EmbeddingNNSettings, EmbeddingSettings

__all__ = [
    "DotRecommender",
    "DotSettings",
    "EmbeddingNNRecommender",
    "EmbeddingNNSettings",
    "EmbeddingRecommender",
    "EmbeddingSettings",
]
