"""Sequential next-item ranking, leave-last-out (each user's last item is the test), full
ranking over every train item (no sampled negatives), the user's earlier items excluded:
NDCG@10 and Recall@10 of ``popular``, ``als`` and ``argus`` through oleg_evaluation, and
RecTools' SASRec (with gSASRec's gBCE loss, 256 negatives) on the same split in the same
run, scored by the same code (``RankingTask.measure``). SASRec fits in its own process
while oleg's models fit beside it (one thread each: their fit times are of two loaded
cores). Data sets: Amazon Video Games (SASRec's Video.txt) and MovieLens latest-small as
sequences (every rating an interaction, in time order), the latter over 3 seeds (its 610
test users make one run noisy): the table shows means and their standard deviation.
Compare with the literature's full-ranking figures, not its 100-sampled-negatives ones
(those are several times higher). Target: argus, at the peer's size (64 wide, 2 layers,
50 steps), at or above the SASRec peer; the default (small) argus is shown beside it.

SASRec runs in an environment of its own, because RecTools pins numpy < 2 (and
pulls pytorch-lightning) while oleg's has numpy 2::

    python3.11 -m venv benchmarks/.peers/rectools
    benchmarks/.peers/rectools/bin/pip install 'rectools[torch]'

Without it the SASRec rows are skipped (said so).

Usage: .venv/bin/python benchmarks/bench_sequential.py [--data ../shared/data] [--k 10]
       [--datasets amazon-video-games,movielens-latest-small] [--sasrec-epochs 20]
       [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from oleg.plugins import Plugins
from oleg.types import Interactions
from oleg_evaluation import (
    Dataset,
    EvalConfig,
    Evaluation,
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
# argus runs with its defaults (the small preset, 32 wide, 1 layer) and at the peer's size
# (64 wide, 2 layers, 50 steps, as the SASRec below), with a post table of 262,144 rows
# (the medium preset's 65,536 hold 2.8 rows per post of Amazon's 23,715 and two hashes:
# posts that share rows resemble each other; with 4x the rows the held-out NDCG@50 after
# 5 passes rose from 0.061 to 0.065). With positives only it serves its next-post logit,
# and early stopping on held-out next posts picks its number of passes (at most 40). The
# target compares the peer-sized argus with the peer.
PEER_SIZED = "argus:preset=medium,max_history=50,hash_buckets=262144,threads=1"
RECOMMENDERS = [
    "popular",
    "als",
    "argus:threads=1",
    PEER_SIZED,
]
REPEATS = {"movielens-latest-small": 3}
"""Runs (seeds seed, seed+1, ...) of a data set whose one run is not enough: MovieLens's
610 test users move one run's NDCG@10 by about its standard error (~0.005); Amazon Video
Games's 31k by a seventh of that, and one run there takes over an hour."""


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


DATASETS = ("amazon-video-games", "movielens-latest-small")


def load(name: str, data_dir: Path) -> Dataset:
    """One of :data:`DATASETS`."""
    if name == "amazon-video-games":
        return load_sequences(data_dir / name / "Video.txt", name="Amazon Video Games")
    return movielens_sequences(data_dir / name)


@dataclass
class PeerRun:
    """SASRec fitting in its own process (one thread) while oleg's models fit beside it on
    the other core: the two run at once, so a data set takes the longer of the two."""

    process: subprocess.Popen[str]
    folder: Path
    task: RankingTask
    began: float

    @classmethod
    def start(cls, data: Dataset, k: int, epochs: int, seed: int) -> PeerRun:
        """RecTools' SASRec on the leave-last-out train rows of ``data``."""
        split = leave_last_out(data)
        train, test = split.train(data), split.test(data)
        task = RankingTask.build(data, train, test, scope="train")
        folder = Path(tempfile.mkdtemp(prefix="oleg-sasrec-"))
        inp = folder / "train.npz"
        np.savez(inp, user=train.user, item=train.post, time=train.time, rank_users=task.seen.users)
        argv = [str(PEER_PYTHON), str(PEER_SCRIPT), str(inp), str(folder / "top.npz")]
        argv += ["--k", str(k), "--epochs", str(epochs), "--seed", str(seed)]
        process = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        return cls(process, folder, task, time.perf_counter())

    def result(self, k: int) -> dict[str, Any]:
        """Waits for the peer; its top-k measured as oleg's models are (or its error)."""
        try:
            _, stderr = self.process.communicate()
            if self.process.returncode != 0:
                lines = stderr.strip().splitlines()
                return {"error": lines[-1] if lines else f"exit {self.process.returncode}"}
            got = np.load(self.folder / "top.npz")
            user, item, rank = got["user"], got["item"], got["rank"]
            fit_s, seconds = float(got["fit_s"]), float(got["seconds"])
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
        task = self.task
        top = np.full((task.n_users, k), -1, dtype=np.int64)
        rows = np.searchsorted(task.seen.users, user)
        keep = rank <= k
        top[rows[keep], rank[keep] - 1] = task.catalog.index(item[keep])
        metrics, segments = task.measure(top, k)
        return {
            "metrics": {**metrics, "fit_s": fit_s, "eval_s": seconds - fit_s},
            "segments": segments,
        }


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


