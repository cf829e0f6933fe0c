"""Category codes: stable ids for posts' category labels, carried by the model columns."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from oleg.engine.pool import FreshPool
from oleg.types import NO_CATEGORY, Candidates, Interactions, Post, category_code


def test_codes_are_stable_positive_and_case_insensitive() -> None:
    code = category_code("Science")
    assert code == category_code(" science ") > 0
    assert category_code("it") != code
    assert category_code(None) == category_code("") == category_code("  ") == NO_CATEGORY
    # the same in another process (no per-process hash seed)
    other = subprocess.run(
        [sys.executable, "-c", "from oleg.types import category_code; print(category_code('Science'))"],
        capture_output=True, text=True, check=True,
    )
    assert int(other.stdout) == code


def test_columns_default_to_no_category_and_must_match_in_length() -> None:
    inter = Interactions.from_arrays([1, 2], [3, 4], [5, 6], [1.0, 0.0])
    assert inter.category.tolist() == [NO_CATEGORY, NO_CATEGORY]
    assert Candidates.from_arrays([1, 2], [5, 6]).category.tolist() == [0, 0]
    with pytest.raises(ValueError):
        Interactions.from_arrays([1, 2], [3, 4], [5, 6], [1.0, 0.0], category=[1])
    with pytest.raises(ValueError):
        Candidates(np.array([1, 2]), np.array([5, 6]), category=np.array([1, 2, 3]))


def test_the_fresh_pool_scores_posts_with_their_category() -> None:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    posts = [Post(-1, 1, t0, category="it", id=10), Post(-1, 2, t0 + timedelta(minutes=1), id=11)]
    pool = FreshPool(timedelta(days=1), 100)
    pool.add(posts)
    cands, _ = pool.candidates(t0 + timedelta(hours=1))
    assert cands.category.tolist() == [category_code("it"), NO_CATEGORY]
    assert cands.take([0]).category.tolist() == [category_code("it")]
