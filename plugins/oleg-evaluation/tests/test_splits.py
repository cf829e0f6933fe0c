"""Each split's invariants."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from oleg.errors import OlegError
from oleg.types import Interactions
from oleg_evaluation import Dataset, kfold, leave_last_out, load_ratings, make_splits, temporal


def _data(n=400, seed=0) -> Dataset:
    rng = np.random.default_rng(seed)
    user = rng.integers(1, 30, n)
    item = rng.permutation(n) + 1000  # every (user, item) pair distinct
    time = rng.integers(0, 50, n)  # ties in time happen
    return Dataset("t", Interactions.from_arrays(user, item, np.zeros(n), rng.random(n), time), "binary")


def _disjoint_cover(split, n):
    both = np.concatenate([split.train_rows, split.test_rows])
    assert len(both) == n and len(np.unique(both)) == n


def test_temporal_cut_by_quantile_and_by_time():
    data = _data()
    split = temporal(data, quantile=0.75)
    _disjoint_cover(split, len(data))
    t = data.interactions.time
    assert t[split.train_rows].max() < t[split.test_rows].min()  # no instant is split
    assert 0.7 < len(split.train_rows) / len(data) < 0.8
    at = temporal(data, at=20)
    assert (t[at.train_rows] < 20).all() and (t[at.test_rows] >= 20).all()
    dated = temporal(data, at=datetime.fromtimestamp(20, UTC))
    np.testing.assert_array_equal(dated.test_rows, at.test_rows)
    with pytest.raises(OlegError, match="no test"):
        temporal(data, at=10_000)


def test_leave_last_out_holds_out_each_users_last():
    data = _data()
    split = leave_last_out(data)
    _disjoint_cover(split, len(data))
    inter = data.interactions
    train, test = split.train(data), split.test(data)
    assert len(np.unique(test.user)) == len(test)  # one per user
    for u in np.unique(inter.user):
        rows = np.flatnonzero(inter.user == u)
        last = rows[np.lexsort((rows, inter.time[rows]))][-1]  # latest, file order breaking ties
        if len(rows) > 1:
            assert last in split.test_rows
        else:
            assert last in split.train_rows  # nothing to learn from: stays in train
    # no test (user, item) is in train
    train_pairs = set(zip(train.user.tolist(), train.post.tolist(), strict=True))
    assert not train_pairs & set(zip(test.user.tolist(), test.post.tolist(), strict=True))
    two = leave_last_out(data, n=2)
    assert np.bincount(two.test(data).user).max() == 2


def test_kfold_partitions_every_row_exactly_once():
    data = _data()
    folds = kfold(data, k=5, seed=3)
    assert len(folds) == 5
    tests = np.concatenate([f.test_rows for f in folds])
    assert sorted(tests.tolist()) == list(range(len(data)))
    for f in folds:
        _disjoint_cover(f, len(data))
        assert abs(len(f.test_rows) - len(data) / 5) <= 1
    again = kfold(data, k=5, seed=3)
    assert all(np.array_equal(a.test_rows, b.test_rows) for a, b in zip(folds, again, strict=True))
    other = kfold(data, k=5, seed=4)
    assert not np.array_equal(folds[0].test_rows, other[0].test_rows)


def test_make_splits_names(ratings_csv):
    data = load_ratings(ratings_csv)
    assert len(make_splits(data, "kfold", folds=3)) == 3
    assert make_splits(data, "leave-last-out")[0].name.startswith("leave-last-out")
    with pytest.raises(OlegError, match="unknown split"):
        make_splits(data, "bogus")
