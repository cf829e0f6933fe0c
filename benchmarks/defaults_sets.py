"""The data sets ``bench_defaults.py`` measures candidate defaults on, one function each.

Every function takes the candidates (``label -> RecommenderSpec``) of one model and returns
a :class:`SetResult`: the figure of each candidate and of the peers beside it, on one
named data set. The models run through the evaluation harness (``oleg_evaluation``), the
simulation through ``oleg_demo.run_policy``, as the other benchmarks do.
"""

from __future__ import annotations

import re
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench_explicit import SurprisePeer
from oleg_evaluation import (
    EvalConfig,
    Evaluation,
    RecommenderSpec,
    evaluate,
    holdout,
    kfold,
    leave_last_out,
    load_ratings,
    load_sequences,
    temporal,
)
from synthetic_explicit import synthetic_ratings

RMSE = "rmse_orig"
NDCG = "ndcg@10"


@dataclass
class SetResult:
    """One data set's figures: ``values[candidate]`` and ``peers[name]`` in ``metric``."""

    name: str
    metric: str
    higher_is_better: bool
    values: dict[str, float]
    peers: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    notes: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "higher_is_better": self.higher_is_better,
            "values": self.values,
            "peers": self.peers,
            "seconds": self.seconds,
            "notes": self.notes,
        }


def _surprise(name: str, scale: tuple[float, float]) -> RecommenderSpec:
    return RecommenderSpec(
        f"surprise-{name}",
        label=f"Surprise {name}",
        factory=lambda seed: SurprisePeer(name, scale, seed=seed),
    )


def _figures(ev: Evaluation, key: str) -> dict[str, float]:
    errors = ev.errors()
    if errors:
        raise RuntimeError(f"{ev.dataset['name']}: {errors}")
    return {label: float(m[key]) for label, m in ev.summary().items()}


def _split(
    figures: dict[str, float], candidates: dict[str, RecommenderSpec]
) -> tuple[dict[str, float], dict[str, float]]:
    mine = {c: figures[c] for c in candidates}
    return mine, {k: v for k, v in figures.items() if k not in candidates}


def movielens(
    folder: Path, candidates: dict[str, RecommenderSpec], *, folds: int, seed: int, peers: bool
) -> list[SetResult]:
    """MovieLens latest-small, ``folds``-fold and temporal (last 20%): RMSE in stars, beside
    Surprise's SVD++ (``peers``)."""
    data = load_ratings(
        folder / "ratings.csv", items=folder / "movies.csv", name="MovieLens latest-small"
    )
    assert data.scale is not None
    specs = list(candidates.values()) + ([_surprise("SVDpp", data.scale)] if peers else [])
    config = EvalConfig(seed=seed, ranking_metrics=False)
    out = []
    for name, splits in (
        (f"MovieLens {folds}-fold", kfold(data, k=folds, seed=seed)),
        ("MovieLens temporal", [temporal(data, quantile=0.8)]),
    ):
        ev = evaluate(data, specs, splits, config)
        mine, others = _split(_figures(ev, RMSE), candidates)
        out.append(SetResult(name, "RMSE", False, mine, others, _seconds(ev)))
    return out


def amazon(
    path: Path, candidates: dict[str, RecommenderSpec], *, every: int, seed: int
) -> SetResult:
    """Amazon Video Games (positives only), every ``every``-th user, leave-last-out:
    NDCG@10 from full ranking, beside ``popular``."""
    data = load_sequences(path, name="Amazon Video Games")
    if every > 1:
        keep = data.interactions.user % every == 0
        data = replace(
            data,
            interactions=data.interactions.take(keep),
            name=f"{data.name}, every {every}th user",
        )
    specs = [*candidates.values(), RecommenderSpec("popular")]
    ev = evaluate(
        data, specs, [leave_last_out(data)], EvalConfig(k=10, seed=seed, rating_metrics=False)
    )
    mine, others = _split(_figures(ev, NDCG), candidates)
    rows = len(data.interactions)
    return SetResult(
        "Amazon Video Games", "NDCG@10", True, mine, others, _seconds(ev), f"{rows:,} rows"
    )


def synthetic(
    rows: int, candidates: dict[str, RecommenderSpec], *, seed: int, peers: tuple[str, ...]
) -> SetResult:
    """``rows`` synthetic ratings (``synthetic_explicit``), random 20% holdout: RMSE in
    stars against the noise floor (the best any model can do), beside Surprise ``peers``."""
    ratings = synthetic_ratings(rows, seed=seed)
    data = ratings.data
    assert data.scale is not None
    split = holdout(data, test_share=0.2, seed=seed)
    specs = [*candidates.values(), *(_surprise(p, data.scale) for p in peers)]
    ev = evaluate(data, specs, [split], EvalConfig(seed=seed, ranking_metrics=False))
    mine, others = _split(_figures(ev, RMSE), candidates)
    others["noise floor"] = ratings.floor(split.test_rows)
    return SetResult(f"synthetic {_short(rows)}", "RMSE", False, mine, others, _seconds(ev))


def simulation(
    model: str,
    candidates: dict[str, dict[str, Any]],
    *,
    subscribers: int,
    days: int,
    seeds: int,
    workers: int,
) -> SetResult:
    """The demo's simulation (its bundled demo.toml) at ``subscribers`` x ``days``: like rate
    over the last 7 days, the mean over seeds 0 .. ``seeds`` - 1 (one small run moves by a
    point or two with any change of the model). The demo's own settings of the model
    (``[policies.embedding-nn]``) win over a candidate's, as they do in ``oleg demo``: what
    the demo runs is measured."""
    jobs = [
        (model, label, settings, subscribers, days, seed)
        for label, settings in candidates.items()
        for seed in range(seeds)
    ]
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(workers) as pool:
        done = list(pool.map(_simulate, [(*job, tmp) for job in jobs]))
    rates: dict[str, list[float]] = {}
    for label, rate, _ in done:
        rates.setdefault(label, []).append(rate)
    return SetResult(
        f"simulation {subscribers}x{days}d",
        "like rate",
        True,
        {label: sum(r) / len(r) for label, r in rates.items()},
        seconds=sum(s for _, _, s in done),
        notes=f"last {min(7, days)} days, seeds {', '.join(map(str, range(seeds)))}: "
        + "; ".join(f"{k} " + " ".join(f"{r:.4f}" for r in v) for k, v in rates.items()),
    )


def _simulate(job: tuple[Any, ...]) -> tuple[str, float, float]:
    from oleg_demo import DemoConfig, RunSize, run_policy

    model, label, settings, subscribers, days, seed, tmp = job
    config = DemoConfig.load()
    base = config.policy(model)
    own = {"threads": 1, **base.tables.get("recommender", {})}
    name = re.sub(r"[^\w.-]+", "_", f"{model}-{label}")  # a file name: demo-NAME.db
    policy = base.with_settings(name, {**settings, **own})
    out = Path(tmp) / str(seed)
    out.mkdir(exist_ok=True)
    run = run_policy(config, policy, RunSize(subscribers, days, seed, out))
    return label, run.like_rate(max(0, days - 7)), run.seconds


def _seconds(ev: Evaluation) -> float:
    return float(sum(m.get("fit_s", 0.0) + m.get("eval_s", 0.0) for m in ev.summary().values()))


def _short(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows >= 1_000_000 else f"{rows // 1000}k"


__all__ = ["NDCG", "RMSE", "SetResult", "amazon", "movielens", "simulation", "synthetic"]
