"""Running several recommenders on the same splits of one data set, side by side.

Each split is prepared once (train and test rows, the ranking task) and every recommender
is built fresh with the same seed, fitted on the same train rows and measured the same
way: differences in the table are the models', not the protocol's. A recommender that
raises is reported with its error and the others still run.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from oleg.components import Recommender
from oleg.errors import OlegError
from oleg.plugins import Plugins
from rich.progress import Progress

from oleg_evaluation.dataset import Dataset
from oleg_evaluation.measures import RankingTask, rating_metrics, score_test
from oleg_evaluation.own_ranking import own_ranking_metrics
from oleg_evaluation.ranking import rank_top_k
from oleg_evaluation.results import EvalConfig, Evaluation, FoldResult
from oleg_evaluation.specs import RecommenderSpec
from oleg_evaluation.splits import Split


def evaluate(
    data: Dataset,
    specs: Sequence[RecommenderSpec | str],
    splits: Sequence[Split],
    config: EvalConfig | None = None,
    *,
    progress: Progress | None = None,
    plugins: Plugins | None = None,
) -> Evaluation:
    """Fit and measure every recommender on every split; see :class:`Evaluation`."""
    config = config or EvalConfig()
    specs = [s if isinstance(s, RecommenderSpec) else RecommenderSpec.parse(s) for s in specs]
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels):
        raise OlegError(f"recommenders are listed twice: {', '.join(sorted({x for x in labels if labels.count(x) > 1}))}")
    plugins = plugins or Plugins()
    rating = config.rating_metrics and data.kind != "implicit"
    if config.own_ranking and data.kind == "implicit":
        raise OlegError(f"{data.name}: ranking each user's own test items needs negatives in the test; "
                        "the data holds positives only (every item would be relevant)")
    split_info: list[dict[str, Any]] = []
    results: list[FoldResult] = []
    for split in splits:
        train, test = split.train(data), split.test(data)
        task = RankingTask.build(data, train, test, scope=config.catalog) if config.ranking_metrics else None
        split_info.append(
            {"name": split.name, "train_rows": len(train), "test_rows": len(test),
             **({"catalog": config.catalog, **task.describe()} if task else {})}
        )
        for spec in specs:
            model = spec.build(config.seed, plugins)  # configuration errors stop the run
            results.append(_run_one(model, spec.label, split.name, data, train, test, task, rating, config, progress))
    return Evaluation(data.describe(), config, split_info, results)


def _run_one(
    model: Recommender,
    label: str,
    split: str,
    data: Dataset,
    train: Any,
    test: Any,
    task: RankingTask | None,
    rating: bool,
    config: EvalConfig,
    progress: Progress | None,
) -> FoldResult:
    tag = f"{label} [{split}]"
    fit_task = progress.add_task(f"fit {tag}", total=None) if progress else None
    try:
        started = time.perf_counter()
        model.fit(train)
        fit_s = time.perf_counter() - started
    except Exception as exc:  # a broken model is reported, the comparison goes on
        return FoldResult(label, split, {}, error=f"fit failed: {type(exc).__name__}: {exc}")
    finally:
        if progress and fit_task is not None:
            progress.remove_task(fit_task)
    metrics: dict[str, float] = {}
    segments: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    try:
        if rating or config.own_ranking:
            scores = score_test(model, test)
            if rating:
                metrics.update(rating_metrics(data, test, scores))
            if config.own_ranking:
                metrics.update(own_ranking_metrics(data, test, scores, config.k))
        if task is not None and task.n_users:
            bar = progress.add_task(f"rank {tag}", total=task.n_users) if progress else None
            advance = (lambda n: progress.advance(bar, n)) if progress and bar is not None else None
            try:
                top = rank_top_k(model, task.seen, task.catalog, config.k, batch=config.batch, advance=advance)
            finally:
                if progress and bar is not None:
                    progress.remove_task(bar)
            ranked, segments = task.measure(top, config.k)
            metrics.update(ranked)
    except Exception as exc:
        return FoldResult(label, split, {"fit_s": fit_s}, error=f"scoring failed: {type(exc).__name__}: {exc}")
    metrics["fit_s"] = fit_s
    metrics["eval_s"] = time.perf_counter() - started
    return FoldResult(label, split, metrics, segments, _history(model))


def _history(model: Recommender) -> list[dict[str, Any]] | None:
    """The model's learning curve (:attr:`Recommender.history`), if it keeps one."""
    return [dict(h) for h in model.history] or None
