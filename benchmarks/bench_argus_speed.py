"""argus on 2 CPU cores: training throughput (events/s) of each preset, updating user
vectors for 1,000 new events (target <= 50 ms), scoring a 50,000-post pool for one
subscriber (target <= 1 ms median).

Usage: .venv/bin/python benchmarks/bench_argus_speed.py [--ratings 20000] [--presets small,medium,large]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from oleg.types import Candidates, Interactions
from oleg_recommender_argus import ArgusRecommender, ArgusSettings
from results_file import write_results
from rich.console import Console
from rich.table import Table


def ratings(n: int, users: int, posts: int, seed: int = 0) -> Interactions:
    rng = np.random.default_rng(seed)
    u = rng.integers(1, users + 1, n)
    p = rng.integers(1, posts + 1, n)
    return Interactions.from_arrays(u, p, -1_001_000_000_000 - p % 40, rng.random(n) < 0.3, np.sort(rng.integers(0, 10**6, n)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ratings", type=int, default=20_000)
    parser.add_argument("--presets", default="small,medium,large")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    console = Console()
    data = ratings(args.ratings, 1000, 5000)
    table = Table(title=f"argus speed ({args.threads} threads, {args.ratings} ratings, 1 pretrain + 1 fine-tune epoch)")
    for col in ("preset", "parameters", "train events/s", "update 1,000 events ms (<= 50)", "score 50k pool median ms (<= 1)"):
        table.add_column(col)
    rows = []
    pool = Candidates.from_arrays(np.arange(10**6, 10**6 + 50_000), -1_001_000_000_000 - np.arange(50_000) % 40)
    for preset in args.presets.split(","):
        model = ArgusRecommender(ArgusSettings(preset=preset, pretrain_epochs=1, finetune_epochs=1, threads=args.threads), seed=0)
        model.fit(data)
        events_s = model.fit_info["events_per_second"]
        model.score_many(list(range(1, 1001)), pool.take(slice(0, 10)))  # every user vector cached
        new = ratings(1000, 1000, 5000, seed=1)
        began = time.perf_counter()
        model.model._label(new, np.ones(len(new), dtype=np.int64))
        model.model.users.forget(set(new.user.tolist()))
        model.score_many(sorted(set(new.user.tolist())), pool.take(slice(0, 10)))
        update_ms = (time.perf_counter() - began) * 1000
        model.score(1, pool)  # the pool's item vectors cached
        times = []
        for _ in range(50):
            t = time.perf_counter()
            model.score(1, pool)
            times.append((time.perf_counter() - t) * 1000)
        score_ms = float(np.median(times))
        rows.append({"preset": preset, "parameters": model.n_parameters(), "train_events_per_s": events_s,
                     "update_1000_ms": update_ms, "score_50k_median_ms": score_ms})
        table.add_row(preset, f"{model.n_parameters():,}", f"{events_s:,.0f}", f"{update_ms:.1f}", f"{score_ms:.2f}")
    console.print(table)
    out = write_results("argus_speed", {"rows": rows, "ratings": args.ratings}, threads=args.threads)
    console.print(f"written: {out}")


if __name__ == "__main__":
    main()
