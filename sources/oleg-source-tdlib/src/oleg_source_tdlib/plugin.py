"""Registers the ``tdlib`` source and the ``oleg login`` / ``oleg channels`` commands
(entry point ``tdlib`` in group ``oleg``).

Kept apart from the source so that listing plugins imports neither TDLib nor the store.
"""

from __future__ import annotations

from typing import Any

import oleg


@oleg.hookimpl
def oleg_register_components(registry: oleg.ComponentRegistry) -> None:
    from oleg_tdlib.tables import SCHEMA

    from oleg_source_tdlib.source import TdlibSource

    registry.add_schema(SCHEMA)  # listener accounts, assignments, join queue, message refs
    registry.add_source(TdlibSource)


@oleg.hookimpl
def oleg_register_commands(cli: Any) -> None:
    from oleg_source_tdlib.cli import channels, login

    cli.add_command(login)
    cli.add_command(channels)
