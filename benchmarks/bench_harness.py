"""Harness speed: evaluation time against rows, on rows sorted by user and on the same rows
shuffled, for peers that score cell by cell (issue 11).

Synthetic half-star ratings (``rows / 25`` users, 3,000 posts of skewed popularity), a
random holdout of 20%, rating metrics only (the part of ``oleg evaluate`` that scores the
test rows through ``oleg.scoring.score_pairs``), three peers:

  per-pair   a peer without a vectorised ``score_many``: one Python prediction per
             (user, post) cell, as a wrapped library's ``predict(u, i)`` (Surprise)
  per-user   a peer that scores one user at a time (the default ``score_many``: a loop
             over ``score``, each vectorised over the posts)
  popular    oleg's own, vectorised

Targets: predictions at most 2x the test rows, sorted or shuffled (the 2,048-row blocks of
before asked every user x post of a block: the "before" column counts what they would
have); per peer, eval seconds per 1,000 rows at the largest size within 1.5x of those at
the smallest (linear in rows), and shuffled within 1.5x of sorted.

Usage: .venv/bin/python benchmarks/bench_harness.py [--sizes 20000,40000,80000,160000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from oleg import Candidates, Interactions, Recommender
from oleg.types import FloatArray
from oleg_evaluation import Dataset, EvalConfig, RecommenderSpec, evaluate, holdout
from results_file import write_results
from rich.console import Console
from rich.table import Table

PREDICTIONS_PER_ROW = 2.0
LINEAR_SLACK = 1.5
SHUFFLE_SLACK = 1.5
OLD_BLOCK = 2048


class _Biases(Recommender):
    """User and post means of the train ratings: cheap, so timings are the harness's."""

    name: ClassVar[str] = "biases"
    predictions = 0

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed=seed)
        self.user: dict[int, float] = {}
        self.post: dict[int, float] = {}
        self.mean = 0.5

    def fit(self, feedback: Interactions) -> None:
        self.mean = float(feedback.value.mean())
        for ids, table in ((feedback.user, self.user), (feedback.post, self.post)):
            keys, inverse = np.unique(ids, return_inverse=True)
            sums = np.bincount(inverse, weights=feedback.value - self.mean)
            table.update(zip(keys.tolist(), (sums / np.bincount(inverse)).tolist(), strict=True))

    def partial_fit(self, feedback: Interactions) -> None:
        self.fit(feedback)

    def score(self, user: int | None, candidates: Candidates) -> FloatArray:
        _Biases.predictions += len(candidates)
        u = self.user.get(user, 0.0) if user is not None else 0.0
        return self.mean + u + np.array([self.post.get(p, 0.0) for p in candidates.post.tolist()])


class PerUser(_Biases):
    """Scores one user at a time: the base class's ``score_many`` loops over ``score``."""

    name: ClassVar[str] = "per-user"


class PerPair(_Biases):
    """One prediction per cell, in Python: a peer without a vectorised ``score_many``."""

    name: ClassVar[str] = "per-pair"

    def predict(self, user: int, post: int) -> float:
        _Biases.predictions += 1
        return self.mean + self.user.get(user, 0.0) + self.post.get(post, 0.0)

    def score(self, user: int | None, candidates: Candidates) -> FloatArray:
        return np.array([self.predict(user or 0, p) for p in candidates.post.tolist()])

    def score_many(self, users: Sequence[int], candidates: Candidates) -> FloatArray:
        posts = candidates.post.tolist()
        return np.array([[self.predict(u, p) for p in posts] for u in users]).reshape(len(users), len(posts))


PEERS: dict[str, type[_Biases] | None] = {"per-pair": PerPair, "per-user": PerUser, "popular": None}


