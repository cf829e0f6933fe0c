"""Post categories in embedding-nn: learned per subscriber, used for posts never rated, and
paid for only when the data has them."""

from __future__ import annotations

import numpy as np
from oleg import Candidates, Interactions
from oleg_recommender_embedding import EmbeddingNNRecommender, EmbeddingNNSettings

SCIENCE, SPORT = 11, 22


def _taste_data(seed: int = 0) -> Interactions:
    """Half the users like science and dislike sport, the other half the reverse; every
    rating is on a new post, all in one channel: only the category tells them apart."""
    rng = np.random.default_rng(seed)
    users = np.repeat(np.arange(1, 41), 40)
    cats = rng.choice([SCIENCE, SPORT], len(users))
    likes_science = users % 2 == 0
    p = np.where((cats == SCIENCE) == likes_science, 0.9, 0.1)
    value = (rng.random(len(users)) < p).astype(float)
    posts = np.arange(1, len(users) + 1)
    return Interactions.from_arrays(users, posts, np.full(len(users), -100), value, posts, cats)


def _fresh(category: int) -> Candidates:
    return Candidates.from_arrays([10_001, 10_002], [-100, -100], category=[category, category])


def test_a_subscribers_category_taste_scores_posts_never_rated() -> None:
    model = EmbeddingNNRecommender(EmbeddingNNSettings(epochs=20), seed=0)
    model.fit(_taste_data())
    science_fan, sport_fan = 2, 3
    assert (
        model.score(science_fan, _fresh(SCIENCE)).mean()
        > model.score(science_fan, _fresh(SPORT)).mean() + 0.2
    )
    assert (
        model.score(sport_fan, _fresh(SPORT)).mean()
        > model.score(sport_fan, _fresh(SCIENCE)).mean() + 0.2
    )
    mixed = Candidates.from_arrays([10_001, 10_002], [-100, -100], category=[SCIENCE, SPORT])
    scores = model.score(science_fan, mixed)
    assert scores[0] > scores[1]


def test_without_categories_the_same_posts_look_alike() -> None:
    model = EmbeddingNNRecommender(EmbeddingNNSettings(epochs=20, category_dim=0), seed=0)
    model.fit(_taste_data())
    gap = model.score(2, _fresh(SCIENCE)).mean() - model.score(2, _fresh(SPORT)).mean()
    assert abs(gap) < 1e-6


def test_categories_cost_nothing_when_the_data_has_none() -> None:
    data = _taste_data()
    plain = Interactions.from_arrays(data.user, data.post, data.channel, data.value, data.time)
    model = EmbeddingNNRecommender(EmbeddingNNSettings(epochs=2), seed=0)
    model.fit(plain)
    core = model._model
    assert "category" not in core.entities
    assert core.tables["user"].dim == 100 + 1  # vector and bias, no category dot part
    model.fit(data)
    assert "category" in model._model.entities


def test_save_and_load_keep_categories(tmp_path) -> None:
    model = EmbeddingNNRecommender(EmbeddingNNSettings(epochs=5), seed=0)
    model.fit(_taste_data())
    model.save(tmp_path / "m.pt")
    loaded = EmbeddingNNRecommender.load(tmp_path / "m.pt")
    cands = Candidates.from_arrays([10_001, 10_002], [-100, -100], category=[SCIENCE, SPORT])
    np.testing.assert_allclose(loaded.score(2, cands), model.score(2, cands), rtol=1e-6)


def test_incremental_rounds_turn_categories_on_for_an_empty_model() -> None:
    model = EmbeddingNNRecommender(EmbeddingNNSettings(), seed=0)
    model.fit(Interactions.empty())  # a deployment's first round: nothing yet
    model.partial_fit(_taste_data())
    assert "category" in model._model.entities
