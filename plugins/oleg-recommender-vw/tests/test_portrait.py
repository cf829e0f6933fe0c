"""The portrait's counts in sorted arrays equal a plain dict of (subscriber, key) counts,
whatever the batches."""

from __future__ import annotations

import numpy as np
import pytest
from oleg_recommender_vw.portrait import Codes, Counts


def dict_before(state: dict, users, keys, liked):
    likes, n = [], []
    for u, k, v in zip(users.tolist(), keys.tolist(), liked.tolist(), strict=True):
        a, b = state.get((u, k), (0.0, 0))
        likes.append(a)
        n.append(b)
        state[(u, k)] = (a + v, b + 1)
    return np.array(likes), np.array(n, dtype=float)


@pytest.mark.parametrize("batch", [7, 500, 5000])
def test_counts_equal_a_dict_in_any_batches(batch: int) -> None:
    rng = np.random.default_rng(batch)
    m = 5000
    users = rng.integers(1, 80, m) * 10**9  # big ids, codes stay small
    keys = rng.choice([-1_001_000_000_000 - 7, 3, 10**15 + 2, 0, -5], m)
    liked = (rng.random(m) < 0.4).astype(float)
    counts, state = Counts(), {}
    for start in range(0, m, batch):
        s = slice(start, start + batch)
        got = counts.before(users[s], keys[s], liked[s])
        want = dict_before(state, users[s], keys[s], liked[s])
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
    assert len(counts) == len(state)
    probe_users = np.r_[users[:50], [1, 2]]  # two never seen
    probe_keys = np.r_[keys[:50], [3, 99]]
    likes, n = counts.lookup(probe_users, probe_keys)
    for u, k, a, b in zip(probe_users.tolist(), probe_keys.tolist(), likes, n, strict=True):
        assert (a, b) == state.get((u, k), (0.0, 0))

    saved = counts.arrays()
    loaded = Counts.from_arrays(saved["keys"], saved["likes"], saved["n"])
    np.testing.assert_array_equal(loaded.lookup(users, keys)[1], counts.lookup(users, keys)[1])
    assert {tuple(k) for k in saved["keys"].tolist()} == set(state)


def test_codes_are_stable_as_values_arrive() -> None:
    codes = Codes()
    first = codes.add(np.array([50, -3, 50, 7]))
    assert first.tolist() == [2, 0, 2, 1]  # new values numbered in increasing order
    again = codes.add(np.array([7, 1000, -3, -9]))
    assert again.tolist() == [1, 4, 0, 3]
    assert codes.find(np.array([1000, 8, 50])).tolist() == [4, -1, 2]


def test_saved_counts_naming_a_pair_twice_are_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        Counts.from_arrays(np.array([[1, 2], [1, 2]]), np.array([1.0, 0.0]), np.array([1, 1]))
