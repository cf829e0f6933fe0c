"""Ranking each user's own test items among themselves (random-exposure test sets)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from oleg.errors import OlegError
from oleg.types import Interactions
from oleg_evaluation import Dataset, EvalConfig, evaluate, load_sequences
from oleg_evaluation.own_ranking import own_ranking_metrics
from oleg_evaluation.splits import Split


def binary(user: list[int], post: list[int], value: list[float]) -> tuple[Dataset, Interactions]:
    inter = Interactions.from_arrays(user, post, np.zeros(len(user)), value)
    return Dataset("t", inter, "binary"), inter


def test_a_perfect_and_a_reversed_order_by_hand() -> None:
    # user 1: items 10 (liked), 11, 12; user 2: 20, 21 (liked); user 3 one item only: left out
    data, test = binary([1, 1, 1, 2, 2, 3], [10, 11, 12, 20, 21, 30], [1, 0, 0, 0, 1, 1])
    perfect = own_ranking_metrics(data, test, np.array([0.9, 0.1, 0.2, 0.3, 0.8, 0.5]), k=1)
    assert perfect == {"own_ndcg@1": 1.0, "own_recall@1": 1.0, "own_hit@1": 1.0}
    reversed_ = own_ranking_metrics(data, test, np.array([0.1, 0.9, 0.2, 0.8, 0.3, 0.5]), k=2)
    # user 1: the liked item last of 3 (outside the top 2); user 2: second of 2
    assert reversed_["own_hit@2"] == 0.5 and reversed_["own_recall@2"] == 0.5
    assert reversed_["own_ndcg@2"] == pytest.approx(0.5 * (1 / math.log2(3)))


def test_ties_go_to_the_lower_item_and_repeats_count_once() -> None:
    data, test = binary([1, 1, 1, 1], [11, 10, 10, 12], [1, 0, 1, 0])  # item 10 rated twice, once liked
    scores = np.zeros(4)
    out = own_ranking_metrics(data, test, scores, k=1)
    assert out["own_hit@1"] == 1.0  # 10 first on the tie, and it counts as liked


def test_the_runner_reports_own_ranking_beside_full_ranking() -> None:
    rng = np.random.default_rng(0)
    user = np.repeat(np.arange(40), 10)
    post = np.tile(np.arange(10), 40)
    liked = (post < 3) | (rng.random(400) < 0.1)
    inter = Interactions.from_arrays(user, post, np.zeros(400), liked.astype(float), np.arange(400))
    data = Dataset("t", inter, "binary")
    perm = rng.permutation(400)
    split = Split("given", np.sort(perm[:300]), np.sort(perm[300:]))
    ev = evaluate(data, ["popular", "random"], [split], EvalConfig(k=3, own_ranking=True))
    summary = ev.summary()
    assert {"own_ndcg@3", "own_recall@3", "own_hit@3", "ndcg@3"} <= set(summary["popular"])
    assert summary["popular"]["own_ndcg@3"] > summary["random"]["own_ndcg@3"] + 0.1
    only_own = evaluate(data, ["popular"], [split], EvalConfig(k=3, own_ranking=True, ranking_metrics=False,
                                                                rating_metrics=False))
    assert "ndcg@3" not in only_own.summary()["popular"] and "auc" not in only_own.summary()["popular"]
    assert only_own.summary()["popular"]["own_ndcg@3"] == summary["popular"]["own_ndcg@3"]


def test_own_ranking_on_positives_only_is_refused(tmp_path) -> None:
    seq = tmp_path / "s.txt"
    seq.write_text("1 1\n1 2\n1 3\n2 1\n2 2\n")
    data = load_sequences(seq)
    split = Split("given", np.array([0, 1, 3]), np.array([2, 4]))
    with pytest.raises(OlegError, match="positives only"):
        evaluate(data, ["popular"], [split], EvalConfig(own_ranking=True))
