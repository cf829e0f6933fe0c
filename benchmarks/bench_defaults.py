"""Defaults that hold across data (issue 11): candidate default sets of `embedding-nn` and
`dot` measured on every data set the project has, in one run.

- MovieLens latest-small, random k-fold (5 by default) and temporal (last 20%): RMSE in
  stars, beside Surprise's SVD++ (the peer; ``--no-peers`` skips it, most of the run).
- Amazon Video Games (positives only, every 4th user by default): NDCG@10 from full
  ranking, leave-last-out, beside `popular`.
- Synthetic explicit ratings of 10k, 100k and 1M rows from a known rank-8 model plus noise
  (``synthetic_explicit.py``), random 20% holdout: RMSE beside the noise floor (the best
  any model can do) and Surprise's SVD++ (10k) and SVD (up to 100k).
- The demo's simulation (100 subscribers, 10 days, seeds 0 and 1): like rate over the last
  7 days; the demo's own settings of embedding-nn win over a candidate's, so this is what
  the demo runs.

CANDIDATES below: ``old`` pins the defaults before issue 11, ``defaults`` is what the
plugin's settings say now; ``tuned-*`` are what ``oleg tune`` found on one data set;
``--search`` runs the one-setting-at-a-time changes and combinations that chose the
defaults (SEARCH, DOT_SEARCH). Targets:
embedding-nn's defaults at or below SVD++ on both MovieLens splits; on no data set do the
defaults lose more than 1% to the old ones. The candidates are ranked by their mean
relative figure across the data sets (1.0: the best candidate on every set).

Usage: .venv/bin/python benchmarks/bench_defaults.py [--data ../shared/data] [--folds 5]
       [--candidates old,defaults] [--models embedding-nn,dot] [--sets ml,amazon,synthetic,sim]
       [--no-peers] [--out FILE]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import defaults_sets as sets
import numpy as np
from oleg_evaluation import RecommenderSpec
from results_file import RESULTS, targets_table, write_results
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
MODELS = ("embedding-nn", "dot")
THREADS = {"threads": 1}
"""One torch thread per fit: on 2 shared cores small fits run faster so (bench_tune)."""
CANDIDATES: dict[str, dict[str, dict[str, Any]]] = {
    "old": {
        "embedding-nn": {
            "lr": 0.005, "embedding_reg": 0.001, "weight_decay": 0.0, "batch_size": 512,
            "user_dim": 100, "channel_dim": 80, "post_dim": 20, "hidden": 70,
            "dropout": 0.2, "cold_dropout": 0.1, "unseen_user": "zero",
        },
        "dot": {
            "lr": 0.01, "embedding_reg": 0.005, "weight_decay": 0.0, "batch_size": 512,
            "dim": 13, "unseen_user": "mean",
        },
    },
    "defaults": {"embedding-nn": {}, "dot": {}},
    # bench_tune's best (100 trials on MovieLens' temporal validation part), rounded
    "tuned-ml": {
        "embedding-nn": {
            "lr": 0.0017, "embedding_reg": 0.0003, "weight_decay": 0.0003, "batch_size": 225,
            "user_dim": 80, "channel_dim": 18, "post_dim": 32, "hidden": 44,
            "dropout": 0.4, "cold_dropout": 0.24, "unseen_user": "zero",
        },
    },
    # oleg tune on synthetic 100k (written without channels), 12 trials in 420 s, rounded
    "tuned-synthetic": {
        "embedding-nn": {
            "lr": 0.003, "embedding_reg": 0.001, "weight_decay": 0.00036, "batch_size": 431,
            "user_dim": 28, "channel_dim": 12, "post_dim": 37, "hidden": 32,
            "dropout": 0.23, "cold_dropout": 0.07, "unseen_user": "mean",
        },
    },
}  # fmt: skip
"""Settings per candidate and model; ``{}``: the plugin's defaults."""
SEARCH: dict[str, dict[str, Any]] = {
    # one setting at a time, the tuned values of MovieLens (tuned-ml)
    "lr 0.0017": {"lr": 0.0017},
    "wd 3e-4": {"weight_decay": 0.0003},
    "reg 3e-4": {"embedding_reg": 0.0003},
    "dropout 0.4": {"dropout": 0.4},
    "cold 0.24": {"cold_dropout": 0.24},
    "sizes 80-18-32-44": {"user_dim": 80, "channel_dim": 18, "post_dim": 32, "hidden": 44},
    "batch 225": {"batch_size": 225},
    # the ones that helped, together
    "dropout 0.4 + lr 0.003": {"dropout": 0.4, "lr": 0.003},
    "dropout 0.4 + wd 1e-4": {"dropout": 0.4, "weight_decay": 0.0001},
    "dropout 0.3 + wd 1e-4": {"dropout": 0.3, "weight_decay": 0.0001},
    "dropout 0.4 + wd 1e-4 + lr 0.003": {"dropout": 0.4, "weight_decay": 0.0001, "lr": 0.003},
    "dropout 0.3 + lr 0.003": {"dropout": 0.3, "lr": 0.003},
    "dropout 0.3 + lr 0.004": {"dropout": 0.3, "lr": 0.004},
}
"""The search that chose embedding-nn's defaults (``--search``): each entry changes the old
defaults in these settings only (docs/defaults.md has its figures)."""
DOT_SEARCH: dict[str, dict[str, Any]] = {
    "dot dim 32": {"dim": 32},
    "dot lr 0.005": {"lr": 0.005},
    "dot reg 0.01": {"embedding_reg": 0.01},
}
"""The same for dot: what was tried against its defaults (none held on every set)."""
for _model, _search in (("embedding-nn", SEARCH), ("dot", DOT_SEARCH)):
    for _name, _changes in _search.items():
        CANDIDATES[_name] = {_model: {**CANDIDATES["old"][_model], **_changes}}
