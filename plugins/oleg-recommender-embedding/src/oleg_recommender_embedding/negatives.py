"""Sampled negatives: what ``dot`` and ``embedding-nn`` learn from when every rating is a 👍.

On positives-only data (an implicit log, a feed where nobody presses 👎) a model trained on
the ratings alone learns that everything is liked, and its ranking collapses (MovieLens
likes only: NDCG@10 0.024 for ``dot``, where ``popular`` reaches 0.20). Negatives are drawn
for each 👍 among the posts its user has not rated, uniformly or in proportion to each
post's number of ratings, with a numpy generator the caller seeds from the model's seed.

No torch here: plain numpy on :class:`~oleg.types.Interactions`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
from oleg.types import FloatArray, IntArray, Interactions

from oleg_recommender_embedding.settings import EmbeddingSettings

log = logging.getLogger(__name__)

Distribution = Literal["uniform", "popularity"]

_REDRAWS = 8
"""Rounds of redrawing the negatives that hit a post the user rated; what still collides
after them is dropped (a user who rated nearly every post gets fewer negatives)."""


@dataclass(frozen=True)
class Catalog:
    """The posts negatives are drawn from (sorted by id), with each post's channel and
    category and its number of ratings (the popularity distribution, and the popularity
    estimate of inverse-propensity weighting)."""

    post: IntArray
    channel: IntArray
    category: IntArray
    count: FloatArray

    def __len__(self) -> int:
        return len(self.post)

    @classmethod
    def of(cls, data: Interactions) -> Catalog:
        post, first, count = np.unique(data.post, return_index=True, return_counts=True)
        return cls(post, data.channel[first], data.category[first], count.astype(np.float64))

    def merged(self, data: Interactions) -> Catalog:
        """This catalogue with ``data``'s ratings counted in (an incremental round)."""
        new = Catalog.of(data)
        post = np.union1d(self.post, new.post)
        out = Catalog(
            post,
            np.zeros(len(post), np.int64),
            np.zeros(len(post), np.int64),
            np.zeros(len(post)),
        )
        for part in (self, new):  # the newer channel/category wins
            at = np.searchsorted(post, part.post)
            out.channel[at] = part.channel
            out.category[at] = part.category
            out.count[at] += part.count
        return out

    def index(self, posts: IntArray) -> IntArray:
        """Each post's row in the catalogue (every one must be in it)."""
        return np.searchsorted(self.post, posts)

    def state(self) -> dict[str, np.ndarray]:
        return {
            "post": self.post,
            "channel": self.channel,
            "category": self.category,
            "count": self.count,
        }

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> Catalog:
        return cls(
            np.asarray(state["post"], np.int64),
            np.asarray(state["channel"], np.int64),
            np.asarray(state["category"], np.int64),
            np.asarray(state["count"], np.float64),
        )


def one_class(data: Interactions) -> bool:
    """Whether every rating has the same value (nothing to tell apart without negatives)."""
    return len(data) > 0 and bool((data.value == data.value[0]).all())


def wants_negatives(s: EmbeddingSettings, data: Interactions, model: str) -> bool:
    """Whether a full retrain on ``data`` samples negatives; warns when the data holds one
    class and none are sampled."""
    single = one_class(data)
    liked = single and float(data.value[0]) > 0.5
    sample = s.negatives == "always" or (s.negatives == "auto" and liked)
    if single and not sample:
        log.warning(
            "%s: fitted on %d ratings that are all %g and no sampled negatives "
            "(negatives = %r): the model cannot tell posts apart; set negatives = 'auto' "
            "or 'always'.",
            model,
            len(data),
            float(data.value[0]),
            s.negatives,
        )
    return sample


@dataclass
class Sampler:
    """Draws negatives for users of ``data`` among the catalogue's posts they have not
    rated in ``data``: the first draw, and fresh draws of the same negatives at each epoch
    (:class:`Redraw`)."""

    catalog: Catalog
    users: IntArray  # the distinct users of the data, a negative's owner indexes them
    seen: IntArray  # sorted keys owner * len(catalog) + catalogue row of every rating
    prob: FloatArray | None  # None: uniform
    rng: np.random.Generator

    @classmethod
    def of(
        cls,
        data: Interactions,
        catalog: Catalog,
        distribution: Distribution,
        rng: np.random.Generator,
    ) -> tuple[Sampler, IntArray]:
        """The sampler, and each rating's owner index."""
        users, owner = np.unique(data.user, return_inverse=True)
        seen = np.unique(owner * len(catalog) + catalog.index(data.post))
        prob = catalog.count / catalog.count.sum() if distribution == "popularity" else None
        return cls(catalog, users, seen, prob, rng), owner

    def _draw(self, size: int) -> IntArray:
        if self.prob is None:
            return self.rng.integers(0, len(self.catalog), size=size)
        return self.rng.choice(len(self.catalog), size=size, p=self.prob)

    def draw(self, owner: IntArray) -> tuple[IntArray, np.ndarray]:
        """A catalogue row for each owner, and whether it is a post the owner has not
        rated (after :data:`_REDRAWS` redraws of those that were)."""
        n = len(self.catalog)
        item = self._draw(len(owner))
        for _ in range(_REDRAWS):
            bad = np.flatnonzero(_member(owner * n + item, self.seen))
            if len(bad) == 0:
                break
            item[bad] = self._draw(len(bad))
        return item, ~_member(owner * n + item, self.seen)


def sample_negatives(
    data: Interactions,
    catalog: Catalog,
    per_positive: int,
    distribution: Distribution,
    rng: np.random.Generator,
) -> tuple[Interactions, Redraw | None]:
    """``per_positive`` negatives (value 0) for each 👍 (value above 0.5) of ``data``: posts
    of ``catalog`` its user has not rated in ``data``, each at its positive's time; and
    what redraws them (``None`` when there are none).

    Every post of ``data`` must be in ``catalog``."""
    liked = data.value > 0.5
    if len(catalog) == 0 or not liked.any():
        return Interactions.empty(), None
    sampler, owners = Sampler.of(data, catalog, distribution, rng)
    owner = np.repeat(owners[liked], per_positive)
    at = np.repeat(data.time[liked], per_positive)
    item, ok = sampler.draw(owner)
    owner, item, at = owner[ok], item[ok], at[ok]
    negatives = Interactions(
        sampler.users[owner],
        catalog.post[item],
        catalog.channel[item],
        np.zeros(len(item)),
        at,
        catalog.category[item],
    )
    return negatives, Redraw(sampler, owner)


@dataclass
class Redraw:
    """Fresh posts for the same negatives (same users, same times): a full retrain draws
    them again before every epoch after the first, so the model meets many more of the
    posts a user did not choose than ``negatives_per_positive`` of them."""

    sampler: Sampler
    owner: IntArray  # each negative's owner index

    def __call__(self, which: IntArray) -> tuple[IntArray, IntArray]:
        """New catalogue rows for the negatives ``which`` (indices into :attr:`owner`),
        as (negatives that got one, their catalogue rows)."""
        item, ok = self.sampler.draw(self.owner[which])
        return which[ok], item[ok]


def _member(keys: IntArray, sorted_keys: IntArray) -> np.ndarray:
    """``np.isin`` against an already sorted, unique array."""
    if len(sorted_keys) == 0:
        return np.zeros(len(keys), dtype=bool)
    at = np.searchsorted(sorted_keys, keys).clip(max=len(sorted_keys) - 1)
    return sorted_keys[at] == keys
