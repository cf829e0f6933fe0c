"""Registers the ``oleg evaluate`` and ``oleg tune`` commands (entry point ``evaluate``
in group ``oleg``).

Kept apart from the harness so that listing plugins or commands imports neither numpy's
heavy users, nor matplotlib, nor optuna: the command modules are imported when the CLI
asks for commands, and they import those lazily.
"""

from __future__ import annotations

import click
import oleg


@oleg.hookimpl
def oleg_register_commands(cli: click.Group) -> None:
    from oleg_evaluation.cli import evaluate
    from oleg_evaluation.tune_cli import tune

    cli.add_command(evaluate)
    cli.add_command(tune)