FINAL = ("old", "defaults", "tuned-ml", "tuned-synthetic")
"""The candidates of a plain run."""
BASELINE, CHOSEN = "old", "defaults"
MAX_LOSS = 0.01
"""The defaults may trail the old ones by at most 1% on any data set."""
SIZES = (10_000, 100_000, 1_000_000)
SURPRISE_AT = {"SVDpp": 10_000, "SVD": 100_000}
"""Largest synthetic set each Surprise peer runs on (SVD++ takes minutes past 10k rows)."""


def specs(model: str, names: Sequence[str]) -> dict[str, RecommenderSpec]:
    return {n: RecommenderSpec(model, {**THREADS, **CANDIDATES[n][model]}, label=n) for n in names}


def run(args: argparse.Namespace, model: str, console: Console) -> list[sets.SetResult]:
    names = [n for n in args.candidates if model in CANDIDATES[n]]
    cands = specs(model, names)
    out: list[sets.SetResult] = []
    with console.status(f"{model}...") as status:
        if "ml" in args.sets:
            status.update(f"{model}: MovieLens")
            ml = args.data / "movielens-latest-small"
            peers = args.peers and model == args.models[0]  # the same splits: once
            out += sets.movielens(ml, cands, folds=args.folds, seed=args.seed, peers=peers)
            say(console, model, out[-2:])
        if "amazon" in args.sets:
            status.update(f"{model}: Amazon Video Games")
            path = args.data / "amazon-video-games" / "Video.txt"
            out.append(sets.amazon(path, cands, every=args.amazon_every, seed=args.seed))
            say(console, model, out[-1:])
        if "synthetic" in args.sets:
            for rows in args.sizes:
                status.update(f"{model}: synthetic {rows:,}")
                peers = tuple(
                    p
                    for p, most in SURPRISE_AT.items()
                    if args.peers and model == args.models[0] and rows <= most
                )
                out.append(sets.synthetic(rows, cands, seed=args.seed, peers=peers))
                say(console, model, out[-1:])
        if "sim" in args.sets:
            status.update(f"{model}: simulation")
            out.append(
                sets.simulation(
                    model,
                    {n: CANDIDATES[n][model] for n in names},
                    subscribers=args.subscribers,
                    days=args.days,
                    seeds=args.sim_seeds,
                    workers=args.workers,
                )
            )
            say(console, model, out[-1:])
    return out


def say(console: Console, model: str, results: list[sets.SetResult]) -> None:
    """One line per data set as it ends (the whole run takes minutes)."""
    for r in results:
        figures = ", ".join(f"{k} {v:.4f}" for k, v in {**r.values, **r.peers}.items())
        console.print(f"{model} {r.name} ({r.seconds:.0f} s): {r.metric} {figures}")


def relative(result: sets.SetResult) -> dict[str, float]:
    """Each candidate's figure against the best candidate's on this set (1.0: the best;
    above 1: worse by that factor, for either direction of the metric)."""
    values = result.values
    if result.higher_is_better:
        best = max(values.values())
        return {c: best / v if v > 0 else float("inf") for c, v in values.items()}
    best = min(values.values())
    return {c: v / best for c, v in values.items()}


def change(result: sets.SetResult) -> float | None:
    """How much the defaults lose to the old ones (0.02: 2% worse; negative: better)."""
    if BASELINE not in result.values or CHOSEN not in result.values:
        return None
    old, new = result.values[BASELINE], result.values[CHOSEN]
    return (old - new) / old if result.higher_is_better else (new - old) / old


