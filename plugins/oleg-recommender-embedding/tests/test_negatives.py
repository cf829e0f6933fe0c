"""Sampled negatives on positives-only data: when they are drawn, what they are, and that
ranking beats chance only with them."""

import logging

import numpy as np
import pytest
import torch
from oleg import Candidates, Interactions
from oleg_recommender_embedding import DotRecommender, DotSettings, EmbeddingNNRecommender
from oleg_recommender_embedding.negatives import Catalog, one_class, sample_negatives
from pydantic import ValidationError

MODELS = [DotRecommender, EmbeddingNNRecommender]
GROUPS = (-1_001, -1_002)  # two channels; each user likes the posts of one of them
PER_CHANNEL = 30


def _likes_only(n_users: int = 60, seen: int = 10, seed: int = 0) -> Interactions:
    """Every rating a 👍: user u rates ``seen`` posts of channel GROUPS[u % 2] only."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(1, n_users + 1):
        g = user % 2
        for post in rng.choice(PER_CHANNEL, seen, replace=False):
            rows.append((user, g * 1_000 + post + 1, GROUPS[g]))
    u, p, c = map(np.array, zip(*rows, strict=True))
    return Interactions.from_arrays(u, p, c, np.ones(len(u)), np.arange(len(u)))


def _auc_unseen(model, data: Interactions) -> float:
    """Mean over users of the AUC of their own group's unrated posts against the other
    group's posts: 0.5 is chance."""
    posts = np.array([g * 1_000 + i + 1 for g in (0, 1) for i in range(PER_CHANNEL)])
    channels = np.repeat(GROUPS, PER_CHANNEL)
    cands = Candidates.from_arrays(posts, channels)
    users = np.unique(data.user)
    scores = model.score_many(list(users), cands)
    aucs = []
    for row, user in zip(scores, users, strict=True):
        rated = set(data.post[data.user == user].tolist())
        mine = (posts // 1_000 == user % 2) & ~np.isin(posts, list(rated))
        other = posts // 1_000 != user % 2
        aucs.append(float((row[mine][:, None] > row[other][None, :]).mean()))
    return float(np.mean(aucs))


@pytest.mark.parametrize("cls", MODELS)
def test_on_one_class_ranking_beats_chance_only_with_sampled_negatives(cls, caplog) -> None:
    data = _likes_only()
    with caplog.at_level(logging.WARNING, logger="oleg_recommender_embedding"):
        never = cls(cls.Settings(negatives="never"), seed=0)
        never.fit(data)
    assert "no sampled negatives" in caplog.text and cls.name in caplog.text
    assert never.fit_info["sampled_negatives"] == 0
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="oleg_recommender_embedding"):
        auto = cls(seed=0)
        auto.fit(data)
    assert caplog.text == ""
    assert auto.fit_info["sampled_negatives"] == 4 * len(data)  # every draw found a post
    without, with_negatives = _auc_unseen(never, data), _auc_unseen(auto, data)
    assert with_negatives > 0.9, with_negatives
    assert without < 0.7, without
    assert with_negatives > without + 0.25


@pytest.mark.parametrize("cls", MODELS)
def test_two_class_data_samples_only_when_asked(cls, synthetic) -> None:
    auto = cls(seed=0)
    auto.fit(synthetic.train)
    assert auto.fit_info["sampled_negatives"] == 0 and auto.model.training_rows.catalog is None
    always = cls(cls.Settings(negatives="always", negatives_per_positive=2), seed=0)
    always.fit(synthetic.train)
    liked = int((synthetic.train.value > 0.5).sum())
    assert 0.9 * 2 * liked <= always.fit_info["sampled_negatives"] <= 2 * liked
    assert always.fit_info["ratings"] == len(synthetic.train) + always.fit_info["sampled_negatives"]
    cands = synthetic.candidates
    assert not np.allclose(auto.score(1, cands), always.score(1, cands))


@pytest.mark.parametrize("cls", MODELS)
def test_the_seed_decides_the_negatives(cls) -> None:
    data = _likes_only()
    cands = Candidates.from_arrays(
        [1, 2, 1_001, 1_002], [GROUPS[0], GROUPS[0], GROUPS[1], GROUPS[1]]
    )
    a, b, c = cls(seed=5), cls(seed=5), cls(seed=6)
    for m in (a, b, c):
        m.fit(data)
    np.testing.assert_array_equal(a.score_many([1, 2], cands), b.score_many([1, 2], cands))
    assert not np.array_equal(a.score_many([1, 2], cands), c.score_many([1, 2], cands))


