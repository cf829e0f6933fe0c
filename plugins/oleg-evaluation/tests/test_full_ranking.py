"""Full ranking: top-K selection, exclusion of train items, batching."""

from __future__ import annotations

import numpy as np
import pytest
from oleg import Candidates, Interactions, Recommender
from oleg_evaluation.ranking import Catalog, UserItems, rank_top_k, select_top_k


@pytest.mark.parametrize(
    ("seed", "n", "levels"),
    [(0, 40, 5), (1, 40, 5), (2, 3000, 5), (3, 3000, 400), (4, 3000, 10**6)],
    # narrow rows, wide rows with massive ties (the exact path), wide rows narrowed by blocks
)
def test_select_top_k_matches_a_stable_sort(seed, n, levels):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, levels, (30, n)).astype(float)
    scores[rng.random(scores.shape) < 0.2] = -np.inf
    scores[0, 10:] = -np.inf  # a row with fewer than k allowed items
    top = select_top_k(scores, 6)
    for row, s in zip(top, scores, strict=True):
        expected = sorted(range(len(s)), key=lambda i: (-s[i], i))[:6]
        expected = [i if s[i] != -np.inf else -1 for i in expected]
        assert row.tolist() == expected


def test_select_top_k_short_rows_and_small_catalogues():
    scores = np.array([[0.1, -np.inf, 0.3]])
    assert select_top_k(scores, 5).tolist() == [[2, 0, -1]]
    assert select_top_k(np.zeros((2, 0)), 3).shape == (2, 0)


class _Fixed(Recommender):
    """Scores an item by its id (higher id, better), whoever the user."""

    def fit(self, feedback):
        pass

    def partial_fit(self, feedback):
        pass

    def score(self, user, candidates):
        return candidates.post.astype(float)


def test_rank_excludes_train_items_and_batches_agree():
    train = Interactions.from_arrays([1, 1, 2, 3, 3], [10, 40, 20, 30, 40], [5, 5, 6, 6, 5], [1, 0, 1, 1, 1], [1, 2, 3, 4, 5])
    catalog = Catalog.from_train(train)
    assert catalog.items.tolist() == [10, 20, 30, 40]
    assert catalog.counts.tolist() == [1, 1, 1, 2]
    assert catalog.candidates.channel.tolist() == [5, 6, 6, 5]
    np.testing.assert_array_equal(catalog.index(np.array([40, 11, 10])), [3, -1, 0])
    users = np.array([1, 2, 3, 99])  # 99 is cold: nothing excluded
    seen = UserItems.build(users, train.user, catalog.index(train.post))
    assert seen.counts().tolist() == [2, 1, 2, 0]
    top = rank_top_k(_Fixed(), seen, catalog, 3, batch=4)
    assert top.tolist() == [[2, 1, -1], [3, 2, 0], [1, 0, -1], [3, 2, 1]]
    calls = []
    np.testing.assert_array_equal(rank_top_k(_Fixed(), seen, catalog, 3, batch=1, advance=calls.append), top)
    assert calls == [1, 1, 1, 1]


def test_rank_rejects_nan_scores():
    class Broken(_Fixed):
        def score(self, user, candidates):
            return np.full(len(candidates), np.nan)

    train = Interactions.from_arrays([1], [10], [5], [1.0])
    catalog = Catalog.from_train(train)
    seen = UserItems.build(np.array([1]), train.user, catalog.index(train.post))
    with pytest.raises(ValueError, match="NaN"):
        rank_top_k(Broken(), seen, catalog, 3)
    assert isinstance(catalog.candidates, Candidates)


def test_catalog_with_the_tests_new_items():
    train = Interactions.from_arrays([1, 2], [10, 20], [5, 6], [1, 1], [1, 2])
    test = Interactions.from_arrays([1, 2], [30, 10], [7, 5], [1, 0], [3, 4])
    assert Catalog.from_train(train).items.tolist() == [10, 20]
    both = Catalog.from_train(train, test)
    assert both.items.tolist() == [10, 20, 30]
    assert both.counts.tolist() == [1, 1, 0]  # popularity is train's only
    assert both.candidates.channel.tolist() == [5, 6, 7]
