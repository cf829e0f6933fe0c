"""The ALS plugin beyond the contract: implicit's reading of negative confidences, the
matrix layout, parity with implicit called directly, incremental updates, persistence."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import implicit.gpu
import numpy as np
import pytest
from oleg import Candidates, Interactions
from oleg.testing import synthetic_feedback
from oleg_recommender_als import AlsRecommender, AlsSettings, als_matrix
from oleg_recommender_als.matrix import build_csr
from threadpoolctl import threadpool_limits

SMALL = {"factors": 8, "regularization": 1.0, "iterations": 5, "num_threads": 1}


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    return synthetic_feedback()


def small(**overrides: object) -> AlsSettings:
    return AlsSettings(**{**SMALL, **overrides})


# -- implicit's API, as this plugin relies on it -----------------------------------------


def closed_form(Y: np.ndarray, row: np.ndarray, cols: np.ndarray, reg: float) -> np.ndarray:
    """x = (YᵀY + reg·I + Σ (|c|-1) y yᵀ)⁻¹ Σ_{c>0} c y: preference 1 for c > 0, 0 for c < 0."""
    Y = Y.astype(np.float64)
    A = Y.T @ Y + reg * np.eye(Y.shape[1])
    b = np.zeros(Y.shape[1])
    for c, i in zip(row.tolist(), cols.tolist(), strict=True):
        A += (abs(c) - 1.0) * np.outer(Y[i], Y[i])
        if c > 0:
            b += c * Y[i]
    return np.linalg.solve(A, b)


def test_implicit_reads_a_negative_entry_as_preference_zero_with_confidence_abs_value() -> None:
    from implicit.cpu import _als
    from implicit.cpu.als import AlternatingLeastSquares

    rng = np.random.default_rng(0)
    f, reg = 6, 0.5
    Y = rng.normal(0, 0.3, (12, f)).astype(np.float32)
    cols = np.array([1, 4, 7, 9])
    row = np.array([5.0, -8.0, 3.0, -2.0])
    expected = closed_form(Y, row, cols, reg)
    matrix = build_csr(np.zeros(4), cols, row, (1, 12))

    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=f, regularization=reg)
    model.item_factors = Y
    model.user_factors = np.zeros((1, f), dtype=np.float32)
    # the exact solve behind recalculate_user / partial_fit_users
    np.testing.assert_allclose(model.recalculate_user(0, matrix), expected, rtol=1e-3, atol=1e-5)
    # the conjugate-gradient solver behind fit converges to the same point
    X = np.zeros((1, f), dtype=np.float32)
    _als.least_squares_cg(matrix, X, Y, reg, cg_steps=3 * f)
    np.testing.assert_allclose(X[0], expected, rtol=1e-3, atol=1e-5)
    # and the dislike does matter: without it the solution moves
    assert not np.allclose(
        closed_form(Y, row[[0, 2, 3]], cols[[0, 2, 3]], reg), expected, atol=1e-3
    )


def test_implicit_has_the_incremental_api() -> None:
    from implicit.cpu.als import AlternatingLeastSquares

    for method in (
        "partial_fit_users",
        "partial_fit_items",
        "recalculate_user",
        "recalculate_item",
    ):
        assert callable(getattr(AlternatingLeastSquares, method))


def test_plugin_import_stays_light() -> None:
    code = (
        "import sys; from oleg.plugins import Plugins; p = Plugins(); p.load(['als']); "
        "assert 'als' in p.collect().names('recommender'); "
        "import oleg_recommender_als; "
        "heavy = [m for m in ('implicit', 'scipy', 'threadpoolctl') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the matrix ---------------------------------------------------------------


def test_matrix_numbers_ids_by_first_appearance_and_keeps_the_last_rating() -> None:
    feedback = Interactions.from_arrays(
        user=[30, 10, 30, 20, 10],
        post=[7, 5, 5, 9, 5],
        channel=[-1, -2, -2, -1, -2],
        value=[1, 1, 0, 0, 0],  # user 10 likes post 5, later dislikes it
    )
    m = als_matrix(feedback, AlsSettings(like_weight=4, dislike_weight=3, alpha=2))
    assert m.user_ids.tolist() == [30, 10, 20]
    assert m.post_ids.tolist() == [7, 5, 9]
    assert m.post_channel.tolist() == [-1, -2, -1]
    assert m.matrix.dtype == np.float32 and m.matrix.has_sorted_indices
    np.testing.assert_array_equal(m.matrix.toarray(), [[8, -6, 0], [0, -6, 0], [0, 0, -6]])

    no_dislikes = als_matrix(feedback, AlsSettings(dislike_weight=0))
    assert no_dislikes.user_ids.tolist() == [30, 10]
    assert no_dislikes.post_ids.tolist() == [7, 5]


def test_fit_on_a_shuffled_id_space_uses_first_appearance(data) -> None:  # type: ignore[no-untyped-def]
    model = AlsRecommender(small())
    model.fit(data.train)
    m = als_matrix(data.train, small())
    np.testing.assert_array_equal(model.users.ids(), m.user_ids)
    np.testing.assert_array_equal(model.posts.ids(), m.post_ids)
    assert model.users.ids()[0] == data.train.user[0]
    assert (model.matrix != m.matrix).nnz == 0


# -- parity with implicit ---------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 13])
def test_fit_equals_implicit_called_directly(data, seed: int) -> None:  # type: ignore[no-untyped-def]
    from implicit.als import AlternatingLeastSquares

    settings = AlsSettings(
        factors=16, regularization=0.1, iterations=6, alpha=2.0, use_gpu=False, num_threads=1
    )
    model = AlsRecommender(settings, seed=seed)
    model.fit(data.train)

    m = als_matrix(data.train, settings)
    direct = AlternatingLeastSquares(
        factors=16,
        regularization=0.1,
        alpha=1.0,
        iterations=6,
        random_state=seed,
        use_gpu=False,
        num_threads=1,
    )
    with threadpool_limits(1, "blas"):
        direct.fit(m.matrix, show_progress=False)
    np.testing.assert_array_equal(model.user_factors, direct.user_factors)
    np.testing.assert_array_equal(model.item_factors, direct.item_factors)

    cands = Candidates.from_arrays(m.post_ids, m.post_channel)
    row = int(np.flatnonzero(m.user_ids == 3)[0])
    expected = direct.item_factors.astype(np.float64) @ direct.user_factors[row].astype(np.float64)
    np.testing.assert_array_equal(model.score(3, cands), expected)


# -- likes and dislikes ---------------------------------------------------------------


def test_a_dislike_lowers_the_score_below_a_like_and_below_silence() -> None:
    # two taste groups: users 1..20 like posts 1..10, users 21..40 like posts 11..20;
    # user 99 liked posts 1..4, and then post 5 was liked, left unrated, or disliked
    rng = np.random.default_rng(1)
    users, posts = [], []
    for u in range(1, 41):
        group = range(1, 11) if u <= 20 else range(11, 21)
        liked = rng.choice(list(group), 6, replace=False).tolist()
        users += [u] * 6
        posts += liked
    users += [99] * 4
    posts += [1, 2, 3, 4]
    base = Interactions.from_arrays(
        users, posts, [-(1 + (p - 1) // 10) for p in posts], [1.0] * len(users)
    )

    def score(value: float | None) -> float:
        feedback = base
        if value is not None:
            feedback = base.concat(Interactions.from_arrays([99], [5], [-1], [value]))
        model = AlsRecommender(
            AlsSettings(
                factors=4,
                regularization=0.1,
                iterations=15,
                like_weight=10,
                dislike_weight=10,
                num_threads=1,
            )
        )
        model.fit(feedback)
        return float(model.score(99, Candidates.from_arrays([5], [-1]))[0])

    liked, silent, disliked = score(1.0), score(None), score(0.0)
    assert liked > silent > disliked


# -- incremental updates ---------------------------------------------------------------


def test_partial_fit_updates_only_the_users_who_rated(data) -> None:  # type: ignore[no-untyped-def]
    first, later = data.train.take(slice(0, 2000)), data.train.take(slice(2000, None))
    known_channel = int(data.candidates.channel[0])
    batch = later.take(np.isin(later.user, [2, 3, 4])).concat(
        Interactions.from_arrays(
            user=[900, 900, 2],
            post=[5000, 5001, 5001],
            channel=[known_channel, -42, -42],
            value=[1, 1, 0],
            time=[1, 2, 3],
        )
    )
    model = AlsRecommender(small(update_items=False))
    model.fit(first)
    users_before, items_before = model.user_factors.copy(), model.item_factors.copy()
    n_users, n_posts = len(model.users), len(model.posts)
    row_nnz = np.diff(model.matrix.indptr).copy()

    model.partial_fit(batch)

    touched = model.users.get([2, 3, 4, 900])
    assert (touched >= 0).all()
    others = np.setdiff1d(np.arange(n_users), touched)
    np.testing.assert_array_equal(model.user_factors[others], users_before[others])
    for row in touched[:3]:
        assert not np.allclose(model.user_factors[row], users_before[row])
    # new ids come after the known ones, in order of first appearance
    assert model.users.ids()[n_users:].tolist() == [900]
    seen = set(first.post.tolist())
    assert model.posts.ids()[n_posts:].tolist() == [
        p for p in dict.fromkeys(batch.post.tolist()) if p not in seen
    ]
    assert model.post_channel[model.posts.get([5001])[0]] == -42
    # existing posts keep their vectors when update_items is off
    np.testing.assert_array_equal(model.item_factors[:n_posts], items_before)
    # the new post of a known channel starts from that channel's mean vector
    in_channel = model.post_channel[:n_posts] == known_channel
    np.testing.assert_allclose(
        model.item_factors[model.posts.get([5000])[0]],
        items_before[in_channel].mean(axis=0),
        rtol=1e-5,
    )
    # each updated user is solved on the full history: old ratings plus new
    u = model.users.get([3])[0]
    row = model.matrix[u]
    assert row.nnz == row_nnz[u] + len(np.unique(batch.post[batch.user == 3]))
    expected = closed_form(model.item_factors, row.data, row.indices, model.settings.regularization)
    np.testing.assert_allclose(model.user_factors[u], expected, rtol=1e-3, atol=1e-4)
    scores = model.score(
        900, Candidates.from_arrays([5000, 5001, 1], [known_channel, -42, known_channel])
    )
    assert np.all(np.isfinite(scores))


def test_partial_fit_updates_the_rated_posts_too(data) -> None:  # type: ignore[no-untyped-def]
    first, later = data.train.take(slice(0, 2000)), data.train.take(slice(2000, 2100))
    model = AlsRecommender(small())
    model.fit(first)
    items_before = model.item_factors.copy()
    model.partial_fit(later)
    touched = model.posts.get(np.unique(later.post))
    untouched = np.setdiff1d(np.arange(len(items_before)), touched)
    np.testing.assert_array_equal(model.item_factors[untouched], items_before[untouched])
    old = touched[touched < len(items_before)]
    assert not np.allclose(model.item_factors[old], items_before[old])


def test_a_later_rating_replaces_the_earlier_one() -> None:
    model = AlsRecommender(small(like_weight=5, dislike_weight=7))
    model.fit(Interactions.from_arrays([1, 1, 2], [10, 11, 10], [-1, -1, -1], [1, 1, 1]))
    model.partial_fit(Interactions.from_arrays([1], [10], [-1], [0]))
    np.testing.assert_array_equal(model.matrix.toarray(), [[-7, 5], [5, 0]])


def test_partial_fit_before_any_fit_is_a_full_fit(data) -> None:  # type: ignore[no-untyped-def]
    a, b = AlsRecommender(small(), seed=3), AlsRecommender(small(), seed=3)
    a.fit(data.train)
    b.fit(Interactions.empty())
    b.partial_fit(data.train)
    np.testing.assert_array_equal(a.user_factors, b.user_factors)
    np.testing.assert_array_equal(a.item_factors, b.item_factors)


# -- scoring ---------------------------------------------------------------


def test_unseen_users_and_posts_fall_back_to_means(data) -> None:  # type: ignore[no-untyped-def]
    model = AlsRecommender(small())
    model.fit(data.train)
    channel = int(data.candidates.channel[0])
    items = model.item_factors.astype(np.float64)
    users = model.user_factors.astype(np.float64)
    channel_mean = items[model.post_channel == channel].mean(axis=0)
    cands = Candidates.from_arrays([10**9, 10**9 + 1], [channel, -777])
    expected_items = np.vstack([channel_mean, items.mean(axis=0)])
    np.testing.assert_allclose(
        model.score(None, cands), expected_items @ users.mean(axis=0), rtol=1e-9
    )
    np.testing.assert_allclose(
        model.score(424242, cands), expected_items @ users.mean(axis=0), rtol=1e-9
    )
    np.testing.assert_allclose(model.bias(data.candidates), model.score(None, data.candidates))
    u = model.users.get([7])[0]
    np.testing.assert_allclose(model.score(7, cands), expected_items @ users[u], rtol=1e-9)


def test_score_many_is_one_product(data) -> None:  # type: ignore[no-untyped-def]
    model = AlsRecommender(small())
    model.fit(data.train)
    many = model.score_many([1, 99999, 2], data.candidates)
    for row, user in enumerate([1, 99999, 2]):
        np.testing.assert_allclose(
            many[row], model.score(user, data.candidates), rtol=1e-9, atol=1e-12
        )


def test_scores_before_fit_are_zero(data) -> None:  # type: ignore[no-untyped-def]
    model = AlsRecommender()
    assert np.all(model.score(1, data.candidates) == 0)
    assert model.score_many([1, 2], data.candidates).shape == (2, len(data.candidates))


# -- training details ---------------------------------------------------------------


def test_fit_limits_blas_threads_as_implicit_advises(data) -> None:  # type: ignore[no-untyped-def]
    import implicit.utils

    implicit.utils._checked_blas_config = False  # implicit checks (and warns) once per process
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AlsRecommender(small()).fit(data.train)
    assert not [w for w in caught if "BLAS" in str(w.message)]


def test_training_loss_is_recorded(data) -> None:  # type: ignore[no-untyped-def]
    model = AlsRecommender(small(calculate_training_loss=True, iterations=4))
    model.fit(data.train)
    assert len(model.loss_history) == 4 and all(np.isfinite(x) for x in model.loss_history)  # type: ignore[arg-type]
    assert model.loss_history[-1] <= model.loss_history[0]  # type: ignore[operator]


def test_settings_reject_unknown_keys() -> None:
    with pytest.raises(ValueError, match="factor"):
        AlsSettings.model_validate({"factor": 10})
    with pytest.raises(ValueError):
        AlsSettings.model_validate({"like_weight": 0})


# -- persistence ---------------------------------------------------------------


def test_save_load_is_plain_arrays_and_partial_fit_continues(data, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model = AlsRecommender(small(calculate_training_loss=True), seed=5)
    model.fit(data.train)
    path = tmp_path / "als.model"
    model.save(path)
    assert path.exists() and not (tmp_path / "als.model.npz").exists()
    with np.load(path, allow_pickle=False) as z:  # no pickled objects inside
        assert "user_factors" in z and "settings" in z
    loaded = AlsRecommender.load(path)
    assert loaded.settings == model.settings and loaded.seed == 5
    np.testing.assert_array_equal(loaded.user_factors, model.user_factors)
    np.testing.assert_array_equal(loaded.users.ids(), model.users.ids())
    assert (loaded.matrix != model.matrix).nnz == 0
    assert loaded.loss_history == model.loss_history
    model.partial_fit(data.test)
    loaded.partial_fit(data.test)
    np.testing.assert_array_equal(
        loaded.score_many([1, 2], data.candidates), model.score_many([1, 2], data.candidates)
    )


def test_load_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    np.savez(path, a=np.zeros(2))
    with pytest.raises(ValueError, match="not a model"):
        AlsRecommender.load(path)


# -- GPU ---------------------------------------------------------------


@pytest.mark.skipif(implicit.gpu.HAS_CUDA, reason="implicit found CUDA")
def test_use_gpu_without_cuda_is_a_clear_error(data) -> None:  # type: ignore[no-untyped-def]
    model = AlsRecommender(small(use_gpu=True))
    with pytest.raises(RuntimeError, match="no CUDA"):
        model.fit(data.train)
    assert AlsRecommender(small()).use_gpu() is False


@pytest.mark.skipif(not implicit.gpu.HAS_CUDA, reason="implicit found no CUDA")
def test_gpu_fit(data, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from oleg.scoring import score_pairs
    from oleg.metrics import auc

    model = AlsRecommender(AlsSettings(factors=16, regularization=20.0, use_gpu=True))
    assert model.use_gpu()
    model.fit(data.train)
    assert isinstance(model.user_factors, np.ndarray) and model.user_factors.shape == (
        len(model.users),
        16,
    )
    assert np.all(np.isfinite(model.item_factors))
    assert auc(data.test.value, score_pairs(model, data.test)) > 0.55
    model.partial_fit(data.test)
    model.save(tmp_path / "gpu.model")
    loaded = AlsRecommender.load(tmp_path / "gpu.model")
    np.testing.assert_array_equal(loaded.score(1, data.candidates), model.score(1, data.candidates))


def test_gpu_wiring_with_a_stand_in(data, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Without CUDA here: a stand-in for implicit's GPU class (the CPU model underneath)
    checks what the plugin asks of it and that it keeps plain numpy arrays afterwards."""
    import implicit.gpu.als
    from implicit.cpu.als import AlternatingLeastSquares as CpuAls

    made: list[dict[str, object]] = []

    class StandIn:
        def __init__(self, **kwargs: object) -> None:
            made.append(kwargs)
            self.cpu = CpuAls(**kwargs)
            self.converted = False

        def fit(self, matrix, show_progress=True, callback=None):  # type: ignore[no-untyped-def]
            self.cpu.fit(matrix, show_progress=show_progress, callback=callback)

        def to_cpu(self):  # type: ignore[no-untyped-def]
            return self.cpu

    monkeypatch.setattr(implicit.gpu, "HAS_CUDA", True)
    monkeypatch.setattr(implicit.gpu.als, "AlternatingLeastSquares", StandIn)
    model = AlsRecommender(small(), seed=4)  # use_gpu unset: follows HAS_CUDA
    assert model.use_gpu()
    model.fit(data.train)
    assert (
        made
        and made[0]["random_state"] == 4
        and made[0]["alpha"] == 1.0
        and made[0]["factors"] == 8
    )
    assert "num_threads" not in made[0]
    assert type(model.user_factors) is np.ndarray and model.user_factors.dtype == np.float32
    cpu = AlsRecommender(small(use_gpu=False), seed=4)
    cpu.fit(data.train)
    np.testing.assert_array_equal(model.item_factors, cpu.item_factors)
    model.partial_fit(data.test)  # incremental updates stay on the CPU
    assert len(made) == 1