def test_incremental_rounds_follow_the_full_retrain_and_survive_save_load(tmp_path) -> None:
    data = _likes_only()
    first, later = data.take(slice(0, 400)), data.take(slice(400, None))
    model = DotRecommender(seed=1)
    model.fit(first)
    assert model.model.training_rows.sampling
    path = tmp_path / "dot.pt"
    model.save(path)
    loaded = DotRecommender.load(path)
    rows, loaded_rows = model.model.training_rows, loaded.model.training_rows
    assert loaded_rows.sampling and len(loaded_rows.catalog) == len(rows.catalog)
    model.partial_fit(later)
    loaded.partial_fit(later)
    assert model.model.training_rows.negatives == 4 * len(later)
    cands = Candidates.from_arrays(
        np.unique(data.post), np.where(np.unique(data.post) > 1_000, *GROUPS[::-1])
    )
    np.testing.assert_array_equal(model.score(3, cands), loaded.score(3, cands))
    # a batch of likes alone does not make an incremental round sample: the retrain decides
    two_class = DotRecommender(seed=1)
    two_class.fit(first.concat(Interactions.from_arrays([1], [1_029], [GROUPS[1]], [0.0])))
    two_class.partial_fit(later)
    assert not two_class.model.training_rows.sampling
    assert two_class.model.training_rows.negatives == 0


def test_negatives_are_unrated_posts_at_the_positives_time() -> None:
    data = _likes_only(seen=25)
    catalog = Catalog.of(data)
    neg, _ = sample_negatives(data, catalog, 3, "uniform", np.random.default_rng(0))
    rated = set(zip(data.user.tolist(), data.post.tolist(), strict=True))
    assert not rated & set(zip(neg.user.tolist(), neg.post.tolist(), strict=True))
    assert (neg.value == 0).all()
    assert len(neg) == 3 * len(data)  # 35 unrated posts per user: every redraw succeeds
    # each negative carries its post's channel, and its positive's time
    np.testing.assert_array_equal(neg.channel, np.where(neg.post > 1_000, GROUPS[1], GROUPS[0]))
    assert set(neg.time.tolist()) <= set(data.time.tolist())
    np.testing.assert_array_equal(np.bincount(neg.user), 3 * np.bincount(data.user))


def test_a_user_who_rated_everything_gets_no_negatives() -> None:
    data = Interactions.from_arrays([1, 1, 2], [10, 11, 10], [5, 5, 5], [1.0, 1.0, 1.0])
    neg, _ = sample_negatives(data, Catalog.of(data), 4, "uniform", np.random.default_rng(0))
    assert neg.user.tolist() == [2] * 4 and neg.post.tolist() == [11] * 4


def test_popularity_draws_posts_as_often_as_they_are_rated() -> None:
    # post 1 rated by 900 users, posts 2..4 by 100 each; users 1001..2000 rate post 5 only
    users = np.r_[np.arange(900), np.arange(900, 1000).repeat(3), np.arange(1001, 2001)]
    posts = np.r_[np.ones(900), np.tile([2, 3, 4], 100), np.full(1000, 5)]
    data = Interactions.from_arrays(users, posts, np.zeros(len(users)), np.ones(len(users)))
    catalog = Catalog.of(data)
    fresh = data.take(data.post == 5)  # their negatives: posts 1..4, by popularity
    neg, _ = sample_negatives(fresh, catalog, 20, "popularity", np.random.default_rng(0))
    share = np.bincount(neg.post, minlength=6)[1:5] / len(neg)
    np.testing.assert_allclose(share, [0.75, 1 / 12, 1 / 12, 1 / 12], atol=0.02)
    uni, _ = sample_negatives(fresh, catalog, 20, "uniform", np.random.default_rng(0))
    np.testing.assert_allclose(np.bincount(uni.post, minlength=6)[1:5] / len(uni), 0.25, atol=0.02)


def test_catalog_merges_counts_and_new_posts() -> None:
    a = Catalog.of(Interactions.from_arrays([1, 2], [10, 10], [7, 7], [1, 1]))
    b = a.merged(Interactions.from_arrays([3, 3], [10, 12], [7, 8], [1, 1]))
    assert b.post.tolist() == [10, 12] and b.count.tolist() == [3, 1]
    assert b.channel.tolist() == [7, 8]


