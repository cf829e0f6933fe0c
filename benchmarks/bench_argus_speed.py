"""argus on 2 CPU cores: training throughput (events/s) of each preset, updating user
vectors for 1,000 new events (target <= 50 ms), scoring a 50,000-post pool for one
subscriber (target <= 1 ms median).

Each figure comes with a floor measured in the same run, so that a loaded machine shows as
a ratio rather than as a number that moves: the update beside rerunning the transformer
over every affected window (what serving did before the key/value cache), the pool beside
one bare pass over the pool's cached vectors (a torch sum over the same bytes). Training is
timed at each of ``--threads`` (on this shared machine a second intra-op thread mostly
waits for a core: see the 1 vs 2 rows).

Usage: .venv/bin/python benchmarks/bench_argus_speed.py [--ratings 20000]
       [--presets small,medium,large] [--threads 1,2] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from oleg.types import Candidates, Interactions
from oleg_recommender_argus import ArgusRecommender, ArgusSettings
from oleg_recommender_argus.histories import Window, window_start
from oleg_recommender_argus.threads import set_threads
from results_file import write_results
from rich.console import Console
from rich.table import Table

UPDATE_TARGET_MS = 50.0
SCORE_TARGET_MS = 1.0
POOL = 50_000


def ratings(n: int, users: int, posts: int, seed: int = 0, t0: int = 0) -> Interactions:
    rng = np.random.default_rng(seed)
    u = rng.integers(1, users + 1, n)
    p = rng.integers(1, posts + 1, n)
    return Interactions.from_arrays(
        u,
        p,
        -1_001_000_000_000 - p % 40,
        rng.random(n) < 0.3,
        t0 + np.sort(rng.integers(0, 10**6, n)),
    )


def ms_since(began: float) -> float:
    return (time.perf_counter() - began) * 1000


def full_rerun_ms(model: ArgusRecommender, users: list[int]) -> float:
    """The floor of before: the transformer over each of these subscribers' windows."""
    m = model.model
    began = time.perf_counter()
    windows = [
        Window(u, window_start(len(m.histories.of(u)), m.size.max_history), len(m.histories.of(u)))
        for u in users
    ]
    batch, lengths = m.codes.batch(m.histories, windows, torch.device("cpu"))
    with torch.no_grad():
        m.net.last_states(batch, lengths)
    return ms_since(began)


def update_ms(model: ArgusRecommender, repeats: int) -> tuple[float, float, int]:
    """Median ms to take 1,000 new ratings in and have the vectors of everyone who got one
    (``partial_fit`` with no optimisation steps, then ``score_many`` on a tiny pool), and the
    median of the full rerun over the same subscribers."""
    tiny = Candidates.from_arrays(np.arange(1, 11), -1_001_000_000_000 - np.arange(1, 11) % 40)
    got, floor, affected = [], [], 0
    for r in range(repeats):
        new = ratings(1000, 1000, 5000, seed=100 + r, t0=10**7 * (r + 1))
        users = sorted(set(new.user.tolist()))
        began = time.perf_counter()
        model.partial_fit(new)
        model.score_many(users, tiny)
        got.append(ms_since(began))
        floor.append(full_rerun_ms(model, users))
        affected = len(users)
    return float(np.median(got)), float(np.median(floor)), affected


def score_ms(model: ArgusRecommender, pool: Candidates, calls: int = 200) -> tuple[float, float]:
    """Median ms of one subscriber's 50k pool, and of a bare sum over the same vectors."""
    model.score(1, pool)  # the pool's item vectors cached
    times = []
    for _ in range(calls):
        began = time.perf_counter()
        model.score(1, pool)
        times.append(ms_since(began))
    last = model.model.items._last
    assert last is not None
    items = last.matrix
    floor = []
    for _ in range(calls):
        began = time.perf_counter()
        items.sum()
        floor.append(ms_since(began))
    return float(np.median(times)), float(np.median(floor))


def train_events_per_s(preset: str, data: Interactions, threads: int) -> float:
    model = ArgusRecommender(
        ArgusSettings(preset=preset, pretrain_epochs=1, finetune_epochs=1, threads=threads), seed=0
    )
    model.fit(data)
    return float(model.fit_info["events_per_second"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ratings", type=int, default=20_000)
    parser.add_argument("--presets", default="small,medium,large")
    parser.add_argument("--threads", default="1,2", help="training thread counts to time")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    console = Console()
    threads = [int(t) for t in args.threads.split(",")]
    data = ratings(args.ratings, 1000, 5000)
    pool = Candidates.from_arrays(
        np.arange(10**6, 10**6 + POOL), -1_001_000_000_000 - np.arange(POOL) % 40
    )
    table = Table(
        title=f"argus speed ({args.ratings:,} ratings of 1,000 subscribers; "
        "1 pretrain + 1 fine-tune epoch)"
    )
    for col in (
        "preset",
        "parameters",
        *(f"train events/s, {t} thr" for t in threads),
        f"update 1,000 events ms (<= {UPDATE_TARGET_MS:.0f})",
        "full rerun ms",
        "speed-up",
        f"score 50k pool ms (<= {SCORE_TARGET_MS:g})",
        "bare pass ms",
        "ratio",
    ):
        table.add_column(col, justify="right")
    rows = []
    for preset in args.presets.split(","):
        speeds = {t: train_events_per_s(preset, data, t) for t in threads}
        model = ArgusRecommender(
            ArgusSettings(
                preset=preset,
                pretrain_epochs=1,
                finetune_epochs=1,
                partial_steps=0,
                threads=threads[0],
            ),
            seed=0,
        )
        model.fit(data)
        model.score_many(list(range(1, 1001)), pool.take(slice(0, 10)))  # every subscriber cached
        upd, rerun, affected = update_ms(model, args.repeats)
        set_threads(1)
        score, bare = score_ms(model, pool)
        row = {
            "preset": preset,
            "parameters": model.n_parameters(),
            "train_events_per_s": {str(t): v for t, v in speeds.items()},
            "update_1000_ms": upd,
            "full_rerun_ms": rerun,
            "subscribers_updated": affected,
            "score_50k_median_ms": score,
            "bare_pass_ms": bare,
            "update_met": upd <= UPDATE_TARGET_MS,
            "score_met": score <= SCORE_TARGET_MS,
        }
        rows.append(row)
        table.add_row(
            preset,
            f"{row['parameters']:,}",
            *(f"{speeds[t]:,.0f}" for t in threads),
            f"{upd:.1f}",
            f"{rerun:.0f}",
            f"{rerun / upd:.0f}x",
            f"{score:.3f}",
            f"{bare:.3f}",
            f"{score / bare:.1f}x",
        )
        console.print(f"{preset}: done", style="dim")
    console.print(table)
    out = write_results(
        "argus_speed",
        {
            "rows": rows,
            "ratings": args.ratings,
            "repeats": args.repeats,
            "targets": {"update_ms": UPDATE_TARGET_MS, "score_ms": SCORE_TARGET_MS},
        },
        threads=threads,
    )
    console.print(f"written: {out}")


if __name__ == "__main__":
    main()
