"""What can a recommender reach in the demo's simulation, given what it can know?

Runs the demo's deployment (same seed, same subscribers) with the full oracle, with partial
oracles that know only some hidden parts of each like (a perfect topic model knows the
category tastes; one that also knew each post's quality, or each subscriber's channel
tastes...), and with embedding-nn and popular, in parallel processes, and prints each like
rate over the last week with its share of the full oracle's. Issue 4 asks embedding-nn for
80% of the oracle; this bounds what any model that cannot see the hidden parts can get.

Usage: .venv/bin/python benchmarks/bench_oracle_bounds.py [--subscribers N] [--days D] [--seed S]
"""

from __future__ import annotations

import argparse
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from oleg_demo import DemoConfig, RunSize, run_policy
from results_file import write_results
from rich.console import Console
from rich.table import Table

TARGET_SHARE = 0.80
RUNS: dict[str, tuple[str, dict[str, Any]]] = {
    "oracle": ("oracle", {}),
    "oracle knowing category + channel": ("oracle", {"knows": ["category", "channel"]}),
    "oracle knowing category + quality": ("oracle", {"knows": ["category", "quality"]}),
    "oracle knowing category": ("oracle", {"knows": ["category"]}),
    "oracle knowing channel + quality": ("oracle", {"knows": ["channel", "quality"]}),
    "embedding-nn": ("embedding-nn", {}),
    "popular": ("popular", {}),
}


def _run(label: str, args: dict[str, Any], out: str) -> tuple[str, float, float]:
    """One run: the bundled demo.toml's policy, its recommender's settings updated."""
    name, settings = RUNS[label]
    config = DemoConfig.load()
    policy = config.policy(name).with_settings(label.replace(" ", "-").replace("+", "and"), settings)
    run = run_policy(config, policy, RunSize(args["subscribers"], args["days"], args["seed"], Path(out)))
    first = max(0, args["days"] - 7)
    return label, run.like_rate(first), run.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    args = vars(parser.parse_args())
    console = Console()
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(args["workers"]) as pool:
        with console.status(f"running {len(RUNS)} simulated deployments..."):
            results = {label: (rate, secs) for label, rate, secs in pool.map(_run, RUNS, [args] * len(RUNS), [tmp] * len(RUNS))}
    ceiling = results["oracle"][0]
    first = max(0, args["days"] - 7)
    table = Table(title=f"Like rate, days {first + 1}-{args['days']}: {args['subscribers']} subscribers, seed {args['seed']}")
    for col in ("policy", "like rate", "share of oracle", "seconds"):
        table.add_column(col, justify="right")
    for label, (rate, secs) in results.items():
        table.add_row(label, f"{rate:.1%}", f"{rate / ceiling:.0%}", f"{secs:.0f}")
    table.add_section()
    table.add_row("issue 4 target for embedding-nn", "", f">= {TARGET_SHARE:.0%}", "")
    console.print(table)
    out = write_results("oracle_bounds", {
        **args, "target_share": TARGET_SHARE,
        "runs": {label: {"last_week_like_rate": r, "share_of_oracle": r / ceiling, "seconds": s} for label, (r, s) in results.items()},
    })
    console.print(f"written: {out}")


if __name__ == "__main__":
    main()
