"""Writing a benchmark's results: one JSON file per benchmark under benchmarks/results/,
with the machine it ran on, so that every script records its figures the same way."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def write_results(
    name: str, payload: dict[str, Any], *, out: Path | None = None, **machine: Any
) -> Path:
    """Write ``payload`` plus a ``machine`` entry (cores, Python, and any ``machine`` extras)
    to ``out`` (default ``benchmarks/results/<name>.json``); return the path."""
    path = out or RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"benchmark": name, **payload,
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), **machine}}
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False, default=float))
    return path


def targets_table(checks: dict[str, bool]) -> Any:
    """A rich table of a benchmark's targets, each met or not."""
    from rich.table import Table

    table = Table(title="Targets")
    table.add_column("target")
    table.add_column("met", justify="center")
    for what, ok in checks.items():
        table.add_row(what, "[green]yes[/]" if ok else "[red]no[/]")
    return table
