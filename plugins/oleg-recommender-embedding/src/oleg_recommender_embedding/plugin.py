"""Hook implementations: registers ``dot`` and ``embedding-nn`` (torch is not imported here)."""

import oleg


@oleg.hookimpl
def oleg_register_components(registry: oleg.ComponentRegistry) -> None:
    from oleg_recommender_embedding.models import DotRecommender, EmbeddingNNRecommender

    registry.add_recommender(DotRecommender)
    registry.add_recommender(EmbeddingNNRecommender)
