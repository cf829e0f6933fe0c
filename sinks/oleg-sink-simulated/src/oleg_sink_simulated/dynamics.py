"""Optional dynamics of the simulated subscribers, all off by default (the demo's figures
stay what they were): a world where order and context matter, to judge sequence models on.

- **drift**: each subscriber's category tastes move over the weeks (a fixed direction per
  subscriber and category, ``drift_per_week`` logit units a week since their first post);
- **fatigue**: after ``fatigue_after`` posts of one category in a row, another one of it
  loses ``fatigue_penalty`` from its logit;
- **time of day**: each subscriber has a favourite hour; a post gets ``daytime_preference``
  x cos(hours away from it, over a day) on its logit;
- **/more**: the most engaged subscribers (the ``more_share`` with the most 👍 so far) ask
  for a post now every ``more_every``.

Every dynamic is a pure function of the seed, the subscriber and what they were sent, so
two runs that differ only in the recommender still face the same subscribers.
"""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime, timedelta

import numpy as np
from oleg.fields import Duration
from pydantic import BaseModel, ConfigDict, Field

from oleg_sink_simulated.hashing import normal, stream, uniform
from oleg_sink_simulated.world import category_index

_S_DRIFT = stream("drift")
_S_HOUR = stream("favourite-hour")
WEEK = 7 * 86400.0


class DynamicsSettings(BaseModel):
    """Which dynamics run, and how strong (each 0 is off)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    drift_per_week: float = Field(0.0, ge=0, description="Logit change of a category taste per week.")
    fatigue_after: int = Field(0, ge=0, description="Posts of one category in a row before fatigue (0: off).")
    fatigue_penalty: float = Field(1.0, ge=0, description="Logit lost by a post of a category the subscriber is tired of.")
    daytime_preference: float = Field(0.0, ge=0, description="Logit bonus at the favourite hour (minus as much 12 hours away).")
    more_share: float = Field(0.0, ge=0, le=1, description="Share of the subscribers (the most engaged) who send /more.")
    more_every: Duration = Field(timedelta(hours=6), description="How often each of them sends /more.")

    @property
    def on(self) -> bool:
        return bool(self.drift_per_week or self.fatigue_after or self.daytime_preference or self.more_share)



class Dynamics:
    """The subscribers' changing state: when each started, their last categories, likes."""

    def __init__(self, settings: DynamicsSettings, seed: int) -> None:
        self.s = settings
        self.seed = seed
        self.first: dict[int, float] = {}
        self.recent: dict[int, deque[int]] = defaultdict(lambda: deque(maxlen=max(1, settings.fatigue_after)))
        self.likes: dict[int, int] = defaultdict(int)
        self.last_more: dict[int, datetime] = {}

    def logit_shift(self, users: np.ndarray, categories: list[str | None], sent: list[datetime]) -> np.ndarray:
        """What the dynamics add to each delivery's like logit, in delivery order (the
        fatigue state moves on with every delivery)."""
        s = self.s
        cats = category_index(categories)
        t = np.array([d.timestamp() for d in sent])
        out = np.zeros(len(users))
        if s.drift_per_week:
            start = np.array([self.first.setdefault(int(u), float(ti)) for u, ti in zip(users, t, strict=True)])
            out += s.drift_per_week * (t - start) / WEEK * normal(self.seed, _S_DRIFT, users, cats)
        if s.daytime_preference:
            favourite = np.floor(uniform(self.seed, _S_HOUR, users) * 24)
            hour = (t % 86400) / 3600
            out += s.daytime_preference * np.cos(2 * np.pi * (hour - favourite) / 24)
        if s.fatigue_after:
            for i, (u, c) in enumerate(zip(users.tolist(), cats.tolist(), strict=True)):
                last = self.recent[u]
                if len(last) == s.fatigue_after and all(x == c for x in last):
                    out[i] -= s.fatigue_penalty
                last.append(c)
        return out

    def liked(self, user: int) -> None:
        self.likes[user] += 1

    def asking_for_more(self, users: list[int], now: datetime) -> list[int]:
        """The most engaged of ``users`` whose last /more is ``more_every`` ago or more."""
        if not self.s.more_share or not users:
            return []
        n = int(round(self.s.more_share * len(users)))
        engaged = sorted(users, key=lambda u: (-self.likes[u], u))[:n]
        due = [u for u in engaged if self.likes[u] > 0 and (u not in self.last_more or now - self.last_more[u] >= self.s.more_every)]
        for u in due:
            self.last_more[u] = now
        return due

