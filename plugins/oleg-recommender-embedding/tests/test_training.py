"""Cold items, early stopping, determinism, incremental rounds, persistence, settings."""

import pickle

import numpy as np
import pytest
import torch
from oleg import Candidates, Interactions
from oleg_recommender_embedding import (
    DotRecommender,
    DotSettings,
    EmbeddingNNRecommender,
    EmbeddingNNSettings,
    EmbeddingRecommender,
)
from pydantic import ValidationError

MODELS = [DotRecommender, EmbeddingNNRecommender]
LIKED, DISLIKED, NEVER = -1_001, -1_002, -1_999


def _channels_data(n_users: int = 40, per_channel: int = 30, seed: int = 0) -> Interactions:
    """Everyone likes the posts of channel LIKED and dislikes those of DISLIKED."""
    rng = np.random.default_rng(seed)
    rows = []
    for channel, value, base in ((LIKED, 1.0, 0), (DISLIKED, 0.0, 10_000)):
        for user in range(1, n_users + 1):
            for post in rng.choice(per_channel, 8, replace=False):
                rows.append((user, base + post + 1, channel, value))
    u, p, c, v = map(np.array, zip(*rows, strict=True))
    return Interactions.from_arrays(u, p, c, v)


@pytest.mark.parametrize("cls", MODELS)
def test_unseen_post_is_scored_from_its_channel(cls) -> None:
    model = cls(seed=0)
    model.fit(_channels_data())
    unseen = Candidates.from_arrays(
        [777_001, 777_002, 777_003, 777_004], [LIKED, DISLIKED, NEVER, NEVER - 1]
    )
    for user in (3, None, 123_456):
        s = model.score(user, unseen)
        assert s[0] > 0.7 and s[1] < 0.3, s  # the channel decides
        assert s[1] < s[2] < s[0]  # a channel never seen: from the global bias, in between
        assert s[2] == pytest.approx(s[3], abs=1e-6)  # every unknown channel alike
    if cls is DotRecommender:  # exactly the channel's terms: g + b_u + b_c + u·c
        m = model.model
        u = m.tables["user"].view()[int(m.maps["user"].get([3])[0])]
        c = m.tables["channel"].view()[int(m.maps["channel"].get([LIKED])[0])]
        k = model.settings.dim
        with torch.no_grad():
            expected = float(m.net.link(m.net.global_bias + u[k] + c[k] + u[:k] @ c[:k]))
        assert model.score(3, unseen)[0] == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("cls", MODELS)
def test_bias_ranks_liked_posts_first(cls) -> None:
    model = cls(seed=0)
    model.fit(_channels_data())
    cands = Candidates.from_arrays(
        [1, 2, 10_001, 10_002, 555], [LIKED, LIKED, DISLIKED, DISLIKED, NEVER]
    )
    b = model.bias(cands)
    assert b.shape == (5,) and np.isfinite(b).all()
    assert min(b[:2]) > b[4] > max(b[2:4])
    if cls is EmbeddingNNRecommender:  # the prediction for an average subscriber
        mean_user = cls(EmbeddingNNSettings(unseen_user="mean"), seed=0)
        mean_user.fit(_channels_data())
        np.testing.assert_allclose(b, mean_user.score(None, cands), rtol=1e-6)
        np.testing.assert_allclose(b, mean_user.bias(cands), rtol=1e-6)  # whatever unseen_user


@pytest.mark.parametrize("cls", MODELS)
def test_early_stopping_stops_and_keeps_the_best_epoch(cls, synthetic) -> None:
    # a large learning rate and no regularisation overfit within a few epochs
    model = cls(
        cls.Settings(lr=0.05, embedding_reg=0.0, epochs=60, patience=2, fold_in_validation=False),
        seed=0,
    )
    model.fit(synthetic.train)
    hist = model.history
    assert 3 <= len(hist) < 60
    assert all(
        set(h) == {"epoch", "train_loss", "val_loss"} for h in hist
    )  # what the harness plots
    val = [h["val_loss"] for h in hist]
    best = int(np.argmin(val))
    assert best == len(val) - 1 - 2  # stopped two epochs after the best
    info = model.fit_info
    assert info["stopped_early"] and info["restored_best"] and info["best_epoch"] == best + 1
    assert info["best_val_loss"] == pytest.approx(val[best]) and len(info["epoch_seconds"]) == len(
        hist
    )
    # restore_best: the served weights are the best epoch's
    m = model.model
    n_val = int(len(synthetic.train) * model.settings.validation_share)
    perm = torch.randperm(len(synthetic.train), generator=torch.Generator().manual_seed(0))
    held = synthetic.train.take(perm[:n_val].numpy())
    from oleg.scoring import score_pairs

    mse = float(np.mean((np.clip(score_pairs(model, held), 0, 1) - held.value) ** 2))
    assert mse == pytest.approx(val[best], rel=1e-4) or m.s.loss != "mse"


