"""The vectorised pool scorer equals VW's own ``predict`` on the same examples."""

from __future__ import annotations

import numpy as np
import pytest
from oleg.types import Interactions
from oleg_recommender_vw.hashing import WeightTable
from oleg_recommender_vw.model import VwLogisticRecommender
from oleg_recommender_vw.settings import VwSettings

EVERY_PAIR = ["uc", "uk", "um", "uw", "ct", "hc", "kw", "tm", "hp", "uh"]


@pytest.mark.parametrize(
    "settings",
    [
        VwSettings(),
        VwSettings(interactions=EVERY_PAIR, passes=2, l2=1e-6),
        VwSettings(interactions=EVERY_PAIR, bits=12, l1=1e-7),  # collisions galore
        VwSettings(namespaces=["c", "w", "t"], interactions=["cw", "ct", "tw"], passes=1),
    ],
    ids=["defaults", "every-namespace-pair", "12-bits", "no-user"],
)
def test_fast_scores_equal_vw_predict(settings: VwSettings, random_model) -> None:
    model, cands, now = random_model(settings, seed=1)
    for user in (None, 3, 17, 59, 10_000):
        fast = 1.0 / (1.0 + np.exp(-model.margins(user, cands, now=now)))
        reference = model.vw_predict(user, cands, now=now)
        assert np.abs(fast - reference).max() < 1e-6, f"user {user}"
        assert reference.std() > 1e-3  # the model learned something to compare


def test_cached_pool_follows_updates_and_a_sparse_table(
    monkeypatch: pytest.MonkeyPatch, random_model
) -> None:
    model, cands, now = random_model(VwSettings(interactions=EVERY_PAIR), seed=2)
    before = model.margins(5, cands, now=now)
    model.partial_fit(
        Interactions.from_arrays(
            [5] * 50,
            cands.post[:50],
            cands.channel[:50],
            [1.0] * 50,
            [now] * 50,
            cands.category[:50],
        )
    )
    after = model.margins(5, cands, now=now)
    assert np.abs(after - before).max() > 1e-3
    assert np.abs(1 / (1 + np.exp(-after)) - model.vw_predict(5, cands, now=now)).max() < 1e-6
    monkeypatch.setattr(WeightTable, "DENSE_BITS", 10)  # the table of bits > 24
    model._weights = None
    sparse = model.margins(5, cands, now=now)
    np.testing.assert_allclose(sparse, after, atol=1e-12)


def test_saved_model_scores_the_same(tmp_path, random_model) -> None:
    model, cands, now = random_model(VwSettings(interactions=["uc", "uw", "hc"]), seed=3)
    model.save(tmp_path / "m.npz")
    loaded = VwLogisticRecommender.load(tmp_path / "m.npz")
    # content is the store's, not the file's: hand the loaded model the same posts
    loaded.content = model.content
    loaded.scorer.content = model.content
    loaded.writer.content = model.content
    for user in (None, 7):
        np.testing.assert_allclose(
            loaded.margins(user, cands, now=now), model.margins(user, cands, now=now), atol=1e-9
        )
    assert np.abs(loaded.score(7, cands) - loaded.vw_predict(7, cands)).max() < 1e-6


def test_the_past_follows_feedback() -> None:
    model = VwLogisticRecommender(VwSettings(namespaces=["u", "c", "h"], interactions=[]))
    ratings = Interactions.from_arrays(
        [1, 1, 1, 2], [10, 11, 12, 13], [7, 7, 8, 7], [1.0, 1.0, 0.0, 0.0], [1, 2, 3, 4]
    )
    lines = model.writer.lines(ratings, model.portrait)
    # the first rating on a channel has no past; later ones see only the ratings before them
    assert "|h" not in lines[0] and "ch:0.1669921875" in lines[1] and "|h" not in lines[2]
    ch, _ = model.portrait.rates_now(1, np.array([7, 8, 9]), np.array([0, 0, 0]))
    assert ch.tolist() == [0.25, -0.1669921875, 0.0]  # (2+1)/(2+2)-.5; (0+1)/(1+2)-.5 rounded


@pytest.mark.parametrize(
    ("settings", "partial"),
    [
        (VwSettings(interactions=EVERY_PAIR), True),
        (VwSettings(interactions=EVERY_PAIR, bits=16, l1=1e-6, l2=1e-4), True),
        (VwSettings(interactions=EVERY_PAIR, bits=12, l1=1e-6, l2=1e-4), None),  # collisions
    ],
    ids=["plain", "l1-l2", "12-bits"],
)
def test_updates_reread_only_the_weights_they_touch(
    settings: VwSettings, partial: bool | None, random_model
) -> None:
    model, cands, now = random_model(settings, 7)
    model.margins(4, cands, now=now)
    table = model.weights()
    rng = np.random.default_rng(8)
    for _ in range(3):  # several updates between two scores, then one
        pick = rng.choice(len(cands), 40)
        model.partial_fit(
            Interactions.from_arrays(
                rng.integers(1, 70, 40),
                cands.post[pick],
                cands.channel[pick],
                (rng.random(40) < 0.5).astype(float),
                np.full(40, now),
                cands.category[pick],
            )
        )
        if rng.random() < 0.5:
            continue
        fast = model.margins(4, cands, now=now)
        assert model.weights() is table
        if partial is not None:
            assert (table.reads == 1) is partial  # no whole read again
        assert np.abs(1 / (1 + np.exp(-fast)) - model.vw_predict(4, cands, now=now)).max() < 1e-6
    model.margins(None, cands, now=now)
    incremental = model.margins(9, cands, now=now)
    model._weights = None  # read everything afresh
    np.testing.assert_allclose(model.margins(9, cands, now=now), incremental, atol=1e-12)


def test_weights_text_reads_like_json(random_model) -> None:
    import json

    from oleg_recommender_vw.hashing import json_weights

    model, _, _ = random_model(VwSettings(bits=12), 9)
    index, value = json_weights(model._vw)
    entries = json.loads(model._vw.json_weights())["weights"]
    assert index.tolist() == [e["index"] for e in entries]
    assert value.tolist() == [e["value"] for e in entries]
