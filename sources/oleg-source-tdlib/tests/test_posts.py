"""Posts arrive, are stored as metadata, reach the bot, follow edits and deletions, and
come back after downtime."""

from __future__ import annotations

from datetime import timedelta

from _tdlib_testing import BOT, bot_published, follow, poll_until, wait_for
from oleg.types import MediaKind


def forwarded_to_bot(tg, account_user_id):  # type: ignore[no-untyped-def]
    """(origin chat, origin message) of every message the bot got from that account."""
    out = []
    for m in tg.messages_in(account_user_id, viewer=tg.bot_id):
        info = m.get("forward_info") or {}
        origin = info.get("origin") or {}
        if origin.get("@type") == "messageOriginChannel":
            out.append((int(origin["chat_id"]), int(origin["message_id"])))
    return out


def calls(tg, method):  # type: ignore[no-untyped-def]
    return sum(1 for _, m in tg.requests if m == method)


def test_post_arrives_is_stored_as_metadata_and_forwarded_with_origin(tg, store, make_source) -> None:
    chat = tg.add_channel("newsroom", "Newsroom")
    source = make_source()
    now = follow(source, store, ["newsroom"])
    (mid,) = tg.publish(chat, "Breaking: tests pass")

    posts = poll_until(source, now, lambda got: len(got) >= 1)

    assert [(p.channel_id, p.message_id) for p in posts] == [(chat, mid)]
    post = posts[0]
    assert post.media_kind == MediaKind.TEXT and post.text == "Breaking: tests pass"
    assert post.channel_title == "Newsroom"
    (stored,) = store.add_posts(posts)
    assert stored.id is not None and store.last_message_ids() == {chat: mid}
    user = tg.users["+15550100"]
    assert wait_for(lambda: forwarded_to_bot(tg, user)) == [(chat, mid)]
    assert calls(tg, "sendBotStartMessage") == 1


def test_album_is_one_post_forwarded_in_one_request(tg, store, make_source) -> None:
    chat = tg.add_channel("photos_daily")
    source = make_source()
    now = follow(source, store, ["photos_daily"])
    ids = tg.publish(chat, "three views", kind="photo", album=3)

    posts = poll_until(source, now, lambda got: len(got) >= 1)
    # nothing more comes: the three items were one post
    posts += poll_until(source, now, lambda got: False, timeout=0.5)

    assert len(posts) == 1
    post = posts[0]
    assert post.media_kind == MediaKind.ALBUM and post.message_id == min(ids) and post.album_id
    assert post.text == "three views"
    assert calls(tg, "forwardMessages") == 1
    user = tg.users["+15550100"]
    assert sorted(wait_for(lambda: len(forwarded_to_bot(tg, user)) == 3 and forwarded_to_bot(tg, user))) == [
        (chat, i) for i in sorted(ids)
    ]


def test_album_waits_until_quiet(tg, store, make_source) -> None:
    chat = tg.add_channel("slowalbum")
    source = make_source(album_wait="1.5s")
    now = follow(source, store, ["slowalbum"])
    tg.publish(chat, "pics", kind="photo", album=2)
    early = poll_until(source, now, lambda got: False, timeout=0.6)
    assert early == []  # still gathering
    later = poll_until(source, now, lambda got: len(got) >= 1, timeout=5)
    assert len(later) == 1 and later[0].media_kind == MediaKind.ALBUM


def test_protected_channel_is_not_forwarded(tg, store, make_source) -> None:
    chat = tg.add_channel("closedclub", protected=True)
    open_chat = tg.add_channel("opennews")
    source = make_source()
    now = follow(source, store, ["closedclub", "opennews"])
    (secret,) = tg.publish(chat, "no copies")
    (public,) = tg.publish(open_chat, "copy me")

    posts = poll_until(source, now, lambda got: len(got) >= 2)

    assert {p.message_id for p in posts} == {secret, public}
    assert store.channel_info([chat])[chat]["protected"] is True
    user = tg.users["+15550100"]
    assert wait_for(lambda: forwarded_to_bot(tg, user)) == [(open_chat, public)]


def test_bot_username_from_the_sink_and_started_once(tg, store, make_source) -> None:
    chat = tg.add_channel("sinkside")
    shared = bot_published()  # the telegram-bot sink starts first and publishes its name
    source = make_source(bot_username=None, shared=shared)
    assert source.bot_username() == BOT
    now = follow(source, store, ["sinkside"])
    (mid,) = tg.publish(chat, "first")
    assert len(poll_until(source, now, lambda got: len(got) >= 1)) == 1
    user = tg.users["+15550100"]
    assert wait_for(lambda: forwarded_to_bot(tg, user)) == [(chat, mid)]
    source.close()
    again = make_source(bot_username=None, shared=shared)
    (mid2,) = tg.publish(chat, "second")
    poll_until(again, now, lambda got: any(p.message_id == mid2 for p in got))
    assert wait_for(lambda: (chat, mid2) in forwarded_to_bot(tg, user))
    assert calls(tg, "sendBotStartMessage") == 1  # remembered in the store


