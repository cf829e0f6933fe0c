"""score_pairs: every row gets its own (user, post) score, in a number of predictions
proportional to the rows whatever their order."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from oleg.components import Recommender
from oleg.scoring import score_pairs
from oleg.types import Candidates, FloatArray, Interactions


class PerCell(Recommender):
    """Scores depend on the user and the post only; counts the predictions asked."""

    name = "per-cell"

    def __init__(self) -> None:
        self.calls = 0
        self.cells = 0
        self.widest = 0

    def fit(self, feedback: Interactions) -> None:
        pass

    def partial_fit(self, feedback: Interactions) -> None:
        pass

    def score(self, user: int | None, candidates: Candidates) -> FloatArray:
        return (
            (candidates.post * 7919 + (user or 0) * 104729 + candidates.channel) % 1000
        ) / 1000.0

    def score_many(self, users: Sequence[int], candidates: Candidates) -> FloatArray:
        self.calls += 1
        self.cells += len(users) * len(candidates)
        self.widest = max(self.widest, len(users) * len(candidates))
        return super().score_many(users, candidates)


def rows(n: int, users: int, posts: int, seed: int = 0) -> Interactions:
    rng = np.random.default_rng(seed)
    user = rng.integers(0, users, n)
    post = rng.integers(0, posts, n)
    return Interactions.from_arrays(
        user, post, post % 5, rng.random(n) < 0.5, rng.integers(0, 10**6, n)
    )


def expected(data: Interactions) -> FloatArray:
    model = PerCell()
    return np.array(
        [
            model.score(int(u), Candidates.from_arrays([p], [c]))[0]
            for u, p, c in zip(data.user, data.post, data.channel, strict=True)
        ]
    )


@pytest.mark.parametrize(
    ("n", "users", "posts"), [(1, 1, 1), (300, 20, 50), (3000, 3000, 3000), (4000, 100, 4000)]
)
def test_each_row_gets_its_own_score_in_at_most_twice_the_rows_predictions(
    n: int, users: int, posts: int
) -> None:
    data = rows(n, users, posts)
    model = PerCell()
    scores = score_pairs(model, data)
    np.testing.assert_array_equal(scores, expected(data))
    assert model.cells <= 2 * n


def test_row_order_changes_neither_scores_nor_cost() -> None:
    data = rows(5000, 400, 3000, seed=1)
    perm = np.random.default_rng(2).permutation(len(data))
    sorted_model, shuffled_model = PerCell(), PerCell()
    in_order = score_pairs(sorted_model, data)
    shuffled = score_pairs(shuffled_model, data.take(perm))
    np.testing.assert_array_equal(shuffled, in_order[perm])
    assert shuffled_model.cells == sorted_model.cells <= 2 * len(data)


def test_users_sharing_posts_share_calls() -> None:
    """One row per user over ten posts (a leave-last-out test): users of a post meet."""
    data = Interactions.from_arrays(
        np.arange(1000), np.arange(1000) % 10, np.zeros(1000), np.ones(1000)
    )
    model = PerCell()
    score_pairs(model, data)
    assert model.cells <= 2 * len(data)
    assert model.calls <= 20


def test_a_user_with_more_posts_than_a_call_holds_is_scored_in_chunks() -> None:
    data = rows(500, 2, 400, seed=3)
    model = PerCell()
    np.testing.assert_array_equal(score_pairs(model, data, max_cells=64), expected(data))
    assert model.widest == 64
    assert model.cells == len(np.unique(data.user * 1000 + data.post))


def test_a_wrong_shape_names_the_recommender() -> None:
    class Short(PerCell):
        def score_many(self, users: Sequence[int], candidates: Candidates) -> FloatArray:
            return np.zeros((len(users), max(len(candidates) - 1, 0)))

    with pytest.raises(ValueError, match=r"Short\.score_many returned shape"):
        score_pairs(Short(), rows(10, 2, 5))


def test_no_rows_no_calls() -> None:
    model = PerCell()
    assert len(score_pairs(model, Interactions.empty())) == 0
    assert model.calls == 0
