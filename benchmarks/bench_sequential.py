"""Sequential next-item ranking, leave-last-out (each user's last item is the test), full
ranking over every train item (no sampled negatives), the user's earlier items excluded:
NDCG@10 and Recall@10 of ``popular``, ``als`` and ``argus`` through oleg_evaluation, and
RecTools' SASRec (with gSASRec's gBCE loss, 256 negatives) on the same split in the same
run, scored by the same code (``RankingTask.measure``). Data sets: Amazon Video Games (SASRec's Video.txt) and
MovieLens latest-small as sequences (every rating an interaction, in time order). Compare
with the literature's full-ranking figures, not its 100-sampled-negatives ones (those are
several times higher). Target: argus at or above the SASRec peer.

SASRec runs in an environment of its own, because RecTools pins numpy < 2 (and
pulls pytorch-lightning) while oleg's has numpy 2::

    python3.11 -m venv benchmarks/.peers/rectools
    benchmarks/.peers/rectools/bin/pip install 'rectools[torch]'

Without it the SASRec rows are skipped (said so).

Usage: .venv/bin/python benchmarks/bench_sequential.py [--data ../shared/data] [--k 10]
       [--datasets amazon-video-games,movielens-latest-small] [--sasrec-epochs 20]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from oleg.plugins import Plugins
from oleg.types import Interactions
from oleg_evaluation import (
    Dataset,
    EvalConfig,
    evaluate,
    leave_last_out,
    load_ratings,
    load_sequences,
)
from oleg_evaluation.measures import RankingTask
from results_file import RESULTS, write_results
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
PEER_PYTHON = Path(__file__).resolve().parent / ".peers" / "rectools" / "bin" / "python"
PEER_SCRIPT = Path(__file__).resolve().parent / "peers" / "rectools_sasrec.py"
SASREC = "sasrec (rectools, gBCE)"

# Adding a recommender is adding its spec; plugins not installed are skipped and said so.
# argus runs with its defaults: with positives only it serves its next-post logit, and
# early stopping on held-out next posts picks its number of passes (at most 40).
RECOMMENDERS = [
    "popular",
    "als",
    "argus:threads=1",
]


def movielens_sequences(folder: Path) -> Dataset:
    stars = load_ratings(
        folder / "ratings.csv", items=folder / "movies.csv", name="MovieLens latest-small"
    )
    inter = stars.interactions
    ones = Interactions(
        inter.user, inter.post, inter.channel, np.ones(len(inter)), inter.time, inter.category
    )
    return Dataset(
        name="MovieLens latest-small (sequences)",
        interactions=ones,
        kind="implicit",
        channel_names=stars.channel_names,
        source=str(folder),
    )


def load(name: str, data_dir: Path) -> Dataset:
    if name == "amazon-video-games":
        return load_sequences(data_dir / name / "Video.txt", name="Amazon Video Games")
    if name == "movielens-latest-small":
        return movielens_sequences(data_dir / name)
    raise SystemExit(f"unknown data set {name!r}: amazon-video-games or movielens-latest-small")


def sasrec(data: Dataset, k: int, epochs: int, seed: int) -> dict[str, Any]:
    """RecTools' SASRec fitted on the leave-last-out train rows, its top-k measured as
    oleg's models are."""
    split = leave_last_out(data)
    train, test = split.train(data), split.test(data)
    task = RankingTask.build(data, train, test, scope="train")
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "train.npz", Path(tmp) / "top.npz"
        np.savez(inp, user=train.user, item=train.post, time=train.time, rank_users=task.seen.users)
        began = time.perf_counter()
        done = subprocess.run(
            [
                str(PEER_PYTHON),
                str(PEER_SCRIPT),
                str(inp),
                str(out),
                "--k",
                str(k),
                "--epochs",
                str(epochs),
                "--seed",
                str(seed),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            return {
                "error": done.stderr.strip().splitlines()[-1]
                if done.stderr.strip()
                else f"exit {done.returncode}"
            }
        got = np.load(out)
        seconds = time.perf_counter() - began
        user, item, rank, fit_s = got["user"], got["item"], got["rank"], float(got["fit_s"])
    top = np.full((task.n_users, k), -1, dtype=np.int64)
    rows = np.searchsorted(task.seen.users, user)
    keep = rank <= k
    top[rows[keep], rank[keep] - 1] = task.catalog.index(item[keep])
    metrics, segments = task.measure(top, k)
    return {"metrics": {**metrics, "fit_s": fit_s, "eval_s": seconds - fit_s}, "segments": segments}


def commit() -> str | None:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None


def earlier_datasets(rerun: set[str]) -> dict[str, Any]:
    """The last run's entries for the data sets this run left out (each says when and at
    which commit it ran), so one data set can be rerun without losing the other's."""
    path = RESULTS / "sequential.json"
    if not path.exists():
        return {}
    try:
        old = json.loads(path.read_text())["datasets"]
    except (ValueError, KeyError, TypeError):
        return {}
    return {k: v for k, v in old.items() if k not in rerun}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder holding the data sets"
    )
    parser.add_argument("--datasets", default="amazon-video-games,movielens-latest-small")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=256, help="users scored at once")
    parser.add_argument("--sasrec-epochs", type=int, default=20)
    args = parser.parse_args(argv)
    console = Console(width=None if Console().is_terminal else 120)
    installed = Plugins.available()
    chosen = [r for r in RECOMMENDERS if r.split(":")[0] in installed]
    missing = [r for r in RECOMMENDERS if r not in chosen]
    if not PEER_PYTHON.exists():
        missing.append(
            f"{SASREC}: no environment at {PEER_PYTHON.parent.parent} (see this script's help)"
        )
    config = EvalConfig(k=args.k, seed=args.seed, batch=args.batch, rating_metrics=False)
    began = time.perf_counter()
    record: dict[str, Any] = {}
    ndcg, recall = f"ndcg@{args.k}", f"recall@{args.k}"
    for name in args.datasets.split(","):
        data = load(name, args.data)
        with Progress(console=console, transient=True) as progress:
            ev = evaluate(data, chosen, [leave_last_out(data)], config, progress=progress)
        summary = ev.summary()
        rows = {label: summary[label] for label in ev.labels()}
        peer = sasrec(data, args.k, args.sasrec_epochs, args.seed) if PEER_PYTHON.exists() else None
        if peer is not None and "metrics" in peer:
            rows[SASREC] = peer["metrics"]
        table = Table(
            title=f"{data.name}: leave-last-out, full ranking over {ev.splits[0]['catalog_items']:,} items, "
            f"{ev.splits[0]['ranked_users']:,} users",
            title_justify="left",
        )
        for col in ("model", "NDCG@10", "Recall@10", "fit s"):
            table.add_column(col, justify="left" if col == "model" else "right")
        for label, row in rows.items():
            table.add_row(
                label,
                f"{row.get(ndcg, float('nan')):.4f}",
                f"{row.get(recall, float('nan')):.4f}",
                f"{row.get('fit_s', float('nan')):.1f}",
            )
        console.print(table)
        for label, error in ev.errors().items():
            console.print(f"[red]{label}: {error}[/]")
        if peer is not None and "error" in peer:
            console.print(f"[red]{SASREC}: {peer['error']}[/]")
        argus = next((label for label in rows if label.startswith("argus")), None)
        verdict = None
        if argus and SASREC in rows:
            verdict = rows[argus][ndcg] >= rows[SASREC][ndcg]
            console.print(
                f"target: argus's NDCG@{args.k} ({rows[argus][ndcg]:.4f}) at or above SASRec's "
                f"({rows[SASREC][ndcg]:.4f}): " + ("[green]met[/]" if verdict else "[red]missed[/]")
            )
        record[name] = {
            "table": rows,
            "target_met": verdict,
            "sasrec": peer,
            "ran_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "commit": commit(),
            **ev.to_json(),
        }
    total = time.perf_counter() - began
    if missing:
        console.print(f"[yellow]skipped: {'; '.join(missing)}[/]")
    kept = earlier_datasets(set(record))
    if kept:
        console.print(f"kept from the last run: {', '.join(kept)} (--datasets left them out)")
    out = write_results(
        "sequential",
        {
            "total_seconds": total,
            "skipped": missing,
            "datasets": kept | record,
            "sasrec_epochs": args.sasrec_epochs,
        },
    )
    console.print(f"Total {total:.1f} s. written: {out}")


if __name__ == "__main__":
    main()
