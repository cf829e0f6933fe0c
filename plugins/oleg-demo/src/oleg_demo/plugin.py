"""Registers the ``oleg demo`` command (entry point ``demo`` in group ``oleg``).

Kept apart from the runner so that listing plugins imports neither the engine nor matplotlib.
"""

from __future__ import annotations

import click
import oleg


@oleg.hookimpl
def oleg_register_commands(cli: click.Group) -> None:
    from oleg_demo.cli import demo

    cli.add_command(demo)
