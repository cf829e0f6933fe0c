"""Hook implementations: registers ``vw-logistic`` and the ``oleg export vw`` command.

Kept free of heavy imports: ``oleg plugins`` imports this module, and vowpalwabbit is only
imported when a model is built.
"""

from __future__ import annotations

from typing import Any

import oleg


@oleg.hookimpl
def oleg_register_components(registry: oleg.ComponentRegistry) -> None:
    from oleg_recommender_vw.model import VwLogisticRecommender

    registry.add_recommender(VwLogisticRecommender)


@oleg.hookimpl
def oleg_register_commands(cli: Any) -> None:
    from oleg_recommender_vw.export import export_group

    export_group(cli)
