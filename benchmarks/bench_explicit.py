"""Explicit ratings: oleg's rating models against Surprise's SVD, SVD++ and BaselineOnly,
side by side on the same splits of MovieLens (random 5-fold and temporal), in one run.

Every model, Surprise's included, goes through the same harness (oleg_evaluation): the
same train rows, the same test rows, the same RMSE/MAE on the original 0.5..5 stars.
oleg's models see ratings rescaled to 0..1 and their predictions are scaled back.

Usage: .venv/bin/python benchmarks/bench_explicit.py [--data ../shared/data] [--folds 5]
Needs scikit-surprise (pip install scikit-surprise; 1.1.5 works with numpy 2.x).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from results_file import write_results
from oleg import Candidates, Interactions, Recommender
from oleg_evaluation import EvalConfig, Evaluation, RecommenderSpec, evaluate, kfold, load_ratings, temporal
from oleg_evaluation.dataset import rescale

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"

# oleg's rating models: adding one (`dot`, `embedding-nn`) is adding its spec here.
OLEG_MODELS = ["popular", "dot", "embedding-nn"]
SURPRISE_MODELS = ["BaselineOnly", "SVD", "SVDpp"]

PUBLISHED = "Surprise README, ML-100k 5-fold (another data set): SVD 0.934, SVD++ 0.919, BaselineOnly 0.944"


class SurprisePeer(Recommender):
    """A Surprise algorithm behind oleg's Recommender interface, default parameters.

    It trains on the original star ratings (Surprise's defaults are tuned for them) and
    scores on oleg's 0..1 scale, so the harness measures it exactly like oleg's models.
    """

    def __init__(self, algorithm: str, scale: tuple[float, float], *, seed: int = 0) -> None:
        super().__init__(None, seed=seed)
        self.algorithm = algorithm
        self.scale = scale
        self.model = None

    def _make(self):  # type: ignore[no-untyped-def]
        import surprise

        cls = getattr(surprise, self.algorithm)
        if self.algorithm == "BaselineOnly":
            return cls(verbose=False)
        extra = {"cache_ratings": True} if self.algorithm == "SVDpp" else {}
        return cls(random_state=self.seed, **extra)

    def fit(self, feedback: Interactions) -> None:
        import surprise

        lo, hi = self.scale
        stars = lo + feedback.value * (hi - lo)
        raw = list(zip(feedback.user.tolist(), feedback.post.tolist(), stars.tolist(), [None] * len(feedback), strict=True))
        trainset = surprise.Dataset(surprise.Reader(rating_scale=self.scale)).construct_trainset(raw)
        self.model = self._make()
        self.model.fit(trainset)

    def partial_fit(self, feedback: Interactions) -> None:
        raise NotImplementedError("Surprise models refit from scratch")

    def score(self, user: int | None, candidates: Candidates) -> np.ndarray:
        if self.model is None:
            return np.full(len(candidates), 0.5)
        est = [self.model.predict(user, item).est for item in candidates.post.tolist()]
        return rescale(np.asarray(est, dtype=np.float64), self.scale)


def specs(scale: tuple[float, float]) -> list[RecommenderSpec]:
    peers = [
        RecommenderSpec(f"surprise-{name}", label=f"Surprise {name}",
                        factory=lambda seed, name=name: SurprisePeer(name, scale, seed=seed))
        for name in SURPRISE_MODELS
    ]
    return [RecommenderSpec.parse(s) for s in OLEG_MODELS] + peers


def table(runs: dict[str, Evaluation], title: str) -> Table:
    t = Table(title=title, title_justify="left")
    t.add_column("model")
    for split in runs:
        for col in ("RMSE", "MAE", "fit s"):
            t.add_column(f"{split} {col}", justify="right")
    labels = next(iter(runs.values())).labels()
    for label in labels:
        cells = []
        for ev in runs.values():
            s, sd = ev.summary()[label], ev.spread()[label]
            pm = len(ev.splits) > 1
            cells += [
                f"{s['rmse_orig']:.4f}" + (f" ± {sd['rmse_orig']:.4f}" if pm else ""),
                f"{s['mae_orig']:.4f}" + (f" ± {sd['mae_orig']:.4f}" if pm else ""),
                f"{s['fit_s']:.2f}",
            ]
        t.add_row(label, *cells)
    return t


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding movielens-latest-small/")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--test-share", type=float, default=0.2, help="temporal split: latest share in the test")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        import surprise  # noqa: F401
    except ImportError:
        sys.exit("bench_explicit needs Surprise: .venv/bin/pip install scikit-surprise")
    console = Console(width=None if Console().is_terminal else 120)
    ml = args.data / "movielens-latest-small"
    data = load_ratings(ml / "ratings.csv", items=ml / "movies.csv", name="MovieLens latest-small")  # genre = channel
    assert data.scale is not None
    config = EvalConfig(seed=args.seed, ranking_metrics=False)
    models = specs(data.scale)
    began = time.perf_counter()
    runs: dict[str, Evaluation] = {}
    with Progress(console=console, transient=True) as progress:
        runs[f"{args.folds}-fold"] = evaluate(data, models, kfold(data, k=args.folds, seed=args.seed), config, progress=progress)
        runs["temporal"] = evaluate(data, models, [temporal(data, quantile=1 - args.test_share)], config, progress=progress)
    total = time.perf_counter() - began
    title = (f"Explicit ratings, {data.describe()['rows']:,} MovieLens ratings (0.5-5 stars), seed {args.seed}: "
             f"RMSE/MAE in stars, fit s per split")
    console.print(table(runs, title))
    console.print(f"Temporal split: {runs['temporal'].splits[0]['name']}. {PUBLISHED}. Total {total:.0f} s.")
    errors = {k: v for ev in runs.values() for k, v in ev.errors().items()}
    for label, error in errors.items():
        console.print(f"[red]{label}: {error}[/]")
    import surprise

    out = write_results(
        "explicit",
        {"total_seconds": total, "published_reference": PUBLISHED,
         "runs": {name: ev.to_json() for name, ev in runs.items()}},
        numpy=np.__version__, surprise=surprise.__version__,
    )
    console.print(f"written: {out}")


if __name__ == "__main__":
    main()
