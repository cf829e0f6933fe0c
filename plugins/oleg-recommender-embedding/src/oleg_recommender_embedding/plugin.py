"""Hook implementations: registers ``dot`` and ``embedding-nn`` (torch is not imported here)."""

import oleg


@oleg.hookimpl
def oleg_register_recommenders(register):  # type: ignore[no-untyped-def]
    from oleg_recommender_embedding.models import DotRecommender, EmbeddingNNRecommender

    register(DotRecommender)
    register(EmbeddingNNRecommender)