def test_forward_flood_keeps_the_post_queued(tg, store, make_source) -> None:
    chat = tg.add_channel("floodnews")
    source = make_source()
    now = follow(source, store, ["floodnews"])
    source.poll(now)  # the bot is resolved and started
    tg.flood("forwardMessages", 40)
    (mid,) = tg.publish(chat, "later")

    posts = poll_until(source, now, lambda got: len(got) >= 1)

    assert [p.message_id for p in posts] == [mid]  # returned (and stored) anyway
    assert len(source.forwarder.queue) == 1
    source.poll(now + timedelta(seconds=10))
    assert len(source.forwarder.queue) == 1  # the account waits out the 40 s
    source.poll(now + timedelta(seconds=41))
    user = tg.users["+15550100"]
    assert wait_for(lambda: forwarded_to_bot(tg, user)) == [(chat, mid)]
    assert len(source.forwarder.queue) == 0


def test_edit_and_delete(tg, store, make_source) -> None:
    chat = tg.add_channel("editorial")
    source = make_source()
    now = follow(source, store, ["editorial"])
    first, second = tg.publish(chat, "typo"), tg.publish(chat, "gone soon")
    posts = poll_until(source, now, lambda got: len(got) >= 2)
    stored = store.add_posts(posts)
    assert len(stored) == 2

    tg.edit(chat, first[0], "fixed")
    by_id = {p.message_id: p.id for p in stored}

    def text_of_first():  # type: ignore[no-untyped-def]
        (p,) = store.posts_by_id([by_id[first[0]]])
        return p.text == "fixed"

    assert wait_for(text_of_first)

    tg.delete(chat, second)
    deleted = wait_for(lambda: list(source.deleted(now)))
    assert deleted == [(chat, second[0])]
    assert store.mark_posts_deleted(deleted) == 1
    assert list(source.deleted(now)) == []  # handed over once


def test_missed_posts_come_back_after_downtime(tg, store, make_source) -> None:
    chat = tg.add_channel("whileaway")
    source = make_source()
    now = follow(source, store, ["whileaway"])
    (seen,) = tg.publish(chat, "seen live")
    store.add_posts(poll_until(source, now, lambda got: len(got) >= 1))
    source.close()

    missed = [tg.publish(chat, f"missed {i}")[0] for i in range(3)]
    album = tg.publish(chat, "missed album", kind="photo", album=2)

    again = make_source()
    posts = poll_until(again, now + timedelta(hours=1), lambda got: len(got) >= 4)
    posts += poll_until(again, now + timedelta(hours=1), lambda got: False, timeout=0.5)

    assert [p.message_id for p in posts] == [*missed, min(album)]
    assert posts[-1].media_kind == MediaKind.ALBUM
    assert seen not in {p.message_id for p in posts}
    store.add_posts(posts)
    assert store.last_message_ids()[chat] == min(album)


def test_recycle_reopens_the_client_and_keeps_listening(tg, store, make_source) -> None:
    chat = tg.add_channel("longrun")
    source = make_source(recycle_every="6h")
    now = follow(source, store, ["longrun"])
    client = source.accounts["+15550100"].client
    opened = client.opened_at
    source.poll(now + timedelta(hours=1))
    assert client.opened_at == opened
    source.poll(now + timedelta(hours=7))
    assert client.opened_at > opened and client.is_open
    (mid,) = tg.publish(chat, "after the reopen")
    posts = poll_until(source, now + timedelta(hours=7), lambda got: len(got) >= 1)
    assert [p.message_id for p in posts] == [mid]


def test_posts_of_channels_not_assigned_are_ignored(tg, store, make_source) -> None:
    chat = tg.add_channel("followed")
    other = tg.add_channel("elsewhere")
    source = make_source()
    now = follow(source, store, ["followed"])
    # the account is also in a channel oleg did not ask for
    client = source.accounts["+15550100"].client
    client.request("searchPublicChat", {"username": "elsewhere"})
    client.request("joinChat", {"chat_id": other})
    tg.publish(other, "not ours")
    (mid,) = tg.publish(chat, "ours")
    posts = poll_until(source, now, lambda got: len(got) >= 1)
    posts += poll_until(source, now, lambda got: False, timeout=0.4)
    assert [(p.channel_id, p.message_id) for p in posts] == [(chat, mid)]


def test_catch_up_does_not_split_a_stored_album(tg, store, make_source) -> None:
    chat = tg.add_channel("albumfirst")
    source = make_source()
    now = follow(source, store, ["albumfirst"])
    album = tg.publish(chat, "seen album", kind="photo", album=3)
    store.add_posts(poll_until(source, now, lambda got: len(got) >= 1))
    assert store.last_message_ids()[chat] == min(album)  # the post is the album's first item
    source.close()

    (missed,) = tg.publish(chat, "missed")
    again = make_source()
    posts = poll_until(again, now, lambda got: len(got) >= 1)
    posts += poll_until(again, now, lambda got: False, timeout=0.5)
    assert [p.message_id for p in posts] == [missed]
