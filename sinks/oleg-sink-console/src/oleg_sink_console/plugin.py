"""Registers the ``console`` sink with oleg (entry point ``console`` in group ``oleg``)."""

from __future__ import annotations

import oleg


@oleg.hookimpl
def oleg_register_components(registry: oleg.ComponentRegistry) -> None:
    from oleg_sink_console.sink import ConsoleSink

    registry.add_sink(ConsoleSink)
