"""The TDLib plugins' own tables (the joiner's queue, accounts, a sink's message references)
and the core's channel info, on SQLite and on a real PostgreSQL (the ``store_url`` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from oleg.errors import DataError
from oleg.store import Store
from oleg.types import Delivery, FeedbackEvent, Policy, PolicyKind, Post
from oleg_tdlib.listening import ListeningStore, MessageRef, normalise_username
from oleg_tdlib.tables import SCHEMA

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
CHAN = -1001465826763
CHAN2 = -1001000000002
BIG_MESSAGE_ID = 3_000_000 << 20  # TDLib's id of a channel's 3 millionth post: beyond 32 bits


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url, schemas=[SCHEMA])
    yield s
    s.close()


@pytest.fixture
def tables(store: Store) -> ListeningStore:
    return ListeningStore(store.database)


@pytest.mark.parametrize(
    ("raw", "name"),
    [("@Durov", "durov"), ("https://t.me/rian_ru/", "rian_ru"), ("t.me/Meduza", "meduza"), (" tass_agency ", "tass_agency")],
)
def test_usernames_are_normalised(raw: str, name: str) -> None:
    assert normalise_username(raw) == name


@pytest.mark.parametrize("raw", ["@ab", "1channel", "bad-name", "", "@" + "x" * 33])
def test_malformed_usernames_are_refused_by_name(raw: str) -> None:
    with pytest.raises(DataError, match="not a channel username"):
        normalise_username(raw)


def test_queue_keeps_each_username_once_and_reports_the_new_ones(tables: ListeningStore) -> None:
    assert tables.queue_channels(["@durov", "meduza", "@Durov"], T0) == ["durov", "meduza"]
    assert tables.queue_channels(["durov", "rian_ru"], T0 + timedelta(minutes=1)) == ["rian_ru"]
    queued = tables.channel_requests("queued")
    assert [r["username"] for r in queued] == ["durov", "meduza", "rian_ru"]
    assert all(r["attempts"] == 0 and r["account"] is None for r in queued)


def test_a_bad_name_queues_nothing(tables: ListeningStore) -> None:
    with pytest.raises(DataError):
        tables.queue_channels(["durov", "no"], T0)
    assert tables.channel_requests() == []


def test_request_progress_is_recorded(tables: ListeningStore) -> None:
    tables.queue_channels(["durov", "meduza"], T0)
    account = tables.add_account("+15550100")
    later = T0 + timedelta(minutes=5)
    tables.update_channel_request("durov", status="queued", at=T0, error="429", next_attempt_at=later, attempt=True)
    tables.update_channel_request("@Meduza", status="joined", at=later, channel_id=CHAN, account_id=account, attempt=True)
    rows = {r["username"]: r for r in tables.channel_requests()}
    assert rows["durov"]["attempts"] == 1 and rows["durov"]["next_attempt_at"] == later
    assert rows["durov"]["error"] == "429"
    assert (rows["meduza"]["status"], rows["meduza"]["account"], rows["meduza"]["channel_id"]) == ("joined", "+15550100", CHAN)
    assert [r["username"] for r in tables.channel_requests("joined")] == ["meduza"]
    with pytest.raises(ValueError, match="status"):
        tables.update_channel_request("durov", status="lost", at=T0)


def test_joined_counts_per_account(tables: ListeningStore) -> None:
    a = tables.add_account("+15550100")
    b = tables.add_account("+15550101")
    tables.assign_channel(CHAN, a, "joined", T0)
    tables.assign_channel(CHAN - 1, a, "joined", T0)
    tables.assign_channel(CHAN - 2, b, "failed", T0)
    assert tables.joined_counts() == {"+15550100": 2}


def test_channel_info_is_upserted_column_by_column(store: Store) -> None:
    store.set_channel_info(CHAN, at=T0, username="durov", title="Durov")
    store.set_channel_info(CHAN, at=T0, protected=True)
    assert store.channel_info([CHAN, 42]) == {CHAN: {"username": "durov", "title": "Durov", "protected": True}}


def test_tdlib_message_ids_fit_and_edits_are_kept(store: Store) -> None:
    [stored] = store.add_posts([Post(CHAN, BIG_MESSAGE_ID, T0, text="old")])
    assert store.last_message_ids() == {CHAN: BIG_MESSAGE_ID}
    assert store.update_post_text(CHAN, BIG_MESSAGE_ID, "new") is True
    assert store.update_post_text(CHAN, BIG_MESSAGE_ID + 1, "x") is False
    assert store.posts_by_id([stored.id])[0].text == "new"  # type: ignore[list-item]


def test_message_refs_and_albums(tables: ListeningStore) -> None:
    tables.set_message_ref("telegram-bot", CHAN, 1 << 20, chat_id=777, ref_message_id=10 << 20, album_id="55")
    tables.set_message_ref("telegram-bot", CHAN, 2 << 20, chat_id=777, ref_message_id=11 << 20, album_id="55")
    tables.set_message_ref("telegram-bot", CHAN, 3 << 20, chat_id=777, ref_message_id=12 << 20)
    assert tables.message_ref("telegram-bot", CHAN, 1 << 20) == MessageRef(777, 10 << 20, "55")
    assert tables.message_ref("other-sink", CHAN, 1 << 20) is None
    assert tables.album_refs("telegram-bot", 777, "55") == [10 << 20, 11 << 20]
    tables.set_message_ref("telegram-bot", CHAN, 3 << 20, chat_id=777, ref_message_id=13 << 20)
    assert tables.message_ref("telegram-bot", CHAN, 3 << 20) == MessageRef(777, 13 << 20)


def test_deliveries_subscribers_and_feedback_rows_by_id(store: Store) -> None:
    [p] = store.add_posts([Post(CHAN, 1 << 20, T0)])
    sub = store.upsert_subscriber("4242", active=True, at=T0)
    [d] = store.add_deliveries([Delivery(sub.id, p.id, T0, Policy(PolicyKind.RECOMMENDER, "test"))])  # type: ignore[arg-type]
    assert store.delivery(d.id) == d  # type: ignore[arg-type]
    assert store.delivery(10_000) is None
    assert store.subscriber_by_external("4242") == sub
    assert store.subscriber_by_external("1") is None
    assert store.last_feedback_id() == 0
    [f] = store.add_feedback([FeedbackEvent(d.id, 1, T0)])  # type: ignore[arg-type]
    assert store.feedback_rows(after_id=0) == [f]
    assert store.feedback_rows(after_id=f.id) == []
    assert store.last_feedback_id() == f.id


def test_accounts_and_assignments(store: Store, tables: ListeningStore) -> None:
    a = tables.add_account("+100", max_channels=2)
    b = tables.add_account("+200")
    assert a != b and tables.add_account("+100") == a
    store.add_posts([Post(CHAN, 1, T0, channel_title="Known")])
    tables.assign_channel(CHAN, a, "queued", T0)
    tables.assign_channel(CHAN2, a, "queued", T0)  # no channel row yet: created
    tables.assign_channel(CHAN, b, "joined", T0 + timedelta(minutes=1))
    assert tables.assignments() == [
        {"channel_id": CHAN, "username": None, "title": "Known", "account": "+200",
         "status": "joined", "updated_at": T0 + timedelta(minutes=1)},
        {"channel_id": CHAN2, "username": None, "title": None, "account": "+100",
         "status": "queued", "updated_at": T0},
    ]
    with pytest.raises(ValueError):
        tables.assign_channel(CHAN, a, "sleeping", T0)
