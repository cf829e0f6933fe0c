"""`oleg demo` at full size: is it under two minutes, and does popular land between random
and the oracle?  Usage: .venv/bin/python benchmarks/bench_demo.py [--subscribers N] [--days D]"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from results_file import write_results
from oleg.demo import run_demo

TARGET_SECONDS = 120.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        result = run_demo(
            recommender="popular", subscribers=args.subscribers, days=args.days, seed=args.seed,
            out=Path(tmp), console=Console(quiet=True),
        )
        total = time.perf_counter() - began
    week2 = result.last_week()
    table = Table(title=f"oleg demo: {args.subscribers} subscribers, {args.days} days, seed {args.seed}")
    for col in ("policy", "seconds", f"like rate, {result.last_week_label}", "share of oracle"):
        table.add_column(col, justify="right")
    for name, run in result.runs.items():
        table.add_row(name, f"{run.seconds:.1f}", f"{week2[name]:.1%}", f"{week2[name] / week2['oracle']:.0%}")
    table.add_section()
    table.add_row("total", f"{total:.1f}", "", "")
    table.add_row("target", f"< {TARGET_SECONDS:.0f}", "random < popular < oracle", "")
    console.print(table)
    ok = total < TARGET_SECONDS and week2["random"] < week2["popular"] < week2["oracle"]
    console.print("[green]targets met[/]" if ok else "[red]targets missed[/]")
    out = write_results("demo", {
        "subscribers": args.subscribers, "days": args.days, "seed": args.seed,
        "total_seconds": total, "target_seconds": TARGET_SECONDS, "targets_met": ok,
        "runs": {n: {"seconds": r.seconds, "last_week_like_rate": week2[n]} for n, r in result.runs.items()},
    })
    console.print(f"written: {out}")


if __name__ == "__main__":
    main()
