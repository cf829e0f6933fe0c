"""Hook implementations: registers ``random`` and ``popular``."""

import oleg


@oleg.hookimpl
def oleg_register_recommenders(register):  # type: ignore[no-untyped-def]
    from oleg_recommender_baseline import PopularRecommender, RandomRecommender

    register(RandomRecommender)
    register(PopularRecommender)
