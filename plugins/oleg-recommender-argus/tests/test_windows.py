"""Training windows are cut as the server reads them: each step is a target exactly once, in
the window, and at the position, that would serve it; early stopping holds out last steps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oleg_recommender_argus.features import N_COLS, Col
from oleg_recommender_argus.histories import Histories, window_start
from oleg_recommender_argus.holdout import MIN_STEPS, ndcg_of_ranks, pick_held_out


def _histories(lengths: list[int]) -> Histories:
    h = Histories()
    for u, n in enumerate(lengths):
        rows = np.zeros((n, N_COLS), dtype=np.int64)
        rows[:, Col.POST] = np.arange(n) + 1000 * u
        rows[:, Col.TIME] = np.arange(n)
        h.add(np.full(n, u), rows)
    return h


@given(
    lengths=st.lists(st.integers(1, 60), min_size=1, max_size=5),
    max_len=st.integers(2, 13),
)
def test_every_step_is_a_target_once_where_it_is_served(lengths: list[int], max_len: int) -> None:
    h = _histories(lengths)
    targets: dict[tuple[int, int], int] = {}
    for w in h.windows(max_len):
        assert w.end - w.start <= max_len
        for j in range(w.first_target, w.end):
            targets[w.user, j] = targets.get((w.user, j), 0) + 1
            # served from this window: the same start, the same number of steps before it
            assert window_start(j, max_len) == w.start
    assert targets == {(u, j): 1 for u, n in enumerate(lengths) for j in range(n)}


def test_last_only_and_held_out_windows() -> None:
    h = _histories([3, 30])
    (last,) = h.windows(8, [1], last_only=True)
    assert last.end == 30 and last.first_target == last.start == window_start(29, 8)
    held = h.windows(8, hold_last={1})
    assert max(w.end for w in held if w.user == 1) == 29
    assert max(w.end for w in held if w.user == 0) == 3


def test_held_out_histories_are_long_ones_drawn_by_the_seed() -> None:
    h = _histories([MIN_STEPS - 1] * 5 + [MIN_STEPS] * 20)
    got = pick_held_out(h, 8, seed=0)
    assert len(got) == 8 and all(u >= 5 for u in got)
    assert got == pick_held_out(h, 8, seed=0) != pick_held_out(h, 8, seed=1)
    assert pick_held_out(h, 100, seed=0) == set(range(5, 25))
    assert pick_held_out(h, 0, seed=0) == set()


def test_ndcg_of_ranks() -> None:
    assert ndcg_of_ranks(np.array([0, 1, 10]), 10) == pytest.approx((1 + 1 / np.log2(3)) / 3)
    assert ndcg_of_ranks(np.array([0, 1, 10]), 11) > ndcg_of_ranks(np.array([0, 1, 10]), 10)


@given(
    steps=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 2), st.sampled_from([0, 1, 2])),
        min_size=0,
        max_size=40,
    )
)
def test_personal_balances_count_the_earlier_steps_of_the_same_key(
    steps: list[tuple[int, int, int]],
) -> None:
    from oleg_recommender_argus.features import Feedback
    from oleg_recommender_argus.personal import PRIOR, earlier_balances

    rows = np.zeros((len(steps), N_COLS), dtype=np.int64)
    for i, (category, channel, fb) in enumerate(steps):
        rows[i, Col.CATEGORY], rows[i, Col.CHANNEL], rows[i, Col.FEEDBACK] = category, channel, fb
    got = earlier_balances(rows)
    for t in range(len(steps)):
        for j, col in enumerate((Col.CATEGORY, Col.CHANNEL)):
            fb = rows[:t][rows[:t, col] == rows[t, col], Col.FEEDBACK]
            want = ((fb == Feedback.LIKE).sum() - (fb == Feedback.DISLIKE).sum()) / (
                len(fb) + PRIOR
            )
            assert got[t, j] == pytest.approx(want, abs=1e-6)
