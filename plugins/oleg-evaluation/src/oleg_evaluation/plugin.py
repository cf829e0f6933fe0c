"""Registers the ``oleg evaluate`` command (entry point ``evaluate`` in group ``oleg``).

Kept apart from the harness so that listing plugins or commands imports neither numpy's
heavy users nor matplotlib: the command module is imported when the CLI asks for commands.
"""

from __future__ import annotations

import click
import oleg


@oleg.hookimpl
def oleg_register_commands(cli: click.Group) -> None:
    from oleg_evaluation.cli import evaluate

    cli.add_command(evaluate)
