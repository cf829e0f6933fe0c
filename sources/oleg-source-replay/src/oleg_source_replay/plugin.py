"""Registers the ``replay`` source with oleg (entry point ``replay`` in group ``oleg``).

Kept apart from the source module so that listing plugins imports nothing but this file.
"""

from __future__ import annotations

import oleg


@oleg.hookimpl
def oleg_register_components(registry: oleg.ComponentRegistry) -> None:
    from oleg_source_replay.source import ReplaySource

    registry.add_source(ReplaySource)
