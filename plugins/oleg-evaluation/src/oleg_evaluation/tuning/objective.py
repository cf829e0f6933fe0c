"""What ``oleg tune`` optimises: one metric of the harness, which way, and how to measure it.

The metric is one the runner reports anyway (``rmse``, ``auc``, ``ndcg@10``...), so a tuned
figure reads exactly like a figure of ``oleg evaluate``. The default follows the data: RMSE
for graded ratings, AUC for 👍/👎, NDCG@K for positives only (where no other can be told).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from oleg.errors import ConfigError

from oleg_evaluation.dataset import Dataset
from oleg_evaluation.names import better, title
from oleg_evaluation.results import EvalConfig

RATING_METRICS = ("rmse", "mae", "auc", "pair_acc")
RANKING_METRICS = ("ndcg", "recall", "hit")
METRICS = RATING_METRICS + RANKING_METRICS
DEFAULT_METRIC = {"explicit": "rmse", "binary": "auc", "implicit": "ndcg"}


@dataclass(frozen=True)
class Objective:
    """``key``: the metric's name in the runner's results (``rmse_orig`` on a rating
    scale, ``ndcg@10``); ``direction``: Optuna's."""

    key: str
    direction: Literal["minimize", "maximize"]
    k: int
    ranking: bool
    scale: tuple[float, float] | None = None

    @classmethod
    def choose(cls, data: Dataset, metric: str | None, *, k: int = 10) -> Objective:
        """The objective named ``metric`` (one of :data:`METRICS`), or the data kind's default."""
        name = metric or DEFAULT_METRIC[data.kind]
        if name not in METRICS:
            raise ConfigError(f"--metric {name}: choose one of {', '.join(METRICS)}.")
        if name in RATING_METRICS and data.kind == "implicit":
            raise ConfigError(
                f"--metric {name}: {data.name} holds positives only, so a rating metric cannot "
                f"tell models apart; choose {', '.join(RANKING_METRICS)}."
            )
        if name in RANKING_METRICS:
            key = f"{name}@{k}"
        else:
            key = f"{name}_orig" if name in ("rmse", "mae") and data.scale is not None else name
        way = better(key)
        direction = "minimize" if way == "low" else "maximize"
        return cls(key, direction, k, name in RANKING_METRICS, data.scale)

    def config(
        self, data: Dataset, *, seed: int, batch: int = 256, catalog: str = "train"
    ) -> EvalConfig:
        """How the runner measures a trial: rating metrics where the data has them (cheap),
        full ranking only when the objective needs it."""
        return EvalConfig(
            k=self.k,
            seed=seed,
            batch=batch,
            rating_metrics=data.kind != "implicit",
            ranking_metrics=self.ranking,
            catalog=catalog,
        )

    @property
    def title(self) -> str:
        return title(self.key, self.scale)

    def better(self, value: float, than: float) -> bool:
        """Whether ``value`` is strictly better than ``than`` (NaN never is)."""
        if math.isnan(value):
            return False
        if math.isnan(than):
            return True
        return value < than if self.direction == "minimize" else value > than