def test_fold_in_pass_and_partial_history(synthetic) -> None:
    model = DotRecommender(DotSettings(partial_epochs=4), seed=0)
    model.fit(synthetic.train)
    assert (
        model.fit_info["fold_in_loss"] > 0
        and model.fit_info["held_out"] == len(synthetic.train) // 10
    )
    without = DotRecommender(DotSettings(fold_in_validation=False), seed=0)
    without.fit(synthetic.train)
    assert without.fit_info["fold_in_loss"] is None
    assert not np.allclose(
        model.score(1, synthetic.candidates), without.score(1, synthetic.candidates)
    )
    model.partial_fit(synthetic.test)
    assert [h["epoch"] for h in model.partial_history] == [1, 2, 3, 4]


@pytest.mark.parametrize("cls", MODELS)
def test_seed_decides_and_thread_count_does_not(cls, synthetic) -> None:
    def run(seed: int, threads: int) -> np.ndarray:
        model = cls(cls.Settings(threads=threads, epochs=4), seed=seed)
        model.fit(synthetic.train)
        model.partial_fit(synthetic.test)
        return model.score_many([1, 2], synthetic.candidates)

    a = run(5, 1)
    np.testing.assert_array_equal(a, run(5, 1))
    np.testing.assert_allclose(a, run(5, 2), rtol=1e-4, atol=1e-5)
    assert not np.allclose(a, run(6, 1))
    torch.set_num_threads(1)


@pytest.mark.parametrize("cls", MODELS)
def test_fit_info_and_history_are_plain_attributes_the_core_reads(cls, synthetic) -> None:
    """``fit_info`` (a dict) and ``history`` (a list of per-epoch dicts) are instance
    attributes, empty before a fit, and survive pickling (the default save of the core)."""
    model = cls(cls.Settings(epochs=3), seed=0)
    assert vars(model)["fit_info"] == {} and vars(model)["history"] == []
    model.fit(synthetic.train)
    assert isinstance(model.fit_info, dict) and model.fit_info["epochs"] == len(model.history)
    assert [h["epoch"] for h in model.history] == list(range(1, len(model.history) + 1))
    model.partial_fit(synthetic.test)  # an incremental round reports in partial_history only
    assert model.fit_info["epochs"] == len(model.history) > 0
    clone = pickle.loads(pickle.dumps(model))
    assert clone.history == model.history and clone.fit_info == model.fit_info


@pytest.mark.parametrize("cls", MODELS)
def test_save_load_continues_identically(cls, synthetic, tmp_path) -> None:
    model = cls(seed=4)
    model.fit(synthetic.train)
    model.save(tmp_path / "m.pt")
    loaded = EmbeddingRecommender.load(tmp_path / "m.pt")  # the base class dispatches on the name
    assert type(loaded) is cls and loaded.settings == model.settings
    assert loaded.history == model.history and loaded.fit_info == model.fit_info
    for m in (model, loaded):
        m.partial_fit(synthetic.test)
    np.testing.assert_allclose(
        loaded.score_many([1, 9, None], synthetic.candidates),
        model.score_many([1, 9, None], synthetic.candidates),
        rtol=1e-6,
    )
    other = EmbeddingNNRecommender if cls is DotRecommender else DotRecommender
    with pytest.raises(TypeError):
        other.load(tmp_path / "m.pt")
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(
        clone.score(2, synthetic.candidates), model.score(2, synthetic.candidates)
    )


def test_score_many_is_one_pass_and_cached_per_pool(synthetic) -> None:
    model = EmbeddingNNRecommender(seed=0)
    model.fit(synthetic.train)
    first = model.score_many([1, 2, 3], synthetic.candidates)
    pool = model.model._pool
    again = model.score_many(
        [1, 2, 3], Candidates(synthetic.candidates.post.copy(), synthetic.candidates.channel.copy())
    )
    assert model.model._pool is pool  # same posts: the candidate side is reused
    np.testing.assert_array_equal(first, again)
    model.partial_fit(synthetic.test)
    model.score(1, synthetic.candidates)
    assert model.model._pool is not pool  # a new model version recomputes it


def test_settings_are_validated() -> None:
    with pytest.raises(ValidationError):
        EmbeddingNNSettings(hiden=70)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        DotSettings(loss="bce", output="clamp")
    with pytest.raises(ValidationError):
        EmbeddingNNSettings(optimizer="lbfgs")  # type: ignore[arg-type]
    s = EmbeddingNNSettings()
    assert (s.user_dim, s.channel_dim, s.post_dim, s.hidden, s.batch_size) == (100, 80, 20, 70, 512)
    assert DotSettings().dim == 13


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd", "adagrad", "rmsprop"])
def test_every_optimizer_learns(optimizer, synthetic) -> None:
    from oleg.scoring import score_pairs
    from oleg.metrics import auc

    lr = {"sgd": 5.0, "adagrad": 0.05}.get(
        optimizer, 0.01
    )  # sgd: the loss is a batch mean over sparse rows
    model = DotRecommender(
        DotSettings(optimizer=optimizer, lr=lr, output="sigmoid", epochs=10), seed=0
    )
    model.fit(synthetic.train)
    assert auc(synthetic.test.value, score_pairs(model, synthetic.test)) > 0.6


def test_importing_the_plugin_does_not_import_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys, oleg_recommender_embedding.plugin, oleg_recommender_embedding;"
        "from oleg.plugins import Plugins; Plugins().component('recommender', 'embedding-nn');"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
