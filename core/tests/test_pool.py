from datetime import UTC, datetime, timedelta

from oleg.engine import FreshPool
from oleg.types import Post

T0 = datetime(2024, 11, 10, tzinfo=UTC)


def post(i, hours):
    return Post(channel_id=-100, message_id=i, date=T0 + timedelta(hours=hours), id=i)


def test_window_and_future():
    pool = FreshPool(timedelta(hours=11), 100)
    pool.add([post(1, 0), post(2, 5), post(3, 12)])
    cands, posts = pool.candidates(T0 + timedelta(hours=11))
    assert cands.post.tolist() == [1, 2]  # 3 is in the future, 1 is just inside the window
    cands, _ = pool.candidates(T0 + timedelta(hours=12))
    assert cands.post.tolist() == [2, 3]  # 1 left the window
    assert len(pool) == 2  # and the pool forgot it


def test_cached_until_changed():
    pool = FreshPool(timedelta(days=1), 100)
    pool.add([post(1, 0)])
    first = pool.candidates(T0 + timedelta(hours=1))
    assert pool.candidates(T0 + timedelta(hours=2)) is first
    pool.add([post(2, 2)])
    assert pool.candidates(T0 + timedelta(hours=2))[0].post.tolist() == [1, 2]


def test_size_cap_keeps_newest_and_remove():
    pool = FreshPool(timedelta(days=10), 3)
    pool.add([post(i, i) for i in range(1, 7)])
    cands, _ = pool.candidates(T0 + timedelta(hours=7))
    assert cands.post.tolist() == [4, 5, 6]
    pool.remove([(-100, 5)])
    assert pool.candidates(T0 + timedelta(hours=7))[0].post.tolist() == [4, 6]


def test_a_post_dated_after_now_shows_up_when_its_time_comes():
    pool = FreshPool(timedelta(days=1), 100)
    pool.add([post(1, 5)])
    assert len(pool.candidates(T0)[0]) == 0
    assert pool.candidates(T0 + timedelta(hours=5))[0].post.tolist() == [1]
