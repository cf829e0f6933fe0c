"""Joining queued channels: slowly, backing off on 429, spreading over accounts."""

from __future__ import annotations

import logging
from datetime import timedelta

from _tdlib_testing import PHONES, T0


def status(store):  # type: ignore[no-untyped-def]
    return {r["username"]: r for r in store.channel_requests()}


def test_one_join_per_account_per_interval(tg, store, make_source) -> None:
    for name in ("alpha_news", "beta_news", "gamma_news"):
        tg.add_channel(name)
    source = make_source(join_every="3m")
    store.queue_channels(["alpha_news", "beta_news", "gamma_news"], T0)

    source.poll(T0)
    assert [r["username"] for r in store.channel_requests("joined")] == ["alpha_news"]
    source.poll(T0 + timedelta(minutes=1))
    source.poll(T0 + timedelta(minutes=2, seconds=59))
    assert len(store.channel_requests("joined")) == 1  # too soon for another
    source.poll(T0 + timedelta(minutes=3))
    assert len(store.channel_requests("joined")) == 2
    source.poll(T0 + timedelta(minutes=6))
    joined = store.channel_requests("joined")
    assert len(joined) == 3 and {r["account"] for r in joined} == {PHONES[0]}
    assert tg.stats["joins"] == 3
    assignments = store.assignments()
    assert {a["username"] for a in assignments} == {"alpha_news", "beta_news", "gamma_news"}
    assert {a["status"] for a in assignments} == {"joined"}
    assert tg.joined_channels(tg.users[PHONES[0]]) >= {a["channel_id"] for a in assignments}


def test_two_accounts_join_in_parallel(tg, store, make_source) -> None:
    for name in ("first_one", "second_one"):
        tg.add_channel(name)
    source = make_source(accounts=PHONES)
    store.queue_channels(["first_one", "second_one"], T0)
    source.poll(T0)
    joined = {r["username"]: r["account"] for r in store.channel_requests("joined")}
    assert joined == {"first_one": PHONES[0], "second_one": PHONES[1]}


def test_flood_wait_backs_off_the_channel_and_the_account(tg, store, make_source) -> None:
    tg.add_channel("floody")
    source = make_source(join_every="3m")
    store.queue_channels(["floody"], T0)
    tg.flood("joinChat", 600)

    source.poll(T0)
    request = status(store)["floody"]
    assert request["status"] == "queued" and request["attempts"] == 1
    assert request["next_attempt_at"] == T0 + timedelta(seconds=600)
    joins = tg.stats["joins"]
    source.poll(T0 + timedelta(minutes=3))
    source.poll(T0 + timedelta(minutes=9))
    assert status(store)["floody"]["status"] == "queued" and tg.stats["joins"] == joins  # nothing tried
    source.poll(T0 + timedelta(seconds=600))
    assert status(store)["floody"]["status"] == "joined"


def test_channels_too_much_moves_to_the_next_account(tg, store, make_source) -> None:
    tg.add_channel("overflow")
    source = make_source(accounts=PHONES)
    tg.fail("joinChat", 400, "CHANNELS_TOO_MUCH", account=tg.users[PHONES[0]])
    store.queue_channels(["overflow"], T0)

    source.poll(T0)

    request = status(store)["overflow"]
    assert request["status"] == "joined" and request["account"] == PHONES[1]
    assert source.accounts[PHONES[0]].full


def test_account_at_its_maximum_leaves_channels_to_the_next(tg, store, make_source) -> None:
    for name in ("one_chan", "two_chan", "three_chan"):
        tg.add_channel(name)
    source = make_source(accounts=PHONES, max_channels_per_account=1)
    store.queue_channels(["one_chan", "two_chan"], T0)
    source.poll(T0)
    source.poll(T0 + timedelta(minutes=3))
    joined = {r["username"]: r["account"] for r in store.channel_requests("joined")}
    assert joined == {"one_chan": PHONES[0], "two_chan": PHONES[1]}
    assert store.joined_counts() == {PHONES[0]: 1, PHONES[1]: 1}


def test_all_accounts_full_keeps_the_channel_queued_and_warns_once(tg, store, make_source, caplog) -> None:
    for name in ("kept_one", "left_over"):
        tg.add_channel(name)
    source = make_source(max_channels_per_account=1)
    store.queue_channels(["kept_one", "left_over"], T0)
    with caplog.at_level(logging.WARNING, logger="oleg_source_tdlib"):
        for minutes in (0, 3, 6, 9):
            source.poll(T0 + timedelta(minutes=minutes))
    assert status(store)["left_over"]["status"] == "queued"
    assert status(store)["left_over"]["attempts"] == 0
    assert tg.stats["joins"] == 1
    warnings = [r for r in caplog.records if "full" in r.getMessage()]
    assert len(warnings) == 1


def test_unknown_username_fails_with_the_error(tg, store, make_source) -> None:
    source = make_source()
    store.queue_channels(["nobody_here"], T0)
    source.poll(T0)
    request = status(store)["nobody_here"]
    assert request["status"] == "failed" and "USERNAME_NOT_OCCUPIED" in request["error"]


def test_a_bot_or_user_is_not_joined(tg, store, make_source) -> None:
    source = make_source()
    store.queue_channels(["oleg_feed_bot"], T0)
    source.poll(T0)
    request = status(store)["oleg_feed_bot"]
    assert request["status"] == "failed" and "not a channel" in request["error"]


def test_assignments_survive_a_restart(tg, store, make_source) -> None:
    chat = tg.add_channel("persisted")
    source = make_source()
    store.queue_channels(["persisted"], T0)
    source.poll(T0)
    source.close()
    again = make_source()
    assert chat in again.accounts[PHONES[0]].chats
