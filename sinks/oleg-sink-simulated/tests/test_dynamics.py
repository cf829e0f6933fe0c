"""Dynamics of the simulated subscribers: each changes behaviour when on; off, nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
from _sim_testing import FeedbackLog, fake_runtime
from oleg.types import MoreRequest, Outgoing, Post
from oleg_sink_simulated.sink import SimulatedSettings, SimulatedSink

T0 = datetime(2024, 11, 10, 12, 0, tzinfo=UTC)
MakePosts = Callable[..., list[Post]]
MakeOutgoing = Callable[..., Outgoing]


def started(**dynamics: object) -> SimulatedSink:
    s = SimulatedSink(SimulatedSettings(subscribers=20, seed=3, initial_share=1.0, dynamics=dynamics))
    s.start(fake_runtime(log=FeedbackLog()))
    s.poll(T0)
    return s


def probabilities(s: SimulatedSink, batch: list[Outgoing]) -> np.ndarray:
    s.deliver(batch)
    got = dict(s.expected)
    return np.array([got[o.delivery.id] for o in batch])


def _same_category_batch(make_posts: MakePosts, outgoing: MakeOutgoing, *, hours: int = 0, days: int = 0) -> list[Outgoing]:
    posts = [Post(p.channel_id, p.message_id, p.date, category="science") for p in make_posts(8)]
    at = T0 + timedelta(hours=hours, days=days)
    return [outgoing(i + 1, 0, post, at + timedelta(minutes=i)) for i, post in enumerate(posts)]


def test_off_changes_nothing(make_posts: MakePosts, outgoing: MakeOutgoing) -> None:
    batch = _same_category_batch(make_posts, outgoing)
    plain = SimulatedSink(SimulatedSettings(subscribers=20, seed=3, initial_share=1.0))
    plain.start(fake_runtime(log=FeedbackLog()))
    plain.poll(T0)
    np.testing.assert_array_equal(probabilities(plain, batch), probabilities(started(), batch))


def test_fatigue_after_several_of_one_category(make_posts: MakePosts, outgoing: MakeOutgoing) -> None:
    batch = _same_category_batch(make_posts, outgoing)
    base = probabilities(started(), batch)
    tired = probabilities(started(fatigue_after=3, fatigue_penalty=2.0), batch)
    np.testing.assert_allclose(tired[:3], base[:3])
    assert (tired[3:] < base[3:] * 0.5).all()


def test_time_of_day_and_drift_change_the_odds(make_posts: MakePosts, outgoing: MakeOutgoing) -> None:
    morning = _same_category_batch(make_posts, outgoing)
    evening = _same_category_batch(make_posts, outgoing, hours=12)
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    gap = logit(probabilities(started(daytime_preference=1.5), morning)) - logit(
        probabilities(started(daytime_preference=1.5), evening)
    )
    still = logit(probabilities(started(), morning)) - logit(probabilities(started(), evening))
    np.testing.assert_allclose(still, 0, atol=1e-9)
    assert (np.abs(gap) > 0.3).all() and np.allclose(gap, gap[0], atol=0.2)
    drifting, still = started(drift_per_week=2.0), started()
    posts = [Post(p.channel_id, p.message_id, p.date, category="it") for p in make_posts(2)]
    weeks_later = T0 + timedelta(days=21)
    first = [outgoing(1, 0, posts[0], T0)]
    later = [outgoing(2, 0, posts[1], weeks_later)]
    np.testing.assert_allclose(probabilities(drifting, first), probabilities(still, first))
    drift = np.log(probabilities(drifting, later) / probabilities(still, later))
    assert abs(drift[0]) > 0.3


def test_the_most_engaged_send_more(make_posts: MakePosts, outgoing: MakeOutgoing) -> None:
    s = started(more_share=0.25, more_every="1h")
    posts = make_posts(400, channels=6)
    s.deliver([outgoing(i + 1, i % 20, post) for i, post in enumerate(posts)])
    events = s.poll(T0 + timedelta(days=1))
    more = [e for e in events if isinstance(e, MoreRequest)]
    assert len(more) == 5
    again = [e for e in s.poll(T0 + timedelta(days=1, minutes=30)) if isinstance(e, MoreRequest)]
    assert again == []
    assert not any(isinstance(e, MoreRequest) for e in started().poll(T0 + timedelta(days=1)))
