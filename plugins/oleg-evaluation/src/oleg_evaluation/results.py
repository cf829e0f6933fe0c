"""What an evaluation run produced, per recommender and split, and its summary.

Timings (``fit_s``, ``eval_s``) are kept apart from the quality metrics because they are
the only numbers the same seed does not reproduce.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from oleg.errors import OlegError

TIMINGS = ("fit_s", "eval_s")


@dataclass(frozen=True)
class EvalConfig:
    """How to evaluate: K of the top-K metrics, the seed (splits and every model), the
    number of users scored per batch, which metric families to compute, and the catalogue
    ranked: ``"train"`` (items seen in train) or ``"all"`` (also items first seen in the
    test, as fresh posts in a deployment's pool). ``own_ranking`` adds top-K metrics of
    each user's own test items ranked among themselves (random-exposure test sets)."""

    k: int = 10
    seed: int = 0
    batch: int = 256
    rating_metrics: bool = True
    ranking_metrics: bool = True
    catalog: str = "train"
    own_ranking: bool = False

    def __post_init__(self) -> None:
        if self.catalog not in ("train", "all"):
            raise OlegError(f"catalog must be 'train' or 'all', got {self.catalog!r}")


@dataclass(frozen=True)
class FoldResult:
    """One recommender on one split."""

    recommender: str
    split: str
    metrics: dict[str, float]
    segments: dict[str, dict[str, float]] = field(default_factory=dict)
    history: list[dict[str, Any]] | None = None
    error: str | None = None


@dataclass
class Evaluation:
    """Every recommender on every split of one data set."""

    dataset: dict[str, Any]
    config: EvalConfig
    splits: list[dict[str, Any]]
    results: list[FoldResult]

    def labels(self) -> list[str]:
        return list(dict.fromkeys(r.recommender for r in self.results))

    def metric_names(self) -> list[str]:
        names: dict[str, None] = {}
        for r in self.results:
            names.update(dict.fromkeys(r.metrics))
        quality = [n for n in names if n not in TIMINGS]
        return quality + [n for n in TIMINGS if n in names]

    def summary(self) -> dict[str, dict[str, float]]:
        """Mean of each metric over the splits (folds), per recommender."""
        return {label: self._reduce(label, np.mean) for label in self.labels()}

    def spread(self) -> dict[str, dict[str, float]]:
        """Standard deviation over the folds (0 with a single split)."""
        return {label: self._reduce(label, np.std) for label in self.labels()}

    def _reduce(self, label: str, how: Any) -> dict[str, float]:
        rows = [r for r in self.results if r.recommender == label and r.error is None]
        out = {}
        for name in self.metric_names():
            values = [r.metrics[name] for r in rows if name in r.metrics and not _nan(r.metrics[name])]
            out[name] = float(how(values)) if values else float("nan")
        return out

    def histories(self) -> dict[str, list[dict[str, Any]]]:
        """The first split's learning curve of each recommender that recorded one."""
        out: dict[str, list[dict[str, Any]]] = {}
        for r in self.results:
            if r.history and r.recommender not in out:
                out[r.recommender] = r.history
        return out

    def errors(self) -> dict[str, str]:
        return {r.recommender: r.error for r in self.results if r.error}

    def to_json(self) -> dict[str, Any]:
        return json_ready(
            {
                "dataset": self.dataset,
                "config": asdict(self.config),
                "splits": self.splits,
                "summary": self.summary(),
                "spread": self.spread() if len(self.splits) > 1 else None,
                "results": [asdict(r) for r in self.results],
            }
        )


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def json_ready(value: Any) -> Any:
    """JSON has no NaN: NaN and infinities become null; numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
