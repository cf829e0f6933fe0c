"""What the simulation knows and a recommender never should: each simulated subscriber's
true P(like). The ``oracle`` recommender reads it (and nothing else of the sink) through
:data:`HIDDEN_TRUTH`, which the ``simulated`` sink publishes when it starts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from oleg.runtime import SharedKey
from oleg.types import FloatArray, Post

from oleg_sink_simulated.world import PARTS, PostKeys, World

EXTERNAL_PREFIX = "sim-"


def external_id(index: int) -> str:
    """The id the engine knows subscriber ``index`` by: ``sim-0``, ``sim-1``, ..."""
    return f"{EXTERNAL_PREFIX}{index}"


class HiddenTruth:
    """The hidden tastes of ``subscribers`` simulated subscribers, by their external ids."""

    def __init__(self, world: World, subscribers: int) -> None:
        self.world = world
        self.subscribers = subscribers

    def subscriber_index(self, external: str | None) -> int | None:
        """The index behind ``sim-K``, or None for an id this simulation does not have."""
        if not external or not external.startswith(EXTERNAL_PREFIX):
            return None
        digits = external[len(EXTERNAL_PREFIX) :]
        if not digits.isdigit():
            return None
        index = int(digits)
        return index if index < self.subscribers else None

    def like_probability(
        self, external_ids: Sequence[str | None], posts: Sequence[Post], parts: Sequence[str] = PARTS
    ) -> FloatArray:
        """True P(like), shape (len(external_ids), len(posts)).

        An id that is not a simulated subscriber (or None) gets the average over all
        subscribers: the best guess about someone unknown.
        """
        out = np.empty((len(external_ids), len(posts)))
        if len(posts) == 0 or len(external_ids) == 0:
            return out
        keys = PostKeys.from_posts(posts)
        indices = [self.subscriber_index(e) for e in external_ids]
        known = np.array([i is not None for i in indices], dtype=bool)
        if known.any():
            users = np.array([i for i in indices if i is not None], dtype=np.int64)
            out[known] = self.world.like_probability(users, keys, parts)
        if not known.all():
            out[~known] = self.world.average_like_probability(keys, parts=parts)
        return out

    def average_like_probability(self, posts: Sequence[Post], parts: Sequence[str] = PARTS) -> FloatArray:
        """Mean true P(like) of each post over all subscribers."""
        return self.world.average_like_probability(PostKeys.from_posts(posts), parts=parts)


HIDDEN_TRUTH = SharedKey("simulated.hidden_truth", HiddenTruth)
"""Published by the ``simulated`` sink at its start, for the ``oracle`` recommender."""
