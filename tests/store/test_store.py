"""The Store API, on SQLite and on a real PostgreSQL (the ``store_url`` fixture)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from oleg.store import Store
from oleg.store.tables import delivery_t, subscriber_t
from oleg.types import (
    Delivery,
    DeliveryStatus,
    DeliveryUpdate,
    FeedbackEvent,
    Policy,
    PolicyKind,
    Post,
)
from oleg.versions import ModelKind, ModelStatus, ModelVersion

TEST_POLICY = Policy(PolicyKind.RECOMMENDER, "test")
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
MSK = timezone(timedelta(hours=3))
CHAN = -1001465826763
CHAN2 = -1001000000002


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


def post(message_id: int, *, channel: int = CHAN, minutes: int = 0, **kw: object) -> Post:
    return Post(channel, message_id, T0 + timedelta(minutes=minutes), **kw)  # type: ignore[misc]


def seed(store: Store, n_posts: int = 3, n_subs: int = 2) -> tuple[list[Post], list[int]]:
    posts = store.add_posts([post(i, minutes=i) for i in range(1, n_posts + 1)])
    subs = [store.upsert_subscriber(str(100 + i), active=True, at=T0).id for i in range(n_subs)]
    return posts, subs


def deliver(store: Store, pairs: list[tuple[int, int]], at: datetime = T0) -> list[Delivery]:
    return store.add_deliveries([Delivery(s, p, at, TEST_POLICY) for s, p in pairs])


# -- posts ------------------------------------------------------------------------------


def test_add_posts_is_idempotent(store: Store) -> None:
    first = store.add_posts([post(1, channel_title="Chan")])
    assert len(first) == 1 and isinstance(first[0].id, int)
    assert first[0].key == (CHAN, 1)
    assert store.add_posts([post(1, channel_title="Chan")]) == []
    assert store.post_count() == 1


def test_duplicates_within_a_batch_are_stored_once_first_wins(store: Store) -> None:
    new = store.add_posts([post(1, text="first"), post(2), post(1, text="second")])
    assert [p.message_id for p in new] == [1, 2]
    assert new[0].text == "first"
    assert store.post_count() == 2
    assert [p.text for p in store.recent_posts(T0, 10)] == ["first", None]


def test_add_posts_returns_ids_of_new_posts_only(store: Store) -> None:
    old = store.add_posts([post(1), post(2)])
    new = store.add_posts([post(2), post(3), post(4)])
    assert [p.message_id for p in new] == [3, 4]
    ids = [p.id for p in old + new]
    assert len(set(ids)) == 4
    stored = {p.message_id: p.id for p in store.recent_posts(T0, 10)}
    assert stored == {p.message_id: p.id for p in old + new}


def test_large_batch_in_one_call(store: Store) -> None:
    posts = [post(i, minutes=i % 60) for i in range(1, 2501)]
    new = store.add_posts(posts)
    assert len(new) == 2500 and len({p.id for p in new}) == 2500
    assert [p.message_id for p in new] == list(range(1, 2501))
    assert store.add_posts(posts) == []
    assert store.mark_posts_deleted([p.key for p in posts[:1200]]) == 1200


def test_channel_rows_and_titles(store: Store) -> None:
    store.add_posts([post(1, channel_title="Old"), post(1, channel=CHAN2)])
    store.add_posts([post(2, channel_title="New"), post(2, channel=CHAN2)])
    store.add_posts([post(3)])  # no title: keeps the known one
    titles = {(p.channel_id, p.message_id): p.channel_title for p in store.recent_posts(T0, 10)}
    assert titles == {
        (CHAN, 1): "New", (CHAN, 2): "New", (CHAN, 3): "New", (CHAN2, 1): None, (CHAN2, 2): None
    }


def test_deleted_posts_leave_recent_posts(store: Store) -> None:
    store.add_posts([post(1), post(2), post(3)])
    assert store.mark_posts_deleted([(CHAN, 2), (CHAN, 2), (CHAN, 99)]) == 1
    assert store.mark_posts_deleted([(CHAN, 2)]) == 0
    assert [p.message_id for p in store.recent_posts(T0, 10)] == [1, 3]
    assert store.post_count() == 3


def test_recent_posts_window_limit_and_order(store: Store) -> None:
    store.add_posts([post(i, minutes=10 * i) for i in (5, 1, 4, 2, 3)])
    recent = store.recent_posts(T0 + timedelta(minutes=20), 2)
    assert [p.message_id for p in recent] == [4, 5]  # the newest two, oldest first
    window = store.recent_posts(T0 + timedelta(minutes=20), 10)
    assert [p.message_id for p in window] == [2, 3, 4, 5]
    assert store.recent_posts(T0 + timedelta(days=1), 10) == []


def test_post_fields_round_trip(store: Store) -> None:
    p = post(7, media_kind="photo", album_id="alb", text="snippet", category="news",
             channel_title="Chan")
    (stored,) = store.add_posts([p])
    (back,) = store.recent_posts(T0, 1)
    assert back == stored == p.with_id(stored.id)


def test_last_post_date_and_message_ids(store: Store) -> None:
    assert store.last_post_date() is None
    assert store.last_message_ids() == {}
    assert store.post_count() == 0
    store.add_posts([post(3, minutes=5), post(9, minutes=1), post(4, channel=CHAN2, minutes=2)])
    assert store.last_post_date() == T0 + timedelta(minutes=5)
    assert store.last_message_ids() == {CHAN: 9, CHAN2: 4}


def test_datetimes_come_back_aware_utc(store: Store) -> None:
    local = datetime(2024, 3, 1, 15, 0, tzinfo=MSK)  # 12:00 UTC
    naive = datetime(2024, 3, 1, 12, 0)  # taken as UTC
    (p,) = store.add_posts([Post(CHAN, 1, local)])
    sub = store.upsert_subscriber("1", active=True, at=naive)
    (d,) = store.add_deliveries([Delivery(sub.id, p.id, local, TEST_POLICY)])
    (fb,) = store.add_feedback([FeedbackEvent(d.id, 1, local)])
    version = store.add_model_version(plugin="p", kind="full", params={}, metrics={},
                                      n_feedback=1, status="candidate", at=local)
    values = [
        p.date, d.sent_at, fb.at, sub.joined_at,
        store.recent_posts(T0, 1)[0].date,
        store.last_post_date(),
        store.subscribers()[0].joined_at,
        store.model_versions()[0].created_at,
        version.created_at,
    ]
    for v in values:
        assert isinstance(v, datetime) and v.tzinfo is not None
        assert v.utcoffset() == timedelta(0)
        assert v == T0
    assert version.id > 0


# -- subscribers ------------------------------------------------------------------------


def _left_at(store: Store, sub_id: int) -> datetime | None:
    with store.engine.connect() as conn:
        return conn.execute(
            sa.select(subscriber_t.c.left_at).where(subscriber_t.c.id == sub_id)
        ).scalar_one()


def test_subscriber_leaves_and_comes_back(store: Store) -> None:
    a = store.upsert_subscriber("42", active=True, at=T0, name="Ann")
    assert (a.active, a.name, a.joined_at) == (True, "Ann", T0)
    assert store.upsert_subscriber("42", active=True, at=T0 + timedelta(hours=1)) == a

    left = store.upsert_subscriber("42", active=False, at=T0 + timedelta(days=1))
    assert left.id == a.id and not left.active
    assert _left_at(store, a.id) == T0 + timedelta(days=1)
    assert store.subscribers() == []
    assert [s.id for s in store.subscribers(active_only=False)] == [a.id]

    back = store.upsert_subscriber("42", active=True, at=T0 + timedelta(days=2))
    assert back.id == a.id and back.active and back.name == "Ann"
    assert back.joined_at == T0 + timedelta(days=2)
    assert _left_at(store, a.id) is None
    assert store.subscribers() == [back]


def test_subscriber_first_seen_leaving(store: Store) -> None:
    s = store.upsert_subscriber("7", active=False, at=T0)
    assert not s.active
    assert _left_at(store, s.id) == T0
    assert store.subscribers() == []
    other = store.upsert_subscriber("8", active=True, at=T0)
    assert other.id != s.id
    assert [x.external_id for x in store.subscribers(active_only=False)] == ["7", "8"]


# -- deliveries -------------------------------------------------------------------------


def test_delivery_is_unique_per_subscriber_and_post(store: Store) -> None:
    posts, (s1, s2) = seed(store)
    p1, p2 = posts[0].id, posts[1].id
    new = deliver(store, [(s1, p1), (s1, p2), (s1, p1), (s2, p1)])
    assert [(d.subscriber_id, d.post_id) for d in new] == [(s1, p1), (s1, p2), (s2, p1)]
    assert len({d.id for d in new}) == 3 and all(isinstance(d.id, int) for d in new)
    again = deliver(store, [(s1, p1), (s2, p2)])
    assert [(d.subscriber_id, d.post_id) for d in again] == [(s2, p2)]
    assert store.delivery_counts() == {s1: 2, s2: 2}


def test_delivery_needs_a_stored_post(store: Store) -> None:
    _, (s1, _) = seed(store)
    with pytest.raises(sa.exc.IntegrityError):
        deliver(store, [(s1, 999_999)])


def test_delivered_posts(store: Store) -> None:
    posts, (s1, s2) = seed(store)  # dated T0+1, +2, +3 minutes
    deliver(store, [(s1, posts[0].id), (s1, posts[2].id), (s2, posts[1].id)])
    assert store.delivered_posts() == {s1: {posts[0].id, posts[2].id}, s2: {posts[1].id}}
    since = T0 + timedelta(minutes=2)
    assert store.delivered_posts(since) == {s1: {posts[2].id}, s2: {posts[1].id}}
    assert store.delivered_posts(T0 + timedelta(days=1)) == {}


def test_set_delivery_status(store: Store) -> None:
    posts, (s1, _) = seed(store)
    d1, d2 = deliver(store, [(s1, posts[0].id), (s1, posts[1].id)])
    assert d1.status == "pending"
    store.set_delivery_status([
        DeliveryUpdate(d1.id, DeliveryStatus.SENT), DeliveryUpdate(d2.id, DeliveryStatus.FAILED, "blocked")
    ])
    with store.engine.connect() as conn:
        stmt = sa.select(delivery_t.c.id, delivery_t.c.status, delivery_t.c.error)
        rows = {r.id: (r.status, r.error) for r in conn.execute(stmt)}
    assert rows == {d1.id: ("sent", None), d2.id: ("failed", "blocked")}


# -- feedback ---------------------------------------------------------------------------


def test_feedback_is_stored_once_per_delivery(store: Store) -> None:
    posts, (s1, s2) = seed(store)
    d1, d2 = deliver(store, [(s1, posts[0].id), (s2, posts[1].id)])
    (fb,) = store.add_feedback([FeedbackEvent(d1.id, 1, T0), FeedbackEvent(d1.id, 0, T0)])
    assert (fb.delivery_id, fb.subscriber_id, fb.post_id, fb.channel_id, fb.value) == (
        d1.id, s1, posts[0].id, CHAN, 1
    )
    assert store.add_feedback([FeedbackEvent(d1.id, 0, T0)]) == []  # the first vote wins
    new = store.add_feedback([FeedbackEvent(d1.id, 1, T0), FeedbackEvent(d2.id, 0, T0)])
    assert [f.delivery_id for f in new] == [d2.id]
    inter, _ = store.feedback()
    assert inter.value.tolist() == [1.0, 0.0]
    assert store.rating_counts() == {s1: 1, s2: 1}


def test_feedback_for_unknown_delivery_is_ignored(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    posts, (s1, _) = seed(store)
    (d,) = deliver(store, [(s1, posts[0].id)])
    with caplog.at_level(logging.WARNING, logger="oleg.store"):
        new = store.add_feedback([FeedbackEvent(d.id + 1000, 1, T0), FeedbackEvent(d.id, 1, T0)])
    assert [f.delivery_id for f in new] == [d.id]
    assert "1 feedback event(s) on unknown deliveries" in caplog.text
    assert store.add_feedback([FeedbackEvent(d.id + 1000, 1, T0)]) == []
    assert len(store.feedback()[0]) == 1


@pytest.mark.parametrize("bad", [2, -1, 5])
def test_feedback_value_must_be_0_or_1(store: Store, bad: int) -> None:
    posts, (s1, _) = seed(store)
    d1, d2 = deliver(store, [(s1, posts[0].id), (s1, posts[1].id)])
    with pytest.raises(ValueError, match="feedback value"):
        store.add_feedback([FeedbackEvent(d1.id, 1, T0), FeedbackEvent(d2.id, bad, T0)])
    assert len(store.feedback()[0]) == 0  # nothing of the batch was written


def test_feedback_cursor(store: Store) -> None:
    posts, (s1, s2) = seed(store)
    ds = deliver(store, [(s1, posts[0].id), (s1, posts[1].id), (s2, posts[2].id)])
    empty, cursor = store.feedback()
    assert len(empty) == 0 and cursor == 0
    assert store.feedback(after_id=17)[1] == 17

    store.add_feedback([FeedbackEvent(ds[0].id, 1, T0), FeedbackEvent(ds[1].id, 0, T0)])
    first, cursor = store.feedback()
    assert first.user.tolist() == [s1, s1]
    assert first.post.tolist() == [posts[0].id, posts[1].id]
    assert first.channel.tolist() == [CHAN, CHAN]
    assert first.value.tolist() == [1.0, 0.0]
    assert first.time.tolist() == [int(T0.timestamp())] * 2

    store.add_feedback([FeedbackEvent(ds[2].id, 1, T0 + timedelta(seconds=5))])
    rest, cursor2 = store.feedback(after_id=cursor)
    assert cursor2 > cursor
    assert rest.user.tolist() == [s2] and rest.time.tolist() == [int(T0.timestamp()) + 5]
    none, cursor3 = store.feedback(after_id=cursor2)
    assert len(none) == 0 and cursor3 == cursor2
    assert len(store.feedback()[0]) == 3


# -- model versions ---------------------------------------------------------------------


def _version(store: Store, status: str = "candidate", **kw: object) -> int:
    args = {"plugin": "baseline", "kind": "full", "params": {"k": 1}, "metrics": {"auc": 0.5},
            "n_feedback": 10, "status": status, "at": T0}
    return store.add_model_version(**{**args, **kw}).id  # type: ignore[arg-type]


def test_champion_switch_retires_the_old_one(store: Store) -> None:
    assert store.champion() is None
    v1, v2 = _version(store), _version(store)
    store.set_model_status(v1, "champion")
    assert store.champion().id == v1  # type: ignore[union-attr]
    store.set_model_status(v2, "champion")
    assert store.champion().id == v2  # type: ignore[union-attr]
    statuses = {v.id: v.status for v in store.model_versions()}
    assert statuses == {v1: "retired", v2: "champion"}
    v3 = _version(store, status="champion")
    assert {v.id: v.status for v in store.model_versions()} == {
        v1: "retired", v2: "retired", v3: "champion"
    }
    with pytest.raises(KeyError):
        store.set_model_status(9999, "rejected")
    with pytest.raises(ValueError):
        store.set_model_status(v1, "crowned")


def test_model_versions_newest_first(store: Store) -> None:
    ids = [_version(store, params={"i": i, "nested": [1, 2]}, metrics={"ndcg": i / 10})
           for i in range(5)]
    versions = store.model_versions(limit=3)
    assert [v.id for v in versions] == ids[::-1][:3]
    assert versions[0] == ModelVersion(
        id=ids[4], plugin="baseline", kind=ModelKind.FULL, status=ModelStatus.CANDIDATE,
        n_feedback=10, created_at=T0, params={"i": 4, "nested": [1, 2]}, metrics={"ndcg": 0.4},
        lineage="baseline",  # a version names its line; by default its plugin
    )
    with pytest.raises(ValueError):
        _version(store, kind="partial")


# -- engine state -----------------------------------------------------------------------


def test_state_upsert(store: Store) -> None:
    assert store.get_state("clock") is None
    assert store.get_state("clock", 5) == 5
    store.set_state("clock", {"now": "2024-03-01T12:00:00+00:00", "speed": 60})
    store.set_state("cursor", 3)
    store.set_state("clock", {"now": "later"})
    assert store.get_state("clock") == {"now": "later"}
    assert store.get_state("cursor") == 3
    store.set_state("cursor", [1, "two", None])
    assert store.get_state("cursor") == [1, "two", None]


# -- listener accounts ------------------------------------------------------------------


# -- reporting --------------------------------------------------------------------------


def test_daily_stats(store: Store) -> None:
    posts, (s1, s2) = seed(store)
    day1 = datetime(2024, 3, 1, 23, 30, tzinfo=UTC)
    day2 = datetime(2024, 3, 2, 1, 30, tzinfo=MSK)  # 2024-03-01 22:30 UTC: still day 1
    day3 = datetime(2024, 3, 2, 0, 10, tzinfo=UTC)
    d = deliver(store, [(s1, posts[0].id), (s2, posts[0].id)], day1)
    d += deliver(store, [(s1, posts[1].id)], day2)
    d += deliver(store, [(s1, posts[2].id), (s2, posts[1].id)], day3)
    store.add_feedback([
        FeedbackEvent(d[0].id, 1, day1), FeedbackEvent(d[1].id, 0, day1),
        FeedbackEvent(d[2].id, 1, day3), FeedbackEvent(d[3].id, 1, day3),
    ])
    assert store.daily_stats() == [
        {"day": date(2024, 3, 1), "deliveries": 3, "likes": 2, "dislikes": 1},
        {"day": date(2024, 3, 2), "deliveries": 2, "likes": 1, "dislikes": 0},
    ]


def test_daily_stats_empty(store: Store) -> None:
    assert store.daily_stats() == []
    assert store.delivery_counts() == {} and store.rating_counts() == {}


def test_posts_by_id(store: Store) -> None:
    posts, _ = seed(store, n_posts=3)
    store.mark_posts_deleted([posts[0].key])
    found = {p.id: p for p in store.posts_by_id([posts[0].id, posts[2].id, 999_999])}
    assert set(found) == {posts[0].id, posts[2].id}
    assert found[posts[2].id].message_id == posts[2].message_id
    assert store.posts_by_id([]) == []


def test_feedback_carries_each_posts_category_code(store: Store) -> None:
    from oleg.types import NO_CATEGORY, category_code

    posts = store.add_posts([post(1, category="Science"), post(2)])
    sub = store.upsert_subscriber("c1", active=True, at=T0).id
    ds = deliver(store, [(sub, posts[0].id), (sub, posts[1].id)])  # type: ignore[list-item]
    store.add_feedback([FeedbackEvent(d.id, 1, T0) for d in ds])  # type: ignore[arg-type]
    inter, _ = store.feedback()
    assert inter.category.tolist() == [category_code("science"), NO_CATEGORY]
    assert inter.take([1]).category.tolist() == [NO_CATEGORY]
    assert inter.concat(inter).category.tolist() == inter.category.tolist() * 2
