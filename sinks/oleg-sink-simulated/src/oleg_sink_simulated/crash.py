"""Killing a simulated deployment at random and checking that nothing was lost or repeated.

``oleg run`` is started as a process on a deployment whose virtual clock has an ``end``,
killed with SIGKILL after a random time, started again, and so on until a run reaches the
end; then :func:`audit` reads the store and counts every way a crash could have hurt:

- a post delivered twice to one subscriber, or one delivery rated twice;
- a subscriber given more than ``posts_per_round`` posts in one round;
- a round that ran in the uninterrupted run and not here (``compare``), or the reverse;
- a delivery left ``pending``;
- a reaction the simulated subscriber decided (the dice are common random numbers, so the
  audit recomputes them) that never reached the store.

The CI suite (``tests/test_restarts.py``) runs a dozen kills; ``benchmarks/bench_crash.py``
runs hundreds, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from oleg.types import utc


@dataclass
class CrashAudit:
    """What the store shows after a run (killed or not), as counts that must be zero, and
    the figures to compare with an uninterrupted run."""

    deliveries: int
    ratings: int
    posts_twice: int
    ratings_twice: int
    extra_in_round: int
    pending_left: int
    reactions_lost: int
    rounds: list[str]
    like_rate: float
    """Likes per delivery that reached a subscriber (``sent``)."""
    likes: int
    sent: int
    unknown: int
    subscribers: int
    """How many simulated subscribers ever joined (each restart must not lose a late joiner)."""

    def problems(self) -> dict[str, int]:
        """The counts that must be zero."""
        return {
            "posts delivered twice": self.posts_twice,
            "ratings counted twice": self.ratings_twice,
            "extra posts in a round": self.extra_in_round,
            "pending left": self.pending_left,
            "reactions decided but lost": self.reactions_lost,
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT_START = datetime(2024, 11, 10, tzinfo=UTC)
"""Where the bundled posts are busiest (the demo's start)."""


def crash_deployment(
    folder: Path, url: str, *, start: datetime = DEFAULT_START, days: int = 14, subscribers: int = 150, seed: int = 3
) -> Path:
    """A deployment file for a crash run: the bundled posts replayed to simulated
    subscribers, ``popular`` recommending, the virtual clock from ``start`` to a fixed end
    (so each restart goes on to the same end), a short lease."""
    end = start + timedelta(days=days)
    path = folder / "deploy.toml"
    path.write_text(f"""
[deployment]
name = "crash"
database = "{url}"
seed = {seed}

[engine]
pool_window = "2d"
lease_ttl = "0.5s"

[source]
plugin = "replay"
path = "builtin:telegram-news-ru"
start = "{(start - timedelta(days=2)).isoformat()}"

[sink]
plugin = "simulated"
subscribers = {subscribers}

[recommender]
plugin = "popular"

[cold_start]
plugin = "top-bias"
first_posts = 5

[scheduler]
plugin = "virtual"
start = "{start.isoformat()}"
end = "{end.isoformat()}"
mailing_every = "2h"
train_every = "30m"
ingest_every = "10m"
feedback_every = "{FEEDBACK_EVERY_MINUTES}m"
""")
    return path


FEEDBACK_EVERY_MINUTES = 10
"""How often the crash deployment collects: reactions due within this of the end may not be
stored yet when the run ends (what :func:`audit`'s ``settle`` allows)."""


@dataclass
class KillReport:
    kills: int
    runs: int
    seconds: float


def run_with_kills(
    deployment: Path,
    *,
    kills: int,
    seed: int,
    min_wait: float = 0.5,
    max_wait: float = 4.0,
    env: dict[str, str] | None = None,
    timeout: float = 600.0,
    lease_wait: float = 0.5,
) -> KillReport:
    """Run ``oleg run deployment`` to its end, killing it ``kills`` times (SIGKILL) after a
    random time each; then run it until it ends by itself."""
    rng = random.Random(seed)
    started = time.monotonic()
    done_kills = runs = 0
    cmd = [sys.executable, "-m", "oleg.cli", "run", str(deployment)]
    full_env = {**os.environ, **(env or {})}
    while True:
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"the killed runs did not reach their end within {timeout:g} s")
        runs += 1
        # its log goes to a file: a pipe nobody reads would fill and block the run
        log = tempfile.TemporaryFile(mode="w+")
        proc = subprocess.Popen(cmd, env=full_env, stdout=subprocess.DEVNULL, stderr=log, text=True)
        if done_kills < kills:
            try:
                proc.wait(timeout=rng.uniform(min_wait, max_wait))
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                log.close()
                done_kills += 1
                continue
        else:
            proc.wait(timeout=timeout)
        log.seek(0)
        stderr = log.read()
        log.close()
        if proc.returncode != 0:
            if "in use by another engine" in stderr:  # the killed one's lease: wait it out
                time.sleep(lease_wait)
                continue
            raise RuntimeError(f"oleg run exited {proc.returncode}: {stderr[-2000:]}")
        return KillReport(done_kills, runs, time.monotonic() - started)


