"""Registers the ``simulated`` sink and the ``oracle`` recommender with oleg.

Both entry points (``simulated`` and ``oracle``) name this module; it imports the
components only when oleg asks for them, so listing plugins stays cheap.
"""

from __future__ import annotations

from typing import Any

import oleg


@oleg.hookimpl
def oleg_register_sinks(register: Any) -> None:
    from oleg_sink_simulated.sink import SimulatedSink

    register(SimulatedSink)


@oleg.hookimpl
def oleg_register_recommenders(register: Any) -> None:
    from oleg_sink_simulated.oracle import OracleRecommender

    register(OracleRecommender)
