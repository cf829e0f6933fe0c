"""The distribution declares its entry point and registers the ``replay`` source."""

from __future__ import annotations

from importlib import metadata

from oleg.registry import ComponentKind, ComponentRegistry
from oleg_source_replay.source import ReplaySource


def test_entry_point_and_registration() -> None:
    (ep,) = [e for e in metadata.entry_points(group="oleg") if e.name == "replay"]
    assert ep.value == "oleg_source_replay.plugin"
    registry = ComponentRegistry()
    ep.load().oleg_register_components(registry=registry)
    assert [(r.kind, r.name, r.cls) for r in registry.all()] == [(ComponentKind.SOURCE, "replay", ReplaySource)]
