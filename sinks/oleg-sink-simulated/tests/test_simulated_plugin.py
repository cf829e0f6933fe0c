"""The distribution declares both entry points and registers the sink and the oracle."""

from __future__ import annotations

from importlib import metadata

from oleg_sink_simulated.oracle import OracleRecommender
from oleg_sink_simulated.sink import SimulatedSink


def test_entry_points_and_registration() -> None:
    eps = {e.name: e for e in metadata.entry_points(group="oleg")}
    assert eps["simulated"].value == eps["oracle"].value == "oleg_sink_simulated.plugin"
    module = eps["simulated"].load()
    sinks: list[type] = []
    recommenders: list[type] = []
    module.oleg_register_sinks(register=sinks.append)
    module.oleg_register_recommenders(register=recommenders.append)
    assert sinks == [SimulatedSink]
    assert recommenders == [OracleRecommender]
