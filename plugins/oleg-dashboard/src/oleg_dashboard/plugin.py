"""Registers ``oleg dashboard``, ``oleg stats`` and ``oleg feed`` (entry point ``dashboard``).

Kept apart from the commands so that listing plugins imports neither Starlette nor uvicorn.
"""

from __future__ import annotations

import click
import oleg


@oleg.hookimpl
def oleg_register_commands(cli: click.Group) -> None:
    from oleg_dashboard.commands import dashboard, feed, stats

    cli.add_command(dashboard)
    cli.add_command(stats)
    cli.add_command(feed)
