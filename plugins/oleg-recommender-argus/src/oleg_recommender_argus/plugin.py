"""Hook implementation: registers ``argus`` (torch is not imported here)."""

import oleg


@oleg.hookimpl
def oleg_register_components(registry: oleg.ComponentRegistry) -> None:
    from oleg_recommender_argus.recommender import ArgusRecommender

    registry.add_recommender(ArgusRecommender)
