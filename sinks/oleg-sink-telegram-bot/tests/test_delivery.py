import time
from typing import Any

from oleg_tdlib.translate import server_id


def test_delivery_copies_the_stored_forward_with_two_buttons(world: Any) -> None:
    chan = world.channel("newsdaily")
    post = world.post(chan, "Big news today")
    uid = world.subscriber()
    (result,) = world.sink.deliver([world.outgoing(uid, post)])
    assert result.ok and result.error is None
    last = world.bot_messages(uid)[-1]
    assert world.text_of(last) == "Big news today"
    assert world.buttons(last) == ["👍", "👎"]
    assert "forward_info" not in last or last["forward_info"] is None  # a copy, not a forward


def test_album_is_copied_then_a_message_carries_the_buttons(world: Any) -> None:
    chan = world.channel("photodaily")
    post = world.post(chan, "Three photos", kind="photo", album=3)
    uid = world.subscriber()
    (result,) = world.sink.deliver([world.outgoing(uid, post)])
    assert result.ok
    sent = world.bot_messages(uid)[-4:]
    assert [m["content"]["@type"] for m in sent[:3]] == ["messagePhoto"] * 3
    assert len({m["media_album_id"] for m in sent[:3]}) == 1 and sent[0]["media_album_id"] != "0"
    assert world.text_of(sent[3]) == world.sink.settings.texts.rate_album
    assert world.buttons(sent[3]) == ["👍", "👎"]
    assert all(not world.buttons(m) for m in sent[:3])


def test_without_a_stored_copy_the_post_goes_as_a_link(world: Any) -> None:
    chan = world.channel("secretnews", protected=True)
    post = world.post(chan, "cannot forward", forward=False)
    uid = world.subscriber()
    (result,) = world.sink.deliver([world.outgoing(uid, post)])
    assert result.ok
    last = world.bot_messages(uid)[-1]
    assert f"https://t.me/secretnews/{server_id(post.message_id)}" in world.text_of(last)
    assert world.buttons(last) == ["👍", "👎"]


def test_blocked_subscriber_is_gone(world: Any) -> None:
    chan = world.channel("newsdaily")
    post = world.post(chan)
    uid, other = world.subscriber(), world.subscriber()
    world.tg.block_bot(uid, world.bot_id)
    results = {
        r.delivery_id: r
        for r in world.sink.deliver([world.outgoing(uid, post), world.outgoing(other, post)])
    }
    assert len(results) == 2
    gone = [r for r in results.values() if r.subscriber_gone]
    assert len(gone) == 1 and not gone[0].ok and "blocked" in (gone[0].error or "")
    assert sum(r.ok for r in results.values()) == 1


def test_flood_gives_retry_after_and_the_pause_is_honoured(world: Any) -> None:
    chan = world.channel("newsdaily")
    post = world.post(chan)
    subs = [world.subscriber() for _ in range(3)]
    batch = [world.outgoing(u, post) for u in subs]
    world.tg.flood("sendMessage", retry_after=1, account=world.bot_id)
    began = time.monotonic()
    results = world.sink.deliver(batch)
    elapsed = time.monotonic() - began
    assert len(results) == 3
    flooded = [r for r in results if r.retry_after is not None]
    assert len(flooded) == 1 and flooded[0].retry_after == 1 and not flooded[0].ok
    assert sum(r.ok for r in results) == 2  # the round went on after the pause
    assert elapsed >= 0.9  # the others waited the pause out
    assert world.tg.stats["rejected_429"] == 1  # only the scripted one: no 429 of our own
    # the engine sends it again: now it goes
    retry = next(o for o in batch if o.delivery.id == flooded[0].delivery_id)
    assert world.sink.deliver([retry])[0].ok


def test_unknown_chat_is_opened_once_per_session(world: Any) -> None:
    chan = world.channel("newsdaily")
    p1, p2 = world.post(chan, "one"), world.post(chan, "two")
    uid = world.subscriber()
    world.sink.mailer.known_chats.clear()  # as after a restart: this client never opened the chat

    def creates() -> list[str]:
        return [m for a, m in world.tg.requests if a == world.bot_id and m == "createPrivateChat"]

    n0 = len(creates())
    assert all(r.ok for r in world.sink.deliver([world.outgoing(uid, p1)]))
    assert all(r.ok for r in world.sink.deliver([world.outgoing(uid, p2)]))
    assert len(creates()) == n0 + 1
    texts = [world.text_of(m) for m in world.bot_messages(uid)]
    assert texts[-2:] == ["one", "two"]


def test_two_posts_for_one_subscriber_in_one_batch_are_both_sent(world: Any) -> None:
    chan = world.channel("newsdaily")
    posts = [world.post(chan, f"p{i}") for i in range(2)]
    a, b = world.subscriber(), world.subscriber()
    batch = [world.outgoing(a, posts[0]), world.outgoing(a, posts[1]), world.outgoing(b, posts[0])]
    results = world.sink.deliver(batch)
    assert sorted(r.delivery_id for r in results) == sorted(o.delivery.id for o in batch)
    assert all(r.ok for r in results)
    assert world.tg.stats["rejected_429"] == 0
    world.wait_until(lambda: len(world.bot_messages(a)) >= 3)  # welcome + two posts
