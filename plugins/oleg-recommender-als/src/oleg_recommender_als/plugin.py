"""Hook implementations: registers ``als``.

Kept free of heavy imports: ``oleg plugins`` imports this module and calls the hook, and
implicit (with scipy) is only imported when a model is fitted.
"""

import oleg


@oleg.hookimpl
def oleg_register_recommenders(register):  # type: ignore[no-untyped-def]
    from oleg_recommender_als.model import AlsRecommender

    register(AlsRecommender)
