"""Hook implementations: registers ``als``.

Kept free of heavy imports: ``oleg plugins`` imports this module and calls the hook, and
implicit (with scipy) is only imported when a model is fitted.
"""

import oleg


@oleg.hookimpl
def oleg_register_components(registry: oleg.ComponentRegistry) -> None:
    from oleg_recommender_als.model import AlsRecommender

    registry.add_recommender(AlsRecommender)
