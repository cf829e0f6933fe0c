"""Feedback and ranking on MovieLens latest-small, ratings as the three kinds of feedback
(>= 4 stars 👍, <= 2 stars 👎, the rest shown and not answered), global temporal split
(the last 20% of ratings by time are the test): AUC (a like against the rest), PairAccuracy
(pairs of one user's test rows with different feedback, like > shown > dislike) and
NDCG@10 (full ranking over the train catalogue, likes relevant) of ``argus`` beside
``embedding-nn``, ``vw-logistic`` and ``als``, through the same harness in the same run.
Target: argus's PairAccuracy above embedding-nn's.

The temporal test is mostly users who arrive after the cut (argus then knows nothing of
them but the start of a history), so the same split with the test restricted to users seen
in train runs beside it: it says how much of a gap is the cold users'.

Usage: .venv/bin/python benchmarks/bench_argus_feedback.py [--data ../shared/data]
       [--users 1.0] [--argus "threads=1"] [--seed 0]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from argus_data import movielens_feedback, sample_users
from oleg.plugins import Plugins
from oleg_evaluation import Dataset, EvalConfig, Split, evaluate, temporal
from results_file import write_results
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
PEERS = ["embedding-nn", "vw-logistic", "als"]
METRICS = {"auc": "AUC", "pair_acc": "PairAccuracy", "ndcg@10": "NDCG@10", "fit_s": "fit s"}


def warm_only(data: Dataset, split: Split) -> Split:
    """The same train rows; the test rows of users who have some."""
    users = data.interactions.user
    warm = np.isin(users[split.test_rows], users[split.train_rows])
    return Split(f"{split.name}, test users seen in train", split.train_rows, split.test_rows[warm])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--users", type=float, default=1.0, help="share of users kept (1: all)")
    parser.add_argument("--argus", default="threads=1", help="argus's settings, key=value,...")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    console = Console(width=None if Console().is_terminal else 120)
    data = sample_users(
        movielens_feedback(args.data / "movielens-latest-small"), args.users, args.seed
    )
    argus = f"argus:{args.argus}" if args.argus else "argus"
    installed = Plugins.available()
    chosen = [argus] + [p for p in PEERS if p in installed]
    skipped = [p for p in PEERS if p not in installed]
    began = time.perf_counter()
    split = temporal(data, quantile=0.8)
    splits = [split, warm_only(data, split)]
    with Progress(console=console, transient=True) as progress:
        ev = evaluate(data, chosen, splits, EvalConfig(seed=args.seed), progress=progress)
    total = time.perf_counter() - began
    tables: dict[str, dict[str, dict[str, float]]] = {}
    for info in ev.splits:
        name = info["name"]
        rows = {r.recommender: r.metrics for r in ev.results if r.split == name and r.error is None}
        tables[name] = {
            label: {m: rows[label].get(m, float("nan")) for m in METRICS} for label in rows
        }
        table = Table(
            title=f"{data.name}: {name}, {info['test_rows']:,} test rows, "
            f"{info.get('cold_users', 0)} of {info.get('ranked_users', 0)} ranked users cold",
            title_justify="left",
        )
        table.add_column("model")
        for title in METRICS.values():
            table.add_column(title, justify="right")
        for label, row in tables[name].items():
            table.add_row(label, *(f"{row[m]:.{1 if m == 'fit_s' else 4}f}" for m in METRICS))
        console.print(table)
    for label, error in ev.errors().items():
        console.print(f"[red]{label}: {error}[/]")
    main_table = tables[split.name]
    pa_argus = main_table.get(argus, {}).get("pair_acc", float("nan"))
    pa_peer = main_table.get("embedding-nn", {}).get("pair_acc", float("nan"))
    met = pa_argus > pa_peer
    console.print(
        f"target: argus's PairAccuracy ({pa_argus:.4f}) above embedding-nn's ({pa_peer:.4f}): "
        + ("[green]met[/]" if met else "[red]missed[/]")
    )
    if skipped:
        console.print(f"[yellow]not installed, skipped: {', '.join(skipped)}[/]")
    out = write_results(
        "argus_feedback",
        {
            "total_seconds": total,
            "users_share": args.users,
            "argus": argus,
            "skipped": skipped,
            "target": "argus pair_acc > embedding-nn pair_acc",
            "target_met": met,
            "tables": tables,
            **ev.to_json(),
        },
    )
    console.print(f"Total {total:.0f} s. written: {out}")


if __name__ == "__main__":
    main()
