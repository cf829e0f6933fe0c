"""The recommender contract for both models, built through the installed plugin."""

from oleg.testing import RecommenderContract


class TestDot(RecommenderContract):
    name = "dot"


class TestEmbeddingNN(RecommenderContract):
    name = "embedding-nn"
