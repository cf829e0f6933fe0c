"""The simulated sink: join schedule, deliveries, delayed reactions, common random numbers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from _sim_testing import FeedbackLog, fake_runtime
from oleg.types import FeedbackEvent, Outgoing, Post, SubscriptionEvent
from oleg_sink_simulated.sink import SimulatedSettings, SimulatedSink
from pydantic import ValidationError

T0 = datetime(2024, 11, 10, 12, 0, tzinfo=UTC)
MakePosts = Callable[..., list[Post]]
MakeOutgoing = Callable[..., Outgoing]


LOGS: dict[int, FeedbackLog] = {}


def sink(**kw: object) -> SimulatedSink:
    """A started sink whose recorded feedback :func:`reacted` reads back."""
    kw.setdefault("seed", 1)
    s = SimulatedSink(SimulatedSettings(**kw))
    log = LOGS[id(s)] = FeedbackLog()
    s.start(fake_runtime(log=log))
    return s


def reacted(s: SimulatedSink, now: datetime) -> list[FeedbackEvent]:
    """Poll at ``now``; the reactions the sink recorded (``runtime.record_feedback``) then."""
    LOGS[id(s)].take()
    s.poll(now)
    return LOGS[id(s)].take()


def subscriptions(events: list[object]) -> list[SubscriptionEvent]:
    return [e for e in events if isinstance(e, SubscriptionEvent)]


# -- settings -------------------------------------------------------------------------------


def test_settings_defaults_and_durations() -> None:
    s = SimulatedSettings()
    assert (s.subscribers, s.seed, s.initial_share, s.react_probability) == (200, None, 0.5, 0.9)
    assert s.join_within == timedelta(days=2) and s.reaction_delay == timedelta(minutes=20)
    s = SimulatedSettings.model_validate({"join_within": "6h", "reaction_delay": "90s"})
    assert s.join_within == timedelta(hours=6) and s.reaction_delay == timedelta(seconds=90)
    assert s.model_dump(mode="json")["join_within"] == "6h"
    with pytest.raises(ValidationError):
        SimulatedSettings.model_validate({"subscriber": 3})
    with pytest.raises(ValidationError):
        SimulatedSettings.model_validate({"leave_probability": 1.5})
    assert SimulatedSink.name == "simulated"


# -- joining ----------------------------------------------------------------------------------


def test_join_schedule() -> None:
    s = sink(subscribers=10, initial_share=0.5, join_within="2d")
    first = s.poll(T0)
    assert [e.external_id for e in first] == [f"sim-{i}" for i in range(5)]
    assert all(e.active and e.at == T0 for e in first)
    assert s.poll(T0) == []
    later = s.poll(T0 + timedelta(days=1))
    rest = s.poll(T0 + timedelta(days=2))
    joined = subscriptions(first + later + rest)
    assert sorted(e.external_id for e in joined) == sorted(f"sim-{i}" for i in range(10))
    arrivals = [e.at for e in later + rest]
    assert arrivals == sorted(arrivals)
    assert all(T0 < at <= T0 + timedelta(days=2) for at in arrivals)
    assert all(e.at <= T0 + timedelta(days=1) for e in later)
    assert s.poll(T0 + timedelta(days=30)) == []


def test_join_times_are_reproducible_and_spread() -> None:
    def arrivals(seed: int) -> list[datetime]:
        s = sink(subscribers=400, initial_share=0.0, seed=seed)
        s.poll(T0)
        return [e.at for e in s.poll(T0 + timedelta(days=3))]

    a = arrivals(3)
    assert a == arrivals(3) != arrivals(4)
    hours = np.array([(t - T0).total_seconds() / 3600 for t in a])
    assert len(hours) == 400
    # uniform over 48 h: each quarter of the span gets about a quarter of the arrivals
    counts = np.histogram(hours, bins=4, range=(0, 48))[0]
    assert (counts > 70).all()


def test_everyone_at_once_with_initial_share_one() -> None:
    s = sink(subscribers=7, initial_share=1.0)
    assert len(s.poll(T0)) == 7


# -- deliveries and reactions ------------------------------------------------------------------


def test_deliver_returns_ok_per_item_and_records_true_probability(
    posts: list[Post], outgoing: MakeOutgoing
) -> None:
    s = sink(subscribers=5)
    s.poll(T0)
    batch = [outgoing(100 + i, i % 5, post) for i, post in enumerate(posts[:10])]
    results = s.deliver(batch)
    assert sorted(r.delivery_id for r in results) == list(range(100, 110))
    assert all(r.ok and not r.subscriber_gone for r in results)
    expected = dict(s.expected)
    for item in batch:
        index = int(item.subscriber.external_id.removeprefix("sim-"))
        truth = s.world.like_probability([index], [item.post])[0, 0]
        assert expected[item.delivery.id] == pytest.approx(truth)
    assert s.expected_like_rate() == pytest.approx(np.mean(list(expected.values())))


def test_reactions_are_delayed_and_come_in_time_order(
    make_posts: MakePosts, outgoing: MakeOutgoing
) -> None:
    s = sink(subscribers=50, reaction_delay="20m")
    s.poll(T0)
    posts = make_posts(200)
    batch = [outgoing(i + 1, i % 50, post) for i, post in enumerate(posts)]
    s.deliver(batch)
    assert reacted(s, T0) == []
    got: list[FeedbackEvent] = []
    now = T0
    for _ in range(12 * 24):  # every 5 minutes for a day
        now += timedelta(minutes=5)
        step = reacted(s, now)
        assert all(e.at <= now for e in step)
        assert all(e.at > now - timedelta(minutes=5) for e in step)
        got += step
    times = [e.at for e in got]
    assert times == sorted(times)
    assert len({e.delivery_id for e in got}) == len(got)
    assert 0.8 * 200 < len(got) < 0.97 * 200  # react_probability 0.9
    mean_delay = np.mean([(e.at - T0).total_seconds() for e in got]) / 60
    assert 14 < mean_delay < 26
    assert {e.value for e in got} <= {0, 1}


def test_likes_follow_the_true_probability(make_posts: MakePosts, outgoing: MakeOutgoing) -> None:
    s = sink(subscribers=100, react_probability=1.0)
    s.poll(T0)
    posts = make_posts(3000, channels=20)
    s.deliver([outgoing(i + 1, i % 100, post) for i, post in enumerate(posts)])
    events = reacted(s, T0 + timedelta(days=2))
    assert len(events) == 3000
    p = dict(s.expected)
    likes = np.array([e.value for e in events], dtype=float)
    truth = np.array([p[e.delivery_id] for e in events])
    assert abs(likes.mean() - truth.mean()) < 0.03
    # and likes go where P(like) is high
    assert likes[truth > 0.5].mean() > likes[truth < 0.2].mean() + 0.3


def test_a_retried_delivery_reacts_once(posts: list[Post], outgoing: MakeOutgoing) -> None:
    s = sink(subscribers=3, react_probability=1.0)
    item = outgoing(9, 1, posts[0])
    assert s.deliver([item])[0].ok and s.deliver([item])[0].ok
    assert len(s.expected) == 1
    assert len(reacted(s, T0 + timedelta(days=1))) == 1


def test_naive_sent_at_is_utc(posts: list[Post], outgoing: MakeOutgoing) -> None:
    s = sink(subscribers=3, react_probability=1.0)
    s.deliver([outgoing(1, 0, posts[0], sent_at=T0.replace(tzinfo=None))])
    (event,) = reacted(s, T0 + timedelta(days=1))
    assert event.at.tzinfo is not None and event.at > T0


def test_unknown_subscriber_is_gone(posts: list[Post], outgoing: MakeOutgoing) -> None:
    s = sink(subscribers=3)
    item = outgoing(1, 3, posts[0])  # sim-3 does not exist with 3 subscribers
    (result,) = s.deliver([item])
    assert not result.ok and result.subscriber_gone and result.error


# -- common random numbers ----------------------------------------------------------------------


def test_same_post_same_subscriber_same_reaction_whatever_else_happens(
    make_posts: MakePosts, outgoing: MakeOutgoing
) -> None:
    posts = make_posts(300, channels=12)
    a, b = sink(subscribers=20, seed=5), sink(subscribers=20, seed=5)
    # run A shows every post to subscriber (i % 20); run B shows a different selection, in a
    # different order, under different delivery ids, at a later time
    a_items = [outgoing(i + 1, i % 20, p) for i, p in enumerate(posts)]
    shared = [i for i in range(300) if i % 3 == 0]
    b_items = [
        outgoing(10_000 + i, i % 20, posts[i], sent_at=T0 + timedelta(hours=5))
        for i in shared[::-1]
    ]
    b_items += [outgoing(20_000 + i, (i + 7) % 20, posts[i]) for i in range(1, 300, 3)]
    a.deliver(a_items)
    b.deliver(b_items[:40])
    b.deliver(b_items[40:])
    fa = {e.delivery_id: e for e in reacted(a, T0 + timedelta(days=3))}
    fb = {e.delivery_id: e for e in reacted(b, T0 + timedelta(days=3))}
    compared = 0
    for i in shared:
        ea, eb = fa.get(i + 1), fb.get(10_000 + i)
        assert (ea is None) == (eb is None)  # reacts or not: the same
        if ea is not None and eb is not None:
            assert ea.value == eb.value
            assert eb.at - timedelta(hours=5) == ea.at  # the same delay
            compared += 1
    assert compared > 60


def test_seed_none_takes_the_deployment_seed(
    posts: list[Post], make_runtime: Callable[..., object]
) -> None:
    a = SimulatedSink(SimulatedSettings(subscribers=4), seed=42)
    a.start(make_runtime(seed=42))
    b = sink(subscribers=4, seed=42)
    c = SimulatedSink(SimulatedSettings(subscribers=4), seed=43)
    c.start(make_runtime(seed=43))
    users = np.arange(4)
    np.testing.assert_array_equal(
        a.world.like_probability(users, posts), b.world.like_probability(users, posts)
    )
    assert not np.allclose(
        a.world.like_probability(users, posts), c.world.like_probability(users, posts)
    )


def test_the_explicit_seed_wins_over_the_deployment_seed(make_runtime: Callable[..., object]) -> None:
    s = SimulatedSink(SimulatedSettings(subscribers=4, seed=3), seed=42)
    s.start(make_runtime(seed=42))
    assert s.world.seed == 3


# -- leaving --------------------------------------------------------------------------------------


def test_leave_probability_one_everyone_blocks(posts: list[Post], outgoing: MakeOutgoing) -> None:
    s = sink(subscribers=4, leave_probability=1.0)
    results = s.deliver([outgoing(i + 1, i % 4, p) for i, p in enumerate(posts[:8])])
    assert all(not r.ok and r.subscriber_gone for r in results)
    assert s.expected == []
    assert reacted(s, T0 + timedelta(days=1)) == []


def test_leave_probability_some_block_and_stay_gone(
    make_posts: MakePosts, outgoing: MakeOutgoing
) -> None:
    def run() -> tuple[list[bool], set[int]]:
        s = sink(subscribers=50, leave_probability=0.05)
        posts = make_posts(400)
        results = s.deliver([outgoing(i + 1, i % 50, p) for i, p in enumerate(posts)])
        by_id = {r.delivery_id: r for r in results}
        gone_at: dict[int, int] = {}
        for i in range(400):
            if by_id[i + 1].subscriber_gone:
                gone_at.setdefault(i % 50, i)
        # after a subscriber's first block, every later delivery to them fails too
        for u, first in gone_at.items():
            assert all(by_id[i + 1].subscriber_gone for i in range(first, 400) if i % 50 == u)
        return [r.subscriber_gone for r in results], set(gone_at)

    flags, gone = run()
    assert 5 < len(gone) < 45
    assert run() == (flags, gone)  # deterministic
    assert sum(flags) > len(gone)


def test_leave_probability_zero_nobody_leaves(
    make_posts: MakePosts, outgoing: MakeOutgoing
) -> None:
    s = sink(subscribers=10)
    results = s.deliver([outgoing(i + 1, i % 10, p) for i, p in enumerate(make_posts(100))])
    assert all(r.ok for r in results)


# -- the oracle's view ---------------------------------------------------------------------------


def test_like_probability_by_external_id(posts: list[Post]) -> None:
    s = sink(subscribers=6)
    p = s.like_probability(["sim-2", "sim-5", "stranger", None, "sim-6", "sim-x"], posts)
    assert p.shape == (6, len(posts))
    np.testing.assert_array_equal(p[0], s.world.like_probability([2], posts)[0])
    np.testing.assert_array_equal(p[1], s.world.like_probability([5], posts)[0])
    average = s.average_like_probability(posts)
    for row in p[2:]:
        np.testing.assert_allclose(row, average)
    assert s.like_probability([], posts).shape == (0, len(posts))
    assert s.like_probability(["sim-1"], []).shape == (1, 0)


def test_answer_bias_leaves_disliked_posts_unanswered(make_posts: MakePosts, outgoing: MakeOutgoing) -> None:
    posts = make_posts(3000, channels=20)
    answered = {}
    for bias in (0.0, 1.0):
        s = sink(subscribers=100, react_probability=1.0, answer_bias=bias)
        s.poll(T0)
        s.deliver([outgoing(i + 1, i % 100, post) for i, post in enumerate(posts)])
        events = reacted(s, T0 + timedelta(days=2))
        p = dict(s.expected)
        answered[bias] = (events, p)
    unbiased, p = answered[0.0]
    assert len(unbiased) == 3000  # everyone answers everything
    biased, _ = answered[1.0]
    got = {e.delivery_id for e in biased}
    skipped = np.array([p[d] for d in p if d not in got])
    kept = np.array([p[e.delivery_id] for e in biased])
    expected = np.minimum(1.0, 2 * np.array(list(p.values())))
    assert abs(len(biased) - expected.sum()) < 4 * np.sqrt((expected * (1 - expected)).sum())
    assert skipped.mean() < kept.mean() - 0.1  # the unanswered ones were less liked
    # the same dice: a post answered with bias is answered without, with the same vote
    by_id = {e.delivery_id: e.value for e in unbiased}
    assert all(by_id[e.delivery_id] == e.value for e in biased)


def test_engagement_spread_makes_some_subscribers_answer_less(make_posts: MakePosts, outgoing: MakeOutgoing) -> None:
    posts = make_posts(4000, channels=20)
    shares = {}
    for spread in (0.0, 1.5):
        s = sink(subscribers=40, react_probability=0.8, engagement_spread=spread)
        s.poll(T0)
        s.deliver([outgoing(i + 1, i % 40, post) for i, post in enumerate(posts)])
        events = reacted(s, T0 + timedelta(days=2))
        answered = np.zeros(40)
        for e in events:
            answered[(e.delivery_id - 1) % 40] += 1
        shares[spread] = answered / 100  # each subscriber got 100 posts
    # without spread everyone answers ~80%; with it the shares spread out, the mean stays near
    assert shares[0.0].std() < 0.06 and abs(shares[0.0].mean() - 0.8) < 0.03
    assert shares[1.5].std() > 0.12 and shares[1.5].min() < 0.5
    assert abs(shares[1.5].mean() - 0.8) < 0.1
    # a subscriber's engagement is theirs: the same one answers least in another draw of posts
    again = sink(subscribers=40, react_probability=0.8, engagement_spread=1.5)
    assert np.array_equal(again.world.engagement(np.arange(40)), s.world.engagement(np.arange(40)))
