"""Rich renderings shared by commands."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.tree import Tree


def deployment_tree(title: str, resolved: dict[str, Any]) -> Tree:
    tree = Tree(f"[bold]{title}[/]")
    for section, values in resolved.items():
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
