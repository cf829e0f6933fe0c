"""Top-K on MovieLens: ratings >= 4 stars are 👍, the rest 👎 (how oleg sees feedback),
a temporal split, full ranking over every train item. `random`, `popular` and `als`
(when its plugin is installed) side by side: NDCG@10, Recall@10, HitRate@10, catalogue
coverage, popularity bias, fit time.

Usage: .venv/bin/python benchmarks/bench_topk.py [--data ../shared/data] [--k 10]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from results_file import write_results
from oleg_evaluation import EvalConfig, evaluate, load_ratings, print_table, temporal
from oleg.plugins import Plugins

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"

# Adding a recommender is adding its spec; plugins not installed are skipped and said so.
RECOMMENDERS = ["random", "popular", "als"]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding movielens-latest-small/")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--test-share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    console = Console(width=None if Console().is_terminal else 120)
    installed = Plugins.available()
    chosen = [r for r in RECOMMENDERS if r.split(":")[0] in installed]
    missing = [r for r in RECOMMENDERS if r not in chosen]
    ml = args.data / "movielens-latest-small"
    stars = load_ratings(ml / "ratings.csv", items=ml / "movies.csv", positive_at=4.0, name="MovieLens latest-small")
    data = stars.binarized()
    split = temporal(data, quantile=1 - args.test_share)
    config = EvalConfig(k=args.k, seed=args.seed, rating_metrics=False)
    began = time.perf_counter()
    with Progress(console=console, transient=True) as progress:
        ev = evaluate(data, chosen, [split], config, progress=progress)
    total = time.perf_counter() - began
    print_table(ev, console)
    if missing:
        console.print(f"[yellow]not installed, skipped: {', '.join(missing)}[/]")
    out = write_results("topk", {"total_seconds": total, "skipped": missing, **ev.to_json()})
    console.print(f"Total {total:.1f} s. written: {out}")


if __name__ == "__main__":
    main()
