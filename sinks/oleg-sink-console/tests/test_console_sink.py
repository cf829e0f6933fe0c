"""The console sink prints one line per delivery and subscribes its ids once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from oleg.types import Delivery, Outgoing, Post, Subscriber, SubscriptionEvent
from oleg_sink_console.sink import ConsoleSettings, ConsoleSink, post_link

T0 = datetime(2024, 11, 10, 12, 30, tzinfo=UTC)


def item(
    delivery_id: int, post: Post, *, score: float | None = 0.734, who: str = "console"
) -> Outgoing:
    return Outgoing(
        delivery=Delivery(
            subscriber_id=1,
            post_id=post.id or 0,
            sent_at=T0,
            policy="recommender:popular",
            score=score,
            id=delivery_id,
        ),
        post=post,
        subscriber=Subscriber(id=1, external_id=who),
    )


def test_prints_one_line_per_delivery(capsys: pytest.CaptureFixture[str]) -> None:
    sink = ConsoleSink()
    titled = Post(-1001117628569, 52345, T0, channel_title="Mash", id=1)
    bare = Post(-1001000724666, 7, T0, id=2)
    results = sink.deliver([item(10, titled), item(11, bare, score=None, who="alice")])
    assert [(r.delivery_id, r.ok) for r in results] == [(10, True), (11, True)]
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "2024-11-10 12:30  console  Mash (-1001117628569)  #52345  recommender:popular  "
        "score=0.734  https://t.me/c/1117628569/52345",
        "2024-11-10 12:30  alice  -1001000724666  #7  recommender:popular  "
        "score=-  https://t.me/c/1000724666/7",
    ]


def test_subscribes_its_ids_at_the_first_poll_only() -> None:
    sink = ConsoleSink(ConsoleSettings(subscribers=["a", "b"]))
    assert sink.poll(T0) == [
        SubscriptionEvent("a", active=True, at=T0),
        SubscriptionEvent("b", active=True, at=T0),
    ]
    assert sink.poll(T0) == []
    assert [e.external_id for e in ConsoleSink().poll(T0)] == ["console"]


def test_links() -> None:
    assert post_link(-1001117628569, 5) == "https://t.me/c/1117628569/5"
    assert post_link(-42, 5) == "https://t.me/c/42/5"
    assert post_link(1117628569, 5) == "https://t.me/c/1117628569/5"


def test_identity() -> None:
    assert ConsoleSink.name == "console"
