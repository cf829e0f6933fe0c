"""Counts as values: ``confidence = linear | log`` weighs a positive by its size (plays),
``sign`` (the default) by its sign only, as before."""

from __future__ import annotations

import numpy as np
import pytest
from oleg import Candidates, Interactions
from oleg.metrics import auc
from oleg_recommender_als import AlsRecommender, AlsSettings, als_matrix
from pydantic import ValidationError

COUNTS = Interactions.from_arrays(
    user=[1, 1, 2, 2], post=[10, 11, 10, 11], channel=[0, 0, 0, 0], value=[1, 30, 4, 0]
)  # user 2's 0 is a 👎


def test_sign_confidence_is_the_default_and_ignores_the_size() -> None:
    assert AlsSettings().confidence == "sign"
    m = als_matrix(COUNTS, AlsSettings(alpha=2, like_weight=5, dislike_weight=3)).matrix.toarray()
    np.testing.assert_array_equal(m, [[10, 10], [10, -6]])


def test_linear_and_log_confidence_grow_with_the_count() -> None:
    linear = als_matrix(
        COUNTS, AlsSettings(confidence="linear", alpha=2, dislike_weight=3)
    ).matrix.toarray()
    np.testing.assert_allclose(linear, [[3, 61], [9, -6]])
    log = als_matrix(
        COUNTS, AlsSettings(confidence="log", alpha=2, epsilon=0.5, dislike_weight=3)
    ).matrix.toarray()
    np.testing.assert_allclose(
        log, [[1 + 2 * np.log(3), 1 + 2 * np.log(61)], [1 + 2 * np.log(9), -6]], rtol=1e-6
    )


def test_an_unknown_confidence_is_refused() -> None:
    with pytest.raises(ValidationError, match="confidence"):
        AlsSettings.model_validate({"confidence": "square"})


def plays(seed: int = 0) -> tuple[Interactions, np.ndarray, np.ndarray]:
    """60 users, each playing 10 items of each of two groups of 30: many times those of the
    group they like, once the others. Returns the plays and, per user, items of either group
    they never played."""
    rng = np.random.default_rng(seed)
    users, posts, counts, liked_unplayed, other_unplayed = [], [], [], [], []
    for u in range(60):
        liked, other = (
            (np.arange(30), np.arange(30, 60)) if u % 2 else (np.arange(30, 60), np.arange(30))
        )
        a, b = rng.permutation(liked), rng.permutation(other)
        for item in a[:10]:
            users.append(u), posts.append(item), counts.append(int(rng.integers(20, 60)))
        for item in b[:10]:
            users.append(u), posts.append(item), counts.append(1)
        liked_unplayed.append(a[10:])
        other_unplayed.append(b[10:])
    data = Interactions.from_arrays(users, posts, np.zeros(len(users)), counts)
    return data, np.array(liked_unplayed), np.array(other_unplayed)


@pytest.mark.parametrize(("how", "floor"), [("linear", 0.8), ("log", 0.62)])
def test_counts_as_confidence_find_the_taste_that_the_sign_cannot(how: str, floor: float) -> None:
    """AUC of liked-group against other-group unplayed items: with the sign only, each user
    played ten of each (0.5); the counts say which group they like (log compresses them)."""
    data, liked, other = plays()

    def separation(confidence: str) -> float:
        model = AlsRecommender(
            AlsSettings(
                factors=4,
                regularization=1.0,
                iterations=10,
                alpha=5.0,
                confidence=confidence,
                num_threads=1,
                use_gpu=False,
            ),
            seed=0,
        )
        model.fit(data)
        truth, scores = [], []
        for u in range(60):
            items = np.r_[liked[u], other[u]]
            scores.append(model.score(u, Candidates.from_arrays(items, np.zeros(len(items)))))
            truth.append(np.r_[np.ones(len(liked[u])), np.zeros(len(other[u]))])
        return auc(np.concatenate(truth), np.concatenate(scores))

    assert separation(how) > floor
    assert separation("sign") < 0.55