def ratings(rows: int, seed: int) -> Dataset:
    """Half-star ratings sorted by user, with a user x post taste so scores are not flat."""
    rng = np.random.default_rng(seed)
    users = max(rows // 25, 2)
    weight = 1.0 / np.arange(1, 3001) ** 0.9
    user = np.sort(rng.integers(0, users, rows))
    post = rng.choice(3000, size=rows, p=weight / weight.sum())
    taste = np.clip(0.5 + 0.3 * np.sin(user * 0.7 + post * 0.3) + rng.normal(0, 0.1, rows), 0, 1)
    stars = np.round(taste * 9) / 2 + 0.5  # half stars, 0.5..5: ten levels, as MovieLens
    inter = Interactions.from_arrays(user, post, post % 20, (stars - 0.5) / 4.5, np.arange(rows))
    return Dataset(f"synthetic {rows}", inter, "explicit", scale=(0.5, 5.0), positive_at=4.0)


def old_predictions(test: Interactions) -> int:
    """What the 2,048-row blocks of before asked: every distinct user x post of a block."""
    total = 0
    for start in range(0, len(test), OLD_BLOCK):
        block = slice(start, start + OLD_BLOCK)
        total += len(np.unique(test.user[block])) * len(np.unique(test.post[block]))
    return total


def measure(data: Dataset, peer: str, repeats: int) -> dict[str, float]:
    split = holdout(data, test_share=0.2, seed=0)
    cls = PEERS[peer]
    spec = RecommenderSpec(peer, factory=cls) if cls is not None else RecommenderSpec(peer)
    config = EvalConfig(ranking_metrics=False)
    seconds = []
    predictions = 0
    for _ in range(repeats):
        _Biases.predictions = 0
        ev = evaluate(data, [spec], [split], config)
        if ev.errors():
            raise RuntimeError(ev.errors())
        seconds.append(ev.results[0].metrics["eval_s"])
        predictions = _Biases.predictions
    test = split.test(data)
    return {"test_rows": len(test), "eval_s": statistics.median(seconds),
            "predictions": predictions if cls is not None else float("nan"),
            "before_predictions": old_predictions(test)}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000,40000,80000,160000", help="rows of the data sets (test: 20%%)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    console = Console(width=None if Console().is_terminal else 140)
    runs: list[dict[str, Any]] = []
    for rows in sizes:
        data = ratings(rows, args.seed)
        shuffled = Dataset(data.name, data.interactions.take(np.random.default_rng(1).permutation(rows)),
                           data.kind, data.scale, data.positive_at)
        for order, d in (("sorted", data), ("shuffled", shuffled)):
            for peer in PEERS:
                runs.append({"rows": rows, "order": order, "peer": peer, **measure(d, peer, args.repeats)})
    table = Table(title="oleg evaluate: scoring the test rows (holdout 20%, rating metrics)")
    for col in ("rows", "order", "peer", "test rows", "eval s", "ms / 1k rows", "predictions / row",
                "before: predictions / row"):
        table.add_column(col, justify="right")
    for r in runs:
        per_row = r["predictions"] / r["test_rows"]
        table.add_row(f"{r['rows']:,}", r["order"], r["peer"], f"{r['test_rows']:,}", f"{r['eval_s']:.3f}",
                      f"{1000 * r['eval_s'] / r['test_rows'] * 1000:.1f}",
                      "-" if np.isnan(per_row) else f"{per_row:.2f}", f"{r['before_predictions'] / r['test_rows']:.1f}")
    console.print(table)
    targets = check(runs, sizes)
    verdicts = Table(title="targets")
    for col in ("target", "figure", "met"):
        verdicts.add_column(col)
    for t in targets:
        verdicts.add_row(t["target"], t["figure"], "[green]yes[/]" if t["met"] else "[red]no[/]")
    console.print(verdicts)
    out = write_results("harness", {"sizes": sizes, "repeats": args.repeats, "runs": runs, "targets": targets})
    console.print(f"written: {out}")


def check(runs: list[dict[str, Any]], sizes: list[int]) -> list[dict[str, Any]]:
    def per_k(rows: int, order: str, peer: str) -> float:
        r = next(r for r in runs if r["rows"] == rows and r["order"] == order and r["peer"] == peer)
        return r["eval_s"] / r["test_rows"] * 1000

    worst = max(r["predictions"] / r["test_rows"] for r in runs if not np.isnan(r["predictions"]))
    out = [{"target": f"predictions <= {PREDICTIONS_PER_ROW:g}x test rows, sorted and shuffled",
            "figure": f"at most {worst:.2f}x", "met": bool(worst <= PREDICTIONS_PER_ROW)}]
    lo, hi = min(sizes), max(sizes)
    for peer in PEERS:
        for order in ("sorted", "shuffled"):
            ratio = per_k(hi, order, peer) / per_k(lo, order, peer)
            out.append({"target": f"{peer}, {order}: s per row at {hi:,} rows <= {LINEAR_SLACK:g}x that at {lo:,}",
                        "figure": f"{ratio:.2f}x", "met": bool(ratio <= LINEAR_SLACK)})
        ratio = per_k(hi, "shuffled", peer) / per_k(hi, "sorted", peer)
        out.append({"target": f"{peer}: shuffled <= {SHUFFLE_SLACK:g}x sorted at {hi:,} rows",
                    "figure": f"{ratio:.2f}x", "met": bool(ratio <= SHUFFLE_SLACK)})
    return out


if __name__ == "__main__":
    main()
