"""Train/test splits of a :class:`Dataset`, as row indices into its interactions.

- ``temporal``: one cut in time for everyone, train before, test from it on: what a
  deployment lives (the model is trained on the past and serves the future).
- ``leave_last_out``: each user's last interaction(s) are the test: the sequential
  recommendation protocol (SASRec and followers).
- ``kfold``: rows shuffled with a seed and dealt into k folds, each the test once: the
  protocol of Surprise's published cross-validation figures, to compare against them.
- ``holdout``: one random share of the rows (with a seed) is the test: one fold's worth of
  k-fold at any test share, for data too large to fit k times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from oleg.errors import OlegError
from oleg.types import IntArray, Interactions, to_epoch

from oleg_evaluation.dataset import Dataset


@dataclass(frozen=True)
class Split:
    """Row indices of the train and test parts; ``name`` says how it was made."""

    name: str
    train_rows: IntArray
    test_rows: IntArray

    def train(self, data: Dataset) -> Interactions:
        return data.interactions.take(self.train_rows)

    def test(self, data: Dataset) -> Interactions:
        return data.interactions.take(self.test_rows)


def temporal(data: Dataset, *, at: datetime | int | None = None, quantile: float = 0.8) -> Split:
    """Train on ratings before ``at`` (a date-time or Unix seconds), test on the rest.

    Without ``at`` the cut is the time below which a ``quantile`` share of ratings lies;
    ratings at the cut's exact time all go to the test, so no instant is split.
    """
    time = data.interactions.time
    if at is None:
        if not 0.0 < quantile < 1.0:
            raise OlegError(f"the temporal split's quantile must lie strictly between 0 and 1, got {quantile}")
        cut = int(np.sort(time)[min(int(np.floor(quantile * len(time))), len(time) - 1)])
        label = f"temporal (first {quantile:.0%} of ratings by time)"
    else:
        cut = to_epoch(at) if isinstance(at, datetime) else int(at)
        label = f"temporal (cut at {datetime.fromtimestamp(cut, UTC).isoformat()})"
    test = time >= cut
    if test.all() or not test.any():
        raise OlegError(f"the temporal cut at {cut} leaves {'no training' if test.all() else 'no test'} data")
    return Split(label, np.flatnonzero(~test), np.flatnonzero(test))


def leave_last_out(data: Dataset, *, n: int = 1) -> Split:
    """Each user's last ``n`` interactions (by time, then file order) are the test.

    Users with ``n`` interactions or fewer have nothing left to learn from and stay wholly
    in train, as in the SASRec protocol.
    """
    if n < 1:
        raise OlegError(f"leave-last-out needs n >= 1, got {n}")
    inter = data.interactions
    order = np.lexsort((np.arange(len(inter)), inter.time, inter.user))
    users = inter.user[order]
    ends = np.r_[np.flatnonzero(users[1:] != users[:-1]), len(users) - 1]
    counts = np.diff(np.r_[-1, ends])
    from_end = np.repeat(ends, counts) - np.arange(len(users))  # 0 for a user's last row
    test_sorted = (from_end < n) & (np.repeat(counts, counts) > n)
    test = np.zeros(len(inter), dtype=bool)
    test[order[test_sorted]] = True
    return Split(f"leave-last-out (last {n} per user)", np.flatnonzero(~test), np.flatnonzero(test))


def kfold(data: Dataset, *, k: int = 5, seed: int = 0) -> list[Split]:
    """``k`` splits whose test parts partition the rows (shuffled with ``seed``)."""
    if k < 2:
        raise OlegError(f"k-fold needs k >= 2, got {k}")
    if len(data) < k:
        raise OlegError(f"k-fold with k={k} needs at least {k} rows, the data has {len(data)}")
    perm = np.random.default_rng(seed).permutation(len(data))
    folds = np.array_split(perm, k)
    out = []
    for i, fold in enumerate(folds):
        rest = np.concatenate([f for j, f in enumerate(folds) if j != i])
        out.append(Split(f"{k}-fold random, fold {i + 1}", np.sort(rest), np.sort(fold)))
    return out


def holdout(data: Dataset, *, test_share: float = 0.2, seed: int = 0) -> Split:
    """A random ``test_share`` of the rows (shuffled with ``seed``) is the test."""
    if not 0.0 < test_share < 1.0:
        raise OlegError(f"the holdout's test share must lie strictly between 0 and 1, got {test_share}")
    n_test = round(test_share * len(data))
    if n_test == 0 or n_test == len(data):
        raise OlegError(f"a {test_share:.0%} holdout of {len(data)} rows leaves {'no test' if n_test == 0 else 'no training'} data")
    perm = np.random.default_rng(seed).permutation(len(data))
    return Split(f"random holdout ({test_share:.0%} of rows)", np.sort(perm[n_test:]), np.sort(perm[:n_test]))


SPLITS = ("temporal", "leave-last-out", "kfold", "holdout")


def make_splits(data: Dataset, how: str, *, seed: int = 0, folds: int = 5, quantile: float = 0.8,
                at: datetime | int | None = None, last: int = 1) -> list[Split]:
    """The splits named ``how`` (one of :data:`SPLITS`); ``quantile`` is the temporal
    split's train share, ``1 - quantile`` the holdout's test share."""
    if how == "temporal":
        return [temporal(data, at=at, quantile=quantile)]
    if how in ("leave-last-out", "last"):
        return [leave_last_out(data, n=last)]
    if how in ("kfold", "k-fold", "random"):
        return kfold(data, k=folds, seed=seed)
    if how == "holdout":
        return [holdout(data, test_share=1 - quantile, seed=seed)]
    raise OlegError(f"unknown split {how!r}; choose {', '.join(SPLITS)}")
