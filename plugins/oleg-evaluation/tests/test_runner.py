"""Several recommenders on one split: specs, determinism, reports, learning curves."""

from __future__ import annotations

import json

import numpy as np
import pytest
from oleg import Recommender
from oleg.errors import ConfigError, PluginError
from oleg_evaluation import (
    EvalConfig,
    RecommenderSpec,
    evaluate,
    kfold,
    load_ratings,
    print_table,
    temporal,
    write_plots,
    write_reports,
)
from oleg_evaluation.results import TIMINGS
from rich.console import Console


def test_spec_parsing():
    spec = RecommenderSpec.parse("als:factors=64,iterations=15,gpu=false,name=x,weights=[1,2]")
    assert spec.name == "als" and spec.label == "als:factors=64,iterations=15,gpu=false,name=x,weights=[1,2]"
    assert spec.settings == {"factors": 64, "iterations": 15, "gpu": False, "name": "x", "weights": [1, 2]}
    assert RecommenderSpec.parse("popular").settings == {}
    with pytest.raises(ConfigError, match="expected key=value"):
        RecommenderSpec.parse("popular:post_prior")


def test_spec_settings_are_validated_by_the_plugin():
    assert RecommenderSpec.parse("popular:post_prior=2").build(0).settings.post_prior == 2
    with pytest.raises(ConfigError, match="popular:bogus=1.*bogus"):
        RecommenderSpec.parse("popular:bogus=1").build(0)
    with pytest.raises(PluginError, match="popular"):
        RecommenderSpec.parse("populr").build(0)


def _numbers(ev):
    return [(r.recommender, r.split, {k: v for k, v in r.metrics.items() if k not in TIMINGS}, r.segments) for r in ev.results]


def test_same_seed_same_numbers(ratings_csv, movies_csv):
    data = load_ratings(ratings_csv, items=movies_csv)
    runs = [
        evaluate(data, ["random", "popular"], kfold(data, k=3, seed=seed), EvalConfig(k=5, seed=seed, batch=7))
        for seed in (1, 1, 2)
    ]
    assert _numbers(runs[0]) == _numbers(runs[1])
    assert _numbers(runs[0]) != _numbers(runs[2])


def test_popular_beats_random_and_cold_users_are_ranked(ratings_csv, movies_csv):
    data = load_ratings(ratings_csv, items=movies_csv)
    ev = evaluate(data, ["random", "popular"], [temporal(data, quantile=0.7)], EvalConfig(k=5))
    s = ev.summary()
    for metric in ("ndcg@5", "recall@5", "hit@5", "auc", "pair_acc"):
        assert s["popular"][metric] > s["random"][metric], metric
    assert s["popular"]["rmse_orig"] < s["random"]["rmse_orig"]
    assert s["popular"]["rmse_orig"] == pytest.approx(s["popular"]["rmse"] * 4)  # scale 1..5
    assert s["popular"]["pop_bias@5"] > s["random"]["pop_bias@5"]
    assert s["random"]["coverage@5"] > s["popular"]["coverage@5"]
    info = ev.splits[0]
    assert info["cold_users"] > 0 and info["ranked_users"] > info["cold_users"]
    popular = next(r for r in ev.results if r.recommender == "popular")
    assert popular.segments["cold"]["users"] == info["cold_users"]


class _Epochs(Recommender):
    """Learns nothing but keeps a learning curve, as an iterative model would."""

    def fit(self, feedback):
        self.history = [{"epoch": i, "train_loss": 1 / (i + 1), "val_loss": 1 / (i + 1) + 0.1} for i in range(4)]

    def partial_fit(self, feedback):
        pass

    def score(self, user, candidates):
        return np.full(len(candidates), 0.5)


class _Broken(_Epochs):
    def fit(self, feedback):
        raise RuntimeError("boom")


def test_reports_plots_history_and_errors(ratings_csv, tmp_path):
    data = load_ratings(ratings_csv)
    specs = [
        "popular",
        RecommenderSpec("epochs", factory=lambda seed: _Epochs(seed=seed)),
        RecommenderSpec("broken", factory=lambda seed: _Broken(seed=seed)),
    ]
    ev = evaluate(data, specs, kfold(data, k=2), EvalConfig(k=3))
    assert ev.histories()["epochs"][3]["train_loss"] == 0.25
    assert "boom" in ev.errors()["broken"]
    files = write_plots(ev, tmp_path)
    assert (tmp_path / "learning-curves.png").stat().st_size > 1000
    assert (tmp_path / "metric-ndcg_3.png").exists() and "NDCG@3" in files
    written = write_reports(ev, tmp_path, files)
    md = written["markdown"].read_text()
    assert "| popular |" in md and "±" in md and "![NDCG@3](metric-ndcg_3.png)" in md and "boom" in md
    js = json.loads(written["json"].read_text())
    assert js["summary"]["popular"]["ndcg@3"] > 0 and js["spread"] is not None
    assert js["results"][1]["history"][0]["epoch"] == 0
    console = Console(record=True, width=150)
    print_table(ev, console)
    text = console.export_text()
    assert "NDCG@3" in text and "RMSE (1-5)" in text and "broken: fit failed" in text


def test_rating_or_ranking_metrics_only(ratings_csv):
    data = load_ratings(ratings_csv)
    split = [temporal(data)]
    rating = evaluate(data, ["popular"], split, EvalConfig(ranking_metrics=False)).summary()["popular"]
    assert "rmse" in rating and "ndcg@10" not in rating
    ranking = evaluate(data, ["popular"], split, EvalConfig(rating_metrics=False)).summary()["popular"]
    assert "ndcg@10" in ranking and "rmse" not in ranking


def test_catalog_scope_makes_new_items_reachable(ratings_csv):
    data = load_ratings(ratings_csv)
    split = [temporal(data, quantile=0.5)]
    # hide some items from train: every rating of items 30.. goes to the test
    late = data.interactions.post >= 30
    split = [type(split[0])("custom", split[0].train_rows[~late[split[0].train_rows]], split[0].test_rows)]
    train_only = evaluate(data, ["popular"], split, EvalConfig(rating_metrics=False)).splits[0]
    everything = evaluate(data, ["popular"], split, EvalConfig(rating_metrics=False, catalog="all")).splits[0]
    assert train_only["unreachable_share"] > 0 and everything["unreachable_share"] == 0
    assert everything["catalog_items"] > train_only["catalog_items"] and everything["catalog"] == "all"
