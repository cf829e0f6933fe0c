"""Histories from a deployment's store: every delivery a step, rated or not, with how it was
asked for; ratings left out of a fit leave their step out; new deliveries reach the user
vectors without a retrain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from oleg.store import Store
from oleg.store.views import StoreReader, view
from oleg.types import (
    Candidates,
    Delivery,
    FeedbackEvent,
    Interactions,
    MediaKind,
    Policy,
    PolicyKind,
    Post,
)
from oleg_recommender_argus import ArgusRecommender, ArgusSettings
from oleg_recommender_argus.features import Asked, Col, Feedback

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)  # a Monday, 09:00
CHAN = -1001000000001
WARM = Policy(PolicyKind.RECOMMENDER, "argus")
COLD = Policy(PolicyKind.COLD_START, "top-bias")


@pytest.fixture
def store(tmp_path):
    s = Store.open(f"sqlite:///{tmp_path / 'feed.db'}")
    yield s
    s.close()


def _deliver(store: Store, sub: int, post: int, at: datetime, policy: Policy = WARM) -> int:
    (d,) = store.add_deliveries([Delivery(sub, post, at, policy)])
    assert d.id is not None
    return d.id


def test_store_deliveries_become_steps(store: Store) -> None:
    posts = store.add_posts(
        [
            Post(CHAN, m, T0 - timedelta(hours=2), media_kind=MediaKind.PHOTO, category="sport")
            for m in range(1, 7)
        ]
    )
    a = store.upsert_subscriber("a", active=True, at=T0).id
    b = store.upsert_subscriber("b", active=True, at=T0).id
    p = [x.id for x in posts]
    d_cold = _deliver(store, a, p[0], T0, COLD)
    _deliver(store, b, p[0], T0, COLD)
    d_round = _deliver(store, a, p[1], T0 + timedelta(hours=1))
    _deliver(store, b, p[1], T0 + timedelta(hours=1))
    _deliver(store, a, p[2], T0 + timedelta(hours=1, minutes=7))  # alone: a /more
    d_held = _deliver(store, b, p[3], T0 + timedelta(hours=1, minutes=8))
    later = T0 + timedelta(hours=2)
    store.add_feedback(
        [
            FeedbackEvent(d_cold, 1, later),
            FeedbackEvent(d_round, 0, later),
            FeedbackEvent(d_held, 1, later),
        ]
    )

    log = store.delivery_log()
    assert [x.value for x in log] == [1, None, 0, None, None, 1]
    assert log[0].post.media_kind == "photo" and log[0].delivery.policy == COLD

    model = ArgusRecommender(ArgusSettings(pretrain_epochs=1, finetune_epochs=1), seed=0)
    model.model.attach(view(store, StoreReader), lambda: T0 + timedelta(hours=2))
    fed, _ = store.feedback()
    trained = fed.take(fed.post != p[3])  # b's rating of post 4 is held out of this fit
    model.fit(trained)
    rows_a = model.model.histories.of(a)
    assert rows_a[:, Col.ASKED].tolist() == [Asked.COLD_START, Asked.MAILING, Asked.MORE]
    assert rows_a[:, Col.FEEDBACK].tolist() == [Feedback.LIKE, Feedback.DISLIKE, Feedback.SHOWN]
    assert rows_a[0, Col.HOUR] == 9 and rows_a[0, Col.MEDIA] > 0 and rows_a[0, Col.AGE] > 0
    assert p[3] not in model.model.histories.of(b)[:, Col.POST]

    pool = Candidates.from_posts([x for x in posts])
    before = model.score(b, pool)
    _deliver(store, b, p[4], T0 + timedelta(hours=3))  # a new step, no retrain
    after = model.score(b, pool)
    assert len(model.model.histories.of(b)) == 3
    assert not np.allclose(before, after)


def test_an_unseen_post_is_encoded_from_its_features() -> None:
    data = Interactions.from_arrays(
        [1, 1, 2, 2], [10, 11, 10, 12], [CHAN] * 4, [1, 0, 1, 1], [1, 2, 3, 4]
    )
    model = ArgusRecommender(ArgusSettings(pretrain_epochs=1, finetune_epochs=0), seed=0)
    model.fit(data)
    fresh = Candidates.from_arrays([999_001, 999_002], [CHAN, -1002000000000])
    scores = model.score(1, fresh)
    assert np.isfinite(scores).all() and scores[0] != scores[1]


def test_same_seed_same_model_and_presets_grow() -> None:
    data = Interactions.from_arrays(
        np.repeat([1, 2, 3], 20), np.arange(60) % 25, [CHAN] * 60, np.arange(60) % 2, np.arange(60)
    )
    cands = Candidates.from_arrays(np.arange(25), [CHAN] * 25)
    runs = []
    for _ in range(2):
        m = ArgusRecommender(ArgusSettings(pretrain_epochs=2, finetune_epochs=1), seed=5)
        m.fit(data)
        runs.append(m.score(1, cands))
    np.testing.assert_array_equal(runs[0], runs[1])
    sizes = [
        ArgusRecommender(ArgusSettings(preset=p)).n_parameters()
        for p in ("small", "medium", "large")
    ]
    assert sizes[0] < sizes[1] < sizes[2]


def test_input_dropout_acts_while_training_only() -> None:
    """Same seed, same model; the dropped tokens change what is learnt, not how a fitted
    model serves (dropout is off in evaluation)."""
    data = Interactions.from_arrays(
        np.repeat([1, 2, 3], 20), np.arange(60) % 25, [CHAN] * 60, np.arange(60) % 2, np.arange(60)
    )
    cands = Candidates.from_arrays(np.arange(25), [CHAN] * 25)
    scores = {}
    for rate in (0.0, 0.5, 0.5):
        m = ArgusRecommender(
            ArgusSettings(pretrain_epochs=2, finetune_epochs=0, input_dropout=rate), seed=5
        )
        m.fit(data)
        first, again = m.score(1, cands), m.score(1, cands)
        np.testing.assert_array_equal(first, again)
        scores.setdefault(rate, []).append(first)
    np.testing.assert_array_equal(*scores[0.5])
    assert not np.allclose(scores[0.0][0], scores[0.5][0])
    with pytest.raises(ValueError):
        ArgusSettings(input_dropout=1.0)


def test_heads_must_divide_dim() -> None:
    with pytest.raises(ValueError, match="must divide"):
        ArgusSettings(dim=30, heads=4)