def test_one_class() -> None:
    assert one_class(Interactions.from_arrays([1, 2], [1, 2], [1, 1], [1.0, 1.0]))
    assert not one_class(Interactions.from_arrays([1, 2], [1, 2], [1, 1], [1.0, 0.0]))
    assert not one_class(Interactions.empty())


def test_settings_are_checked() -> None:
    for bad in (
        {"negatives": "sometimes"},
        {"negatives_per_positive": 0},
        {"negative_distribution": "zipf"},
        {"ips": "on"},
        {"ips_clip": 0.5},
        {"ips_power": 0},
    ):
        with pytest.raises(ValidationError):
            DotRecommender.Settings(**bad)


def test_redraws_are_fresh_unrated_posts_for_the_same_users() -> None:
    data = _likes_only(seen=10)
    neg, redraw = sample_negatives(data, Catalog.of(data), 4, "uniform", np.random.default_rng(0))
    assert redraw is not None
    which = np.arange(0, len(neg), 2)
    got, item = redraw(which)
    assert len(got) == len(which)  # 50 unrated posts per user: every redraw succeeds
    posts = Catalog.of(data).post[item]
    users = neg.user[got]
    rated = set(zip(data.user.tolist(), data.post.tolist(), strict=True))
    assert not rated & set(zip(users.tolist(), posts.tolist(), strict=True))
    assert (posts != neg.post[got]).mean() > 0.9  # fresh posts, not the first draw


def test_a_full_retrain_redraws_its_training_negatives_and_keeps_the_held_out_ones() -> None:
    data = _likes_only()
    model = DotRecommender(DotSettings(epochs=3, patience=5), seed=0)
    drawn = []
    real = model.model.training_rows.epoch_redraw

    def spy(rows, train_idx, rows_of):
        draw = real(rows, train_idx, rows_of)

        def recording() -> None:
            before = rows["post"].clone()
            draw()
            drawn.append((before, rows["post"].clone(), train_idx))

        return recording

    model.model.training_rows.epoch_redraw = spy
    model.fit(data)
    assert len(drawn) == 2  # before epochs 2 and 3
    before, after, train_idx = drawn[0]
    n = len(data)
    changed = np.flatnonzero((before != after).numpy())
    assert len(changed) > 0.7 * (len(before) - n) * (1 - model.settings.validation_share)
    assert changed.min() >= n  # the ratings themselves never move
    assert set(changed.tolist()) <= set(train_idx.numpy().tolist())  # held-out negatives stay


def test_each_incremental_pass_trains_on_a_fresh_draw_of_unrated_posts() -> None:
    data = _likes_only()
    first, later = data.take(slice(0, 400)), data.take(slice(400, None))
    model = DotRecommender(DotSettings(partial_epochs=3), seed=0)
    model.fit(first)
    inner = model.model.training_rows
    extended, passes = inner.partial_passes(inner.prepare(later, full=False))
    n, per_pass = len(later), inner.negatives
    assert per_pass == 4 * n and len(passes) == 3 and len(extended) == n + 3 * per_pass
    drawn = []
    for rows in passes:
        rows = rows.numpy()
        assert (rows[:n] == np.arange(n)).all() and len(rows) == n + per_pass  # every rating
        negatives = extended.take(rows[n:])
        assert (negatives.value == 0).all()
        rated = set(zip(later.user.tolist(), later.post.tolist(), strict=True))
        assert not rated & set(zip(negatives.user.tolist(), negatives.post.tolist(), strict=True))
        drawn.append(negatives)
    # the same users at the same times, mostly other posts
    assert (drawn[0].user == drawn[1].user).all() and (drawn[0].time == drawn[2].time).all()
    assert (drawn[0].post != drawn[1].post).mean() > 0.7
    assert (drawn[1].post != drawn[2].post).mean() > 0.7
    # a model that samples none trains every pass on the same rows
    plain = DotRecommender(DotSettings(partial_epochs=3, negatives="never"), seed=0)
    plain.fit(first.concat(Interactions.from_arrays([1], [1_029], [GROUPS[1]], [0.0])))
    plain_rows = plain.model.training_rows
    same, plain_passes = plain_rows.partial_passes(plain_rows.prepare(later, full=False))
    assert len(same) == n and all((r == torch.arange(n)).all() for r in plain_passes)