@dataclass
class Run:
    """One seed's run of a data set: each model's figures, the evaluation, the peer's."""

    seed: int
    rows: dict[str, dict[str, float]]
    evaluation: Evaluation
    peer: dict[str, Any] | None


def one_run(
    data: Dataset, chosen: list[str], config: EvalConfig, sasrec_epochs: int, console: Console
) -> Run:
    peer = (
        PeerRun.start(data, config.k, sasrec_epochs, config.seed) if PEER_PYTHON.exists() else None
    )
    with Progress(console=console, transient=True) as progress:
        ev = evaluate(data, chosen, [leave_last_out(data)], config, progress=progress)
    summary = ev.summary()
    rows = {label: summary[label] for label in ev.labels()}
    got = peer.result(config.k) if peer is not None else None
    if got is not None and "metrics" in got:
        rows[SASREC] = got["metrics"]
    for label, error in ev.errors().items():
        console.print(f"[red]{label}: {error}[/]")
    if got is not None and "error" in got:
        console.print(f"[red]{SASREC}: {got['error']}[/]")
    return Run(config.seed, rows, ev, got)


def over_runs(runs: list[Run]) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Each model's mean and standard deviation over the runs (models in every run)."""
    labels = [label for label in runs[0].rows if all(label in r.rows for r in runs)]
    mean, sd = {}, {}
    for label in labels:
        names = runs[0].rows[label].keys()
        values = {m: np.array([r.rows[label][m] for r in runs], dtype=float) for m in names}
        mean[label] = {m: float(v.mean()) for m, v in values.items()}
        sd[label] = {m: float(v.std(ddof=1)) if len(v) > 1 else 0.0 for m, v in values.items()}
    return mean, sd


def report(data: Dataset, runs: list[Run], k: int, console: Console) -> dict[str, Any]:
    """Prints a data set's table (means over its runs) and the target; its JSON entry."""
    ndcg, recall = f"ndcg@{k}", f"recall@{k}"
    mean, sd = over_runs(runs)
    first = runs[0].evaluation
    seeds = ", ".join(str(r.seed) for r in runs)
    table = Table(
        title=f"{data.name}: leave-last-out, full ranking over "
        f"{first.splits[0]['catalog_items']:,} items, {first.splits[0]['ranked_users']:,} users"
        + (f"; mean of {len(runs)} runs (seeds {seeds})" if len(runs) > 1 else ""),
        title_justify="left",
    )
    columns = ["model", f"NDCG@{k}"] + (["sd"] if len(runs) > 1 else []) + [f"Recall@{k}", "fit s"]
    for col in columns:
        table.add_column(col, justify="left" if col == "model" else "right")
    for label, row in mean.items():
        cells = [label, f"{row.get(ndcg, float('nan')):.4f}"]
        if len(runs) > 1:
            cells.append(f"{sd[label].get(ndcg, float('nan')):.4f}")
        cells += [f"{row.get(recall, float('nan')):.4f}", f"{row.get('fit_s', float('nan')):.1f}"]
        table.add_row(*cells)
    console.print(table)
    argus = (
        PEER_SIZED if PEER_SIZED in mean else next((m for m in mean if m.startswith("argus")), None)
    )
    verdict = None
    if argus and SASREC in mean:
        verdict = mean[argus][ndcg] >= mean[SASREC][ndcg]
        console.print(
            f"target: {argus}'s NDCG@{k} ({mean[argus][ndcg]:.4f}) at or above SASRec's "
            f"({mean[SASREC][ndcg]:.4f}): " + ("[green]met[/]" if verdict else "[red]missed[/]")
        )
    return {
        "table": mean,
        "sd": sd,
        "target_met": verdict,
        "compared": argus,
        "runs": [{"seed": r.seed, "table": r.rows, "sasrec": r.peer} for r in runs],
        "ran_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "commit": commit(),
        **first.to_json(),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder holding the data sets"
    )
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=256, help="users scored at once")
    parser.add_argument("--sasrec-epochs", type=int, default=20)
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="runs (seeds) per data set; default 3 on MovieLens, 1 on Amazon Video Games",
    )
    args = parser.parse_args(argv)
    unknown = [n for n in args.datasets.split(",") if n not in DATASETS]
    if unknown:  # exit 2, before anything is fitted
        parser.error(
            f"--datasets: unknown {', '.join(map(repr, unknown))}; "
            f"expected any of {', '.join(DATASETS)}"
        )
    console = Console(width=None if Console().is_terminal else 120)
    installed = Plugins.available()
    chosen = [r for r in RECOMMENDERS if r.split(":")[0] in installed]
    missing = [r for r in RECOMMENDERS if r not in chosen]
    if not PEER_PYTHON.exists():
        missing.append(
            f"{SASREC}: no environment at {PEER_PYTHON.parent.parent} (see this script's help)"
        )
    began = time.perf_counter()
    record: dict[str, Any] = {}
    for name in args.datasets.split(","):
        data = load(name, args.data)
        repeats = args.repeats or REPEATS.get(name, 1)
        runs = []
        for seed in range(args.seed, args.seed + repeats):
            config = EvalConfig(k=args.k, seed=seed, batch=args.batch, rating_metrics=False)
            runs.append(one_run(data, chosen, config, args.sasrec_epochs, console))
        record[name] = report(data, runs, args.k, console)
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