def table(model: str, results: list[sets.SetResult], names: list[str]) -> Table:
    t = Table(title=f"{model}: candidate defaults across data", title_justify="left")
    t.add_column("data set")
    t.add_column("metric")
    for n in names:
        t.add_column(n, justify="right")
    t.add_column(f"{CHOSEN} vs {BASELINE}", justify="right")
    t.add_column("peers", justify="left")
    for r in results:
        rel = relative(r)
        cells = [
            f"{r.values[n]:.4f}" + (" *" if rel[n] == 1.0 and len(names) > 1 else "")
            if n in r.values
            else ""
            for n in names
        ]
        moved = change(r)
        shown = "" if moved is None else f"{-moved:+.2%}"
        if moved is not None:
            shown = f"[{'red' if moved > MAX_LOSS else 'green'}]{shown}[/]"
        peers = ", ".join(f"{k} {v:.4f}" for k, v in r.peers.items())
        t.add_row(
            r.name, r.metric + ("" if r.higher_is_better else " (lower)"), *cells, shown, peers
        )
    means = {n: np.mean([relative(r)[n] for r in results if n in r.values]) for n in names}
    t.add_row("mean relative", "1.0 = best", *(f"{means[n]:.4f}" for n in names), "", "")
    cells = (worst(results, n) for n in names)
    t.add_row("worst vs old", f"at most {MAX_LOSS:.0%}", *cells, "", "")
    return t


def worst(results: list[sets.SetResult], name: str) -> str:
    """The candidate's largest loss to the old defaults over the data sets (the rule that
    picks the defaults: the best mean among those that lose at most MAX_LOSS anywhere)."""
    losses = [
        (o - v) / o if r.higher_is_better else (v - o) / o
        for r in results
        if name in r.values and BASELINE in r.values
        for o, v in [(r.values[BASELINE], r.values[name])]
    ]
    if not losses or name == BASELINE:
        return ""
    most = max(losses)
    return f"[{'red' if most > MAX_LOSS else 'green'}]{-most:+.2%}[/]"


def checks(by_model: dict[str, list[sets.SetResult]]) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for r in by_model.get("embedding-nn", []):
        if r.name.startswith("MovieLens") and "Surprise SVDpp" in r.peers and CHOSEN in r.values:
            out[f"embedding-nn at or below SVD++ on {r.name}"] = (
                r.values[CHOSEN] <= r.peers["Surprise SVDpp"]
            )
    for model, results in by_model.items():
        moved = [m for m in map(change, results) if m is not None]
        if moved:
            out[
                f"{model}: no data set where the defaults lose more than {MAX_LOSS:.0%} to the old"
            ] = max(moved) <= MAX_LOSS
    return out


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding the data sets")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--candidates", default=",".join(FINAL), help=f"of {', '.join(CANDIDATES)}")
    p.add_argument("--search", action="store_true", help="old and every SEARCH candidate")
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--sets", default="ml,amazon,synthetic,sim")
    p.add_argument("--sizes", default=",".join(map(str, SIZES)), help="synthetic rows")
    p.add_argument("--amazon-every", type=int, default=4, help="keep every Nth user")
    p.add_argument("--subscribers", type=int, default=100)
    p.add_argument("--days", type=int, default=10)
    p.add_argument("--sim-seeds", type=int, default=2, help="simulations per candidate")
    p.add_argument("--workers", type=int, default=2, help="simulations side by side")
    p.add_argument("--peers", action=argparse.BooleanOptionalAction, default=True, help="Surprise")
    p.add_argument("--out", type=Path, default=RESULTS / "defaults.json")
    args = p.parse_args(argv)
    chosen = ["old", *SEARCH, *DOT_SEARCH] if args.search else args.candidates.split(",")
    args.candidates = chosen
    unknown = [c for c in args.candidates if c not in CANDIDATES]
    if unknown:
        p.error(f"unknown candidates {unknown}; known: {', '.join(CANDIDATES)}")
    args.models = args.models.split(",")
    args.sets = args.sets.split(",")
    args.sizes = [int(s) for s in args.sizes.split(",")]
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    console = Console(width=None if Console().is_terminal else 160)
    began = time.perf_counter()
    by_model: dict[str, list[sets.SetResult]] = {}
    for model in args.models:
        by_model[model] = run(args, model, console)
        names = [n for n in args.candidates if model in CANDIDATES[n]]
        console.print(table(model, by_model[model], names))
    total = time.perf_counter() - began
    met = checks(by_model)
    console.print(targets_table(met))
    console.print(f"Total {total:.0f} s.")
    out = write_results(
        "defaults",
        {
            "total_seconds": total,
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "candidates": {n: CANDIDATES[n] for n in args.candidates},
            "targets": met,
            "results": {
                m: [{"data": r.name, **r.to_json()} for r in rs] for m, rs in by_model.items()
            },
        },
        out=args.out,
    )
    console.print(f"written: {out}")


if __name__ == "__main__":
    main()