def audit(url: str, *, posts_per_round: int = 1, end: datetime, settle: timedelta) -> CrashAudit:
    """Read the store at ``url`` (after the last run ended) and count what went wrong;
    reactions due later than ``end - settle`` are not expected to be stored yet."""
    from oleg_sink_simulated.sink import SimulatedSettings, SimulatedSink
    from oleg_sink_simulated.truth import EXTERNAL_PREFIX

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            q = lambda sql: conn.execute(sa.text(sql)).all()  # noqa: E731
            deliveries = q("select d.id, d.subscriber_id, d.post_id, d.sent_at, d.status, s.external_id, "
                           "p.channel_id, p.message_id, d.policy from delivery d join subscriber s on s.id = d.subscriber_id "
                           "join post p on p.id = d.post_id")
            ratings = q("select delivery_id, value from feedback")
            joined = q("select count(*) from subscriber")[0][0]
            state = dict(q("select key, value from engine_state"))
    finally:
        engine.dispose()
    pairs = Counter((d.subscriber_id, d.post_id) for d in deliveries)
    rated = Counter(r.delivery_id for r in ratings)
    rounds = Counter((d.subscriber_id, str(d.sent_at)) for d in deliveries)
    settings = _sink_settings(state)
    sink = SimulatedSink(SimulatedSettings(**settings["settings"]), seed=settings["seed"])
    sent = [d for d in deliveries if d.status == "sent" and str(d.external_id).startswith(EXTERNAL_PREFIX)]
    lost = 0
    if sent:
        from oleg.types import Delivery, Outgoing, Policy, Post, Subscriber

        items = []
        for d in sent:
            index = sink.subscriber_index(d.external_id)
            if index is None:
                continue
            sent_at = utc(d.sent_at if isinstance(d.sent_at, datetime) else datetime.fromisoformat(str(d.sent_at)))
            item = Outgoing(
                Delivery(d.subscriber_id, d.post_id, sent_at, Policy.parse(d.policy), id=d.id),
                Post(d.channel_id, d.message_id, sent_at, id=d.post_id),
                Subscriber(d.subscriber_id, d.external_id),
            )
            items.append((item, index))
        mean = sink.settings.reaction_delay.total_seconds()
        for draw in sink._draws(items):  # the dice the sink threw for each delivery
            due = draw.item.delivery.sent_at + timedelta(seconds=draw.delay * mean)
            if draw.reacts and due <= end - settle and draw.item.delivery.id not in rated:
                lost += 1
    likes = sum(1 for r in ratings if r.value == 1)
    delivered = sum(1 for d in deliveries if d.status == "sent")
    return CrashAudit(
        deliveries=len(deliveries),
        ratings=len(ratings),
        posts_twice=sum(n - 1 for n in pairs.values() if n > 1),
        ratings_twice=sum(n - 1 for n in rated.values() if n > 1),
        extra_in_round=sum(n - posts_per_round for n in rounds.values() if n > posts_per_round),
        pending_left=sum(1 for d in deliveries if d.status == "pending"),
        reactions_lost=lost,
        rounds=sorted({str(d.sent_at) for d in deliveries}),
        like_rate=likes / delivered if delivered else 0.0,
        likes=likes,
        sent=delivered,
        unknown=sum(1 for d in deliveries if d.status == "unknown"),
        subscribers=joined,
    )


def _sink_settings(state: dict[str, Any]) -> dict[str, Any]:
    value = state.get(AUDIT_KEY)
    if isinstance(value, str):  # read as text: JSON columns are text to a raw query
        value = json.loads(value)
    if not isinstance(value, dict):
        raise ValueError("the store holds no simulated sink settings: was it made by the simulated sink?")
    return value


AUDIT_KEY = "simulated:audit"
"""Engine-state key under which the sink records its settings and seed (for :func:`audit`)."""
