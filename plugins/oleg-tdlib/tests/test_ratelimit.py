"""The sending limiter on a fake clock: per-chat spacing, the global rate, and pauses."""

from __future__ import annotations

import threading

import pytest
from oleg_tdlib.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, dt: float) -> None:
        self.t += dt


def send_times(limiter: RateLimiter, clock: Clock, chats: list[int]) -> list[float]:
    out = []
    for chat in chats:
        limiter.acquire(chat)
        out.append(clock.t)
    return out


def test_global_rate_spaces_messages_to_different_chats() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=30, clock=clock, sleep=clock.sleep)
    times = send_times(limiter, clock, list(range(300)))
    assert times[-1] - times[0] == pytest.approx(299 / 30)
    in_any_second = max(sum(1 for t in times if s <= t < s + 1 - 1e-9) for s in times)
    assert in_any_second == 30


def test_one_chat_gets_at_most_one_message_a_second() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=30, per_chat_interval=1.0, clock=clock, sleep=clock.sleep)
    times = send_times(limiter, clock, [7, 7, 8, 7])
    assert times[1] - times[0] == pytest.approx(1.0)
    assert times[2] == pytest.approx(times[1] + 1 / 30)  # another chat need not wait
    assert times[3] - times[1] == pytest.approx(1.0)


def test_a_pause_holds_every_sender() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=30, clock=clock, sleep=clock.sleep)
    limiter.acquire(1)
    limiter.pause(5)
    start = clock.t
    limiter.acquire(2)
    assert clock.t - start == pytest.approx(5.0)
    assert limiter.waited == pytest.approx(5.0)


def test_threads_share_the_budget() -> None:
    clock = Clock()
    lock = threading.Lock()
    limiter = RateLimiter(rate=10, clock=clock, sleep=lambda dt: None)
    waits: list[float] = []

    def worker(base: int) -> None:
        for i in range(50):
            w = limiter.reserve(base + i)
            with lock:
                waits.append(w)

    threads = [threading.Thread(target=worker, args=(k * 1000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(round(w * 10) for w in waits) == list(range(200))  # 200 distinct 0.1 s slots


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate=0)
