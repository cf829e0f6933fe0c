"""The model registry in the demo's simulation (issue 12): a deployment with `embedding-nn`
as champion and `vw-logistic` plus a deliberately broken challenger (`random` scores, named
`broken`) against `embedding-nn` alone and `vw-logistic` alone, on the same subscribers
and seeds.

Targets: the broken challenger never serves (0% of deliveries, no promotion) and the
champion-challenger deployment's like rate over days 8-14 is not below `embedding-nn`
alone's (median over the seeds). For scale, `embedding-nn-ungated` serves every version
its line trains that is not below chance (the registry's rule relaxed: what oleg did before
the registry), and `oracle` is the bound.

Usage: .venv/bin/python benchmarks/bench_registry.py [--seeds 0 1 2] [--subscribers 200] [--days 14]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from oleg_demo import run_demo
from oleg_demo.config import DemoConfig, Policy
from results_file import targets_table, write_results
from rich.console import Console
from rich.table import Table

UNGATED = "embedding-nn-ungated"
POLICIES = ["embedding-nn", "champion-challenger", "vw-logistic", UNGATED, "oracle"]


def config_with_ungated() -> DemoConfig:
    """The bundled demo with one more policy: embedding-nn whose every version serves."""
    bundled = DemoConfig.load()
    base = bundled.policy("embedding-nn")
    tables = {
        **base.tables,
        "recommender": {"plugin": "embedding-nn", **base.tables.get("recommender", {})},
        "promotion": {"min_absolute_change": -1.0, "max_drop": 1.0, "confidence": 0.5},
    }
    policies = {**bundled.policies, UNGATED: Policy(UNGATED, tables, base.plot)}
    return DemoConfig(bundled.path, bundled.demo, bundled.base, policies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args()
    console = Console()
    config = config_with_ungated()
    per_seed = []
    began = time.perf_counter()
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            result = run_demo(
                config=config, recommender=POLICIES[0], compare=POLICIES[1:], seed=seed,
                subscribers=args.subscribers, days=args.days, out=Path(tmp),
                console=Console(quiet=True),
            )
        week = result.last_week()
        cc = result.runs["champion-challenger"]
        first = str(result.last_week_start())
        per_seed.append({
            "seed": seed,
            "like_rate": week,
            "served_share": {line: cc.served_share(line, first) for line in cc.lines},
            "served_share_whole_run": {line: cc.served_share(line) for line in cc.lines},
            "decisions": cc.decisions,
            "seconds": {n: r.seconds for n, r in result.runs.items()},
        })
        console.print(f"seed {seed}: " + ", ".join(f"{n} {week[n]:.1%}" for n in POLICIES))
    label = result.last_week_label
    median = {n: statistics.median(s["like_rate"][n] for s in per_seed) for n in POLICIES}

    table = Table(title=f"Champion and challengers in the simulation: like rate over {label}")
    table.add_column("policy")
    for s in per_seed:
        table.add_column(f"seed {s['seed']}", justify="right")
    table.add_column("median", justify="right")
    for name in POLICIES:
        table.add_row(name, *[f"{s['like_rate'][name]:.1%}" for s in per_seed], f"[bold]{median[name]:.1%}[/]")
    console.print(table)

    lines = sorted({line for s in per_seed for line in s["decisions"]})
    served = Table(title=f"champion-challenger: share of the recommender's deliveries served, {label}")
    served.add_column("line")
    for s in per_seed:
        served.add_column(f"seed {s['seed']}", justify="right")
    served.add_column("decisions (all seeds)")
    for line in lines:
        totals: dict[str, int] = {}
        for s in per_seed:
            for outcome, n in s["decisions"].get(line, {}).items():
                totals[outcome] = totals.get(outcome, 0) + n
        served.add_row(
            line, *[f"{s['served_share'].get(line, 0.0):.0%}" for s in per_seed],
            ", ".join(f"{k} {v}" for k, v in sorted(totals.items())),
        )
    console.print(served)

    broken_served = max(s["served_share_whole_run"].get("broken", 0.0) for s in per_seed)
    broken_promoted = sum(s["decisions"].get("broken", {}).get("promoted", 0) for s in per_seed)
    checks = {
        "the broken challenger never serves (0% of deliveries, 0 promotions)": broken_served == 0
        and broken_promoted == 0,
        "champion-challenger's median like rate >= embedding-nn alone's": median["champion-challenger"]
        >= median["embedding-nn"],
    }
    console.print(targets_table(checks))
    console.print(f"{time.perf_counter() - began:.0f} s in all")
    write_results(
        "registry",
        {
            "subscribers": args.subscribers, "days": args.days, "window": label,
            "median_like_rate": median, "seeds": per_seed, "checks": checks,
        },
    )


if __name__ == "__main__":
    main()
