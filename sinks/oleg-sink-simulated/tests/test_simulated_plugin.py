"""The distribution declares both entry points and registers the sink and the oracle."""

from __future__ import annotations

from importlib import metadata

from oleg.registry import ComponentKind, ComponentRegistry
from oleg_sink_simulated.oracle import OracleRecommender
from oleg_sink_simulated.sink import SimulatedSink


def test_entry_points_and_registration() -> None:
    eps = {e.name: e for e in metadata.entry_points(group="oleg")}
    assert eps["simulated"].value == eps["oracle"].value == "oleg_sink_simulated.plugin"
    module = eps["simulated"].load()
    registry = ComponentRegistry()
    module.oleg_register_components(registry=registry)
    assert [(r.kind, r.name, r.cls) for r in registry.all()] == [
        (ComponentKind.SINK, "simulated", SimulatedSink),
        (ComponentKind.RECOMMENDER, "oracle", OracleRecommender),
    ]
