"""Hook implementations: registers ``random`` and ``popular``."""

import oleg


@oleg.hookimpl
def oleg_register_components(registry: oleg.ComponentRegistry) -> None:
    from oleg_recommender_baseline import PopularRecommender, RandomRecommender

    registry.add_recommender(RandomRecommender)
    registry.add_recommender(PopularRecommender)
