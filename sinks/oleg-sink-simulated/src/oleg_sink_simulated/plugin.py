"""Registers the ``simulated`` sink and the ``oracle`` recommender with oleg.

Both entry points (``simulated`` and ``oracle``) name this module; it imports the
components only when oleg asks for them, so listing plugins stays cheap.
"""

from __future__ import annotations

import oleg


@oleg.hookimpl
def oleg_register_components(registry: oleg.ComponentRegistry) -> None:
    from oleg_sink_simulated.oracle import OracleRecommender
    from oleg_sink_simulated.sink import SimulatedSink

    registry.add_sink(SimulatedSink)
    registry.add_recommender(OracleRecommender)
