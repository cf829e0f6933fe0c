"""The distribution declares its entry point and registers the ``console`` sink."""

from __future__ import annotations

from importlib import metadata

from oleg.registry import ComponentKind, ComponentRegistry
from oleg_sink_console.sink import ConsoleSink


def test_entry_point_and_registration() -> None:
    (ep,) = [e for e in metadata.entry_points(group="oleg") if e.name == "console"]
    assert ep.value == "oleg_sink_console.plugin"
    registry = ComponentRegistry()
    ep.load().oleg_register_components(registry=registry)
    assert [(r.kind, r.name, r.cls) for r in registry.all()] == [(ComponentKind.SINK, "console", ConsoleSink)]
