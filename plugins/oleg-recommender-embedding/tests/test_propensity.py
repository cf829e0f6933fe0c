"""Inverse-propensity weighting: the weights, their clipping, and what they do to the loss."""

import logging

import numpy as np
import pytest
import torch
from oleg import Interactions
from oleg_recommender_embedding import (
    DotRecommender,
    DotSettings,
    EmbeddingNNRecommender,
    EmbeddingNNSettings,
)
from oleg_recommender_embedding.negatives import Catalog
from oleg_recommender_embedding.nets import make_net
from oleg_recommender_embedding.propensity import clipped, loss_weights, popularity_propensity
from oleg_recommender_embedding.training import Ratings, Trainer


def _skewed() -> Interactions:
    """Post 1 rated 100 times, post 2 25 times, post 3 once."""
    posts = np.r_[np.full(100, 1), np.full(25, 2), [3]]
    users = np.arange(len(posts))
    return Interactions.from_arrays(users, posts, np.zeros(len(posts)), np.ones(len(posts)))


def test_popularity_weights_are_inverse_square_roots_of_counts_clipped_and_mean_one() -> None:
    data = _skewed()
    catalog = Catalog.of(data)
    p = popularity_propensity(data, catalog, 0.5)
    assert p[0] == 1.0 and p[100] == pytest.approx(0.5) and p[-1] == pytest.approx(0.1)
    w = loss_weights(DotSettings(ips="popularity", ips_clip=100), data, catalog, "dot")
    assert w.mean() == pytest.approx(1.0)
    assert w[100] / w[0] == pytest.approx(2.0) and w[-1] / w[0] == pytest.approx(10.0)
    tight = loss_weights(DotSettings(ips="popularity", ips_clip=4), data, catalog, "dot")
    assert tight.max() / tight.min() == pytest.approx(4.0)  # 1/0.1 = 10 clipped at 4
    assert tight[100] / tight[0] == pytest.approx(2.0)  # below the clip: unchanged


def test_logged_weights_are_the_feedbacks_own_clipped() -> None:
    data = Interactions.from_arrays(
        [1, 2, 3], [1, 2, 3], [0, 0, 0], [1, 0, 1], weight=[1.0, 3.0, 50.0]
    )
    w = loss_weights(DotSettings(ips="logged", ips_clip=10), data, Catalog.of(data), "dot")
    np.testing.assert_allclose(w, np.array([1.0, 3.0, 10.0]) / (14 / 3))
    off = loss_weights(DotSettings(), data, Catalog.of(data), "dot")
    assert off is data.weight  # ips off: a weight handed with the feedback is used as it is
    with pytest.raises(ValueError, match="finite and non-negative"):
        clipped(np.array([1.0, -1.0]), 10)


def test_logged_without_weights_warns_and_trains_unweighted(caplog, synthetic) -> None:
    with caplog.at_level(logging.WARNING, logger="oleg_recommender_embedding"):
        model = DotRecommender(DotSettings(ips="logged", epochs=2), seed=0)
        model.fit(synthetic.train)
    assert "carries no weight" in caplog.text
    plain = DotRecommender(DotSettings(epochs=2), seed=0)
    plain.fit(synthetic.train)
    np.testing.assert_array_equal(
        model.score(1, synthetic.candidates), plain.score(1, synthetic.candidates)
    )


@pytest.mark.parametrize(
    "settings",
    [DotSettings(), DotSettings(loss="bce"), EmbeddingNNSettings(dropout=0, cold_dropout=0)],
)
def test_a_weight_scales_its_ratings_loss_and_gradient(settings) -> None:
    kind = "dot" if isinstance(settings, DotSettings) else "nn"
    torch.manual_seed(0)
    net = make_net(kind, settings, categories=False)
    net.reset(0.5, torch.Generator().manual_seed(0))
    rows = {e: torch.randn(4, d) * 0.3 for e, d in net.dims.items()}
    y = torch.tensor([1.0, 0.0, 1.0, 0.0])
    weight = torch.tensor([1.0, 3.0, 0.0, 0.5])

    def step(w):
        for p in net.parameters():
            p.grad = None
        loss, grads = net.train_step(
            {e: r.clone() for e, r in rows.items()}, y, 4, 0.0, settings.loss, torch.Generator(), w
        )
        return loss, grads

    plain_loss, plain = step(None)
    each = [step(torch.eye(4)[i])[0] for i in range(4)]  # one rating's loss at a time
    weighted_loss, weighted = step(weight)
    assert float(weighted_loss) == pytest.approx(
        float(sum(w * one for w, one in zip(weight, each, strict=True))), rel=1e-5
    )
    assert float(plain_loss) == pytest.approx(float(sum(each)), rel=1e-5)
    for e in rows:  # each rating's rows' gradient scales with its weight (the rows differ)
        np.testing.assert_allclose(weighted[e], plain[e] * weight[:, None], rtol=1e-4, atol=1e-7)


def test_the_held_out_loss_is_weighted_too() -> None:
    settings = DotSettings()
    net = make_net("dot", settings, categories=False)
    net.reset(0.5, torch.Generator().manual_seed(0))
    tables = {e: torch.randn(3, d) * 0.3 for e, d in net.dims.items()}
    idx = {e: torch.arange(3) for e in tables}
    y = torch.tensor([1.0, 0.0, 1.0])

    def loss(w):
        trainer = Trainer(net, tables, None, None, settings, torch.Generator(), torch.Generator())  # type: ignore[arg-type]
        return trainer.loss(Ratings(idx, y, w), torch.arange(3))

    each = [loss(torch.eye(3)[i]) * 3 for i in range(3)]
    assert loss(None) == pytest.approx(sum(each) / 3, rel=1e-5)
    assert loss(torch.tensor([2.0, 0.0, 1.0])) == pytest.approx(
        (2 * each[0] + each[2]) / 3, rel=1e-5
    )


@pytest.mark.parametrize("cls", [DotRecommender, EmbeddingNNRecommender])
def test_popularity_weighting_changes_the_model_and_keeps_its_seed(cls, synthetic) -> None:
    fits = []
    for ips in ("off", "popularity", "popularity"):
        model = cls(cls.Settings(ips=ips, epochs=3), seed=0)
        model.fit(synthetic.train)
        fits.append(model.score(1, synthetic.candidates))
    assert not np.allclose(fits[0], fits[1])
    np.testing.assert_array_equal(fits[1], fits[2])


def test_interactions_carry_their_weight_through_take_and_concat() -> None:
    a = Interactions.from_arrays([1, 2, 3], [1, 2, 3], [0, 0, 0], [1, 0, 1], weight=[0.5, 2.0, 4.0])
    assert a.take([2, 0]).weight.tolist() == [4.0, 0.5]
    assert a.take(np.array([False, True, False])).weight.tolist() == [2.0]
    plain = Interactions.from_arrays([9], [9], [0], [1])
    assert plain.weight is None and plain.take([0]).weight is None
    assert plain.weights().tolist() == [1.0]
    assert a.concat(plain).weight.tolist() == [0.5, 2.0, 4.0, 1.0]
    assert plain.concat(plain).weight is None
    with pytest.raises(ValueError, match=r"Interactions\.weight has 2 rows, expected 3"):
        Interactions.from_arrays([1, 2, 3], [1, 2, 3], [0, 0, 0], [1, 0, 1], weight=[1.0, 1.0])
