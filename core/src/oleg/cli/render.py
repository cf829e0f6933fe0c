"""Rich renderings shared by commands."""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

PIPE_WIDTH = 400
"""Columns of a table printed to a pipe or file (rich would assume 80 and cut it)."""


def wide_console(*, stderr: bool = False) -> Console:
    """A console as wide as the terminal, or ``$COLUMNS``, or :data:`PIPE_WIDTH` when the
    output is not a terminal, so that a wide table printed to a pipe keeps its columns."""
    stream = sys.stderr if stderr else sys.stdout
    width = None
    if not os.environ.get("COLUMNS") and not (hasattr(stream, "isatty") and stream.isatty()):
        width = PIPE_WIDTH
    return Console(stderr=stderr, width=width)


def deployment_tree(title: str, resolved: dict[str, Any]) -> Tree:
    tree = Tree(f"[bold]{title}[/]")
    for section, values in resolved.items():
        if isinstance(values, list):  # an array of tables: [[challenger]]
            for table in values:
                _add(tree.add(f"[cyan]{escape(f'[[{section}]]')}[/]"), table)
            continue
        branch = tree.add(f"[cyan]{escape(f'[{section}]')}[/]")
        _add(branch, values)
    return tree


def _add(branch: Tree, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if isinstance(value, dict):
            _add(branch.add(f"{key}"), value)
        else:
            shown = escape(repr(value)) if not str(value).startswith("***") else escape(str(value))
            branch.add(f"{key} = [{'yellow' if str(value).startswith('***') else 'green'}]{shown}[/]")
