"""Parity: `als` through oleg against implicit's AlternatingLeastSquares called directly.

MovieLens latest-small, ratings >= 4 stars are 👍 and the rest 👎 (how oleg sees feedback),
the same temporal split as bench_topk. Both sides, in the same run:

- oleg: `als`, built by name through the plugin registry (as the harness and a deployment
  build it), fitted on the train rows;
- direct: implicit's AlternatingLeastSquares with the same hyperparameters, seed and thread
  count, fitted on the same matrix (`oleg_recommender_als.als_matrix(train)`, alpha already
  in it, so implicit gets alpha=1.0), with BLAS limited to one thread as implicit advises.

Both are measured by the same harness (oleg_evaluation.evaluate: the same catalogue, the
same excluded train items, the same full ranking and metrics). The direct model reaches it
through a thin adapter that exposes implicit's factors through `score_many` with the
plugin's documented rules (known pair: item · user in float64; unknown user: the mean user
vector; unknown post: its channel's mean item vector), so the only difference between the
two rows is who fitted the factors.

Targets: metrics identical to 1e-6; oleg's fit time at most 1.05x the direct fit's (median over
alternated pairs of fits, after a warm-up, of oleg's time / the direct one's; oleg's fit includes building the matrix from the ratings,
the direct one starts from the finished matrix).

Usage: .venv/bin/python benchmarks/bench_als_parity.py [--ratings PATH] [--threads 1]
       [--repeats 9] [--factors 64 --regularization 0.01 --iterations 15] [--seed 0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from results_file import write_results
from oleg import Candidates, Interactions, Recommender
from oleg_evaluation import EvalConfig, RecommenderSpec, evaluate, load_ratings, temporal
from oleg.plugins import Plugins

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RATINGS = ROOT.parent / "shared" / "data" / "movielens-latest-small" / "ratings.csv"

METRIC_TOL = 1e-6
RATIO_TARGET = 1.05


class DirectAls(Recommender):
    """implicit's ALS fitted directly on ``als_matrix(train)``, scored like the plugin.

    Not an oleg model: the adapter only lets the harness rank with implicit's factors.
    """

    def __init__(self, settings: Any, *, seed: int = 0) -> None:
        super().__init__(None, seed=seed)
        self.als = settings  # the oleg side's validated AlsSettings: same hyperparameters
        self.user_factors = np.zeros((0, settings.factors), dtype=np.float32)
        self.item_factors = np.zeros((0, settings.factors), dtype=np.float32)
        self.user_ids = np.zeros(0, dtype=np.int64)
        self.post_ids = np.zeros(0, dtype=np.int64)
        self.post_channel = np.zeros(0, dtype=np.int64)

    def fit(self, feedback: Interactions) -> None:
        from oleg_recommender_als import als_matrix

        m = als_matrix(feedback, self.als)
        model = fit_direct(m.matrix, self.als, self.seed)
        self.user_factors, self.item_factors = model.user_factors, model.item_factors
        self.user_ids, self.post_ids, self.post_channel = m.user_ids, m.post_ids, m.post_channel

    def partial_fit(self, feedback: Interactions) -> None:
        raise NotImplementedError("the direct peer only refits from scratch")

    def score(self, user: int | None, candidates: Candidates) -> np.ndarray:
        return self.score_many([user], candidates)[0]  # type: ignore[list-item]

    def score_many(self, users: Sequence[int | None], candidates: Candidates) -> np.ndarray:
        f = self.als.factors
        U = self.user_factors.astype(np.float64)
        V = self.item_factors.astype(np.float64)
        mean_user = U.mean(axis=0) if len(U) else np.zeros(f)
        user_vecs = np.tile(mean_user, (len(users), 1))
        row_of = {int(u): i for i, u in enumerate(self.user_ids)}
        for n, u in enumerate(users):
            if u is not None and int(u) in row_of:
                user_vecs[n] = U[row_of[int(u)]]
        col_of = {int(p): j for j, p in enumerate(self.post_ids)}
        item_vecs = np.empty((len(candidates), f))
        for n, (p, c) in enumerate(zip(candidates.post.tolist(), candidates.channel.tolist(), strict=True)):
            if p in col_of:
                item_vecs[n] = V[col_of[p]]
            else:  # a post never seen: its channel's mean item vector, else all items' mean
                same = self.post_channel == c
                pool = V[same] if same.any() else V
                item_vecs[n] = pool.mean(axis=0) if len(pool) else 0.0
        return user_vecs @ item_vecs.T


def fit_direct(matrix: Any, s: Any, seed: int) -> Any:
    """implicit's ALS exactly as its users call it, on the CPU."""
    from implicit.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    direct = AlternatingLeastSquares(
        factors=s.factors,
        regularization=s.regularization,
        alpha=1.0,  # alpha is already in the matrix
        iterations=s.iterations,
        num_threads=s.num_threads,
        random_state=seed,
        use_gpu=False,
    )
    with threadpool_limits(1, "blas"):
        direct.fit(matrix, show_progress=False)
    return direct


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ratings", type=Path, default=DEFAULT_RATINGS,
                        help="MovieLens ratings.csv (movies.csv beside it gives first genre = channel)")
    parser.add_argument("--threads", type=int, default=1,
                        help="implicit's num_threads for both sides (0: all cores, very noisy on a busy machine)")
    parser.add_argument("--repeats", type=int, default=9, help="timed fits per side, after one warm-up each")
    parser.add_argument("--factors", type=int, default=None)
    parser.add_argument("--regularization", type=float, default=None)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--test-share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "als_parity.json")
    args = parser.parse_args(argv)
    console = Console(width=None if Console().is_terminal else 120)

    plugins = Plugins()
    if "als" not in Plugins.available():
        console.print("[red]the als plugin is not installed (scripts/setup.sh installs it)[/]")
        return 2
    from oleg_recommender_als import als_matrix

    # the oleg side: built by name, its settings validated by the plugin, on the CPU like the peer
    settings: dict[str, Any] = {"num_threads": args.threads, "use_gpu": False}
    for key in ("factors", "regularization", "iterations"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    oleg_spec = RecommenderSpec("als", settings)
    s = oleg_spec.build(args.seed, plugins).settings

    items = args.ratings.parent / "movies.csv"
    stars = load_ratings(args.ratings, items=items if items.exists() else None, positive_at=4.0,
                         name=args.ratings.parent.name)
    data = stars.binarized()
    split = temporal(data, quantile=1 - args.test_share)
    train = split.train(data)

    # metrics: both through the same harness, in the same run; keep the fitted models
    fitted: dict[str, Any] = {}

    def keep(name: str, model: Recommender) -> Recommender:
        fitted[name] = model
        return model

    oleg_label, direct_label = "als via oleg", "implicit ALS, direct"
    specs = [
        RecommenderSpec("als", settings, label=oleg_label,
                        factory=lambda seed: keep("oleg", oleg_spec.build(seed, plugins))),
        RecommenderSpec("implicit-direct", label=direct_label,
                        factory=lambda seed: keep("direct", DirectAls(s, seed=seed))),
    ]
    config = EvalConfig(k=args.k, seed=args.seed, rating_metrics=False)
    with Progress(console=console, transient=True) as progress:
        ev = evaluate(data, specs, [split], config, progress=progress, plugins=plugins)
    if ev.errors():
        for label, error in ev.errors().items():
            console.print(f"[red]{label}: {error}[/]")
        return 2
    summary = ev.summary()
    k = args.k
    names = [f"ndcg@{k}", f"recall@{k}", f"hit@{k}", f"coverage@{k}", f"pop_bias@{k}"]
    metric_diff = max(abs(summary[oleg_label][n] - summary[direct_label][n]) for n in names)

    ours, theirs = fitted["oleg"], fitted["direct"]
    m = als_matrix(train, s)
    same_matrix = (
        np.array_equal(ours.matrix.indptr, m.matrix.indptr)
        and np.array_equal(ours.matrix.indices, m.matrix.indices)
        and np.array_equal(ours.matrix.data, m.matrix.data)
        and np.array_equal(ours.users.ids(), theirs.user_ids)
        and np.array_equal(ours.posts.ids(), theirs.post_ids)
    )
    factor_diff = max(
        float(np.abs(ours.user_factors.astype(np.float64) - theirs.user_factors).max()),
        float(np.abs(ours.item_factors.astype(np.float64) - theirs.item_factors).max()),
    )

    # fit time: one warm-up each, then alternated fits (who goes first alternates too)
    def time_oleg() -> float:
        model = oleg_spec.build(args.seed, plugins)
        began = time.perf_counter()
        model.fit(train)  # what the harness times: matrix from the ratings, then implicit
        return time.perf_counter() - began

    def time_direct() -> float:
        began = time.perf_counter()
        fit_direct(m.matrix, s, args.seed)  # from the finished matrix
        return time.perf_counter() - began

    def time_matrix() -> float:
        began = time.perf_counter()
        als_matrix(train, s)
        return time.perf_counter() - began

    oleg_times: list[float] = []
    direct_times: list[float] = []
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task("timing fits", total=2 * (args.repeats + 1))
        time_oleg(), progress.advance(bar)
        time_direct(), progress.advance(bar)
        for r in range(args.repeats):
            order = (time_oleg, time_direct) if r % 2 == 0 else (time_direct, time_oleg)
            for fn in order:
                (oleg_times if fn is time_oleg else direct_times).append(fn())
                progress.advance(bar)
    matrix_times = [time_matrix() for _ in range(args.repeats)]
    oleg_s, direct_s = statistics.median(oleg_times), statistics.median(direct_times)
    # each oleg fit against the direct fit beside it: a busy spell on the shared machine
    # slows a pair, not one side's median
    ratio = statistics.median(o / d for o, d in zip(oleg_times, direct_times, strict=True))
    metrics_ok = metric_diff <= METRIC_TOL
    ratio_ok = ratio <= RATIO_TARGET

    info = ev.splits[0]
    console.print(
        f"[bold]{data.name}[/]: {info['train_rows']:,} train / {info['test_rows']:,} test rows, "
        f"{info['ranked_users']} users ranked ({info['cold_users']} cold) over {info['catalog_items']:,} items; "
        f"factors={s.factors}, regularization={s.regularization}, iterations={s.iterations}, "
        f"like/dislike weight {s.like_weight:g}/{s.dislike_weight:g}, threads={s.num_threads}, seed={args.seed}; "
        f"oleg side built from the spec {oleg_spec.label!r}"
    )
    table = Table(title=f"ALS parity, {split.name}, K={k}")
    table.add_column("model")
    for header in ("NDCG", "Recall", "HitRate", "Coverage", "PopBias"):
        table.add_column(f"{header}@{k}", justify="right")
    table.add_column(f"fit s (median of {args.repeats})", justify="right")
    for label, fit_s in ((oleg_label, oleg_s), (direct_label, direct_s)):
        table.add_row(label, *(f"{summary[label][n]:.4f}" for n in names), f"{fit_s:.3f}")
    console.print(table)

    checks = Table(title="targets")
    for col in ("check", "value", "target", "result"):
        checks.add_column(col)
    verdict = {True: "[green]PASS[/]", False: "[red]FAIL[/]"}
    checks.add_row("max |metric difference|", f"{metric_diff:.2e}", f"<= {METRIC_TOL:g}", verdict[metrics_ok])
    checks.add_row("fit time oleg / direct (median of pairs)", f"{ratio:.3f}x", f"<= {RATIO_TARGET}x", verdict[ratio_ok])
    checks.add_row("max |factor difference|", f"{factor_diff:.2e}", "(reported)", "same matrix and ids" if same_matrix else "[red]matrix or ids differ[/]")
    console.print(checks)
    console.print(
        f"fits (s), oleg: {', '.join(f'{t:.3f}' for t in oleg_times)}; direct: {', '.join(f'{t:.3f}' for t in direct_times)}; "
        f"building the matrix alone (inside oleg's fit): median {statistics.median(matrix_times) * 1000:.1f} ms"
    )

    write_results("als_parity", {
        "ratings": str(args.ratings),
        "spec": oleg_spec.label,
        "settings": s.model_dump(mode="json"),
        "seed": args.seed,
        "k": k,
        "metrics": {"oleg": {n: summary[oleg_label][n] for n in names},
                    "direct": {n: summary[direct_label][n] for n in names}},
        "max_metric_diff": metric_diff,
        "max_factor_diff": factor_diff,
        "same_matrix_and_ids": bool(same_matrix),
        "fit_s": {"oleg": oleg_times, "direct": direct_times, "oleg_median": oleg_s, "direct_median": direct_s,
                  "matrix_build_median": statistics.median(matrix_times)},
        "ratio": ratio,
        "targets": {"metric_tol": METRIC_TOL, "ratio": RATIO_TARGET},
        "pass": {"metrics": metrics_ok, "ratio": ratio_ok},
        "evaluation": ev.to_json(),
    }, out=args.out)
    console.print(f"written: {args.out}")
    return 0 if metrics_ok and ratio_ok else 1


if __name__ == "__main__":
    sys.exit(main())
