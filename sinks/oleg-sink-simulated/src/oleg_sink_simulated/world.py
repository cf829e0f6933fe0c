"""The hidden truth of the simulation: who likes what, as a pure function of a seed.

Each synthetic subscriber has a taste for each of the 12 categories of the bundled data and
for each channel; each post has a hidden quality. A subscriber likes a post with probability

    P(like) = sigmoid(intercept + category taste + channel taste + quality)

Tastes are heterogeneous on purpose: every subscriber has a few favourite categories and
channels and dislikes others, so that no single post suits everyone and a personal feed can
beat a popularity ranking, which in turn beats chance.

Everything is a pure function of (seed, subscriber index, channel id, message id) through
counter-based hashing (:mod:`oleg_sink_simulated.hashing`): a channel's affinity does not
depend on when the channel was first seen, nor a post's quality on what came before, so two
runs that differ only in the recommender face exactly the same subscribers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from oleg.types import Post
from pydantic import BaseModel, ConfigDict

from oleg_sink_simulated.hashing import normal, stream, uniform

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

CATEGORIES: tuple[str, ...] = (
    "political",
    "personal",
    "other",
    "it",
    "business",
    "moscow",
    "science",
    "finances",
    "stuff",
    "gaming",
    "advertisement",
    "weather",
)
"""The categories of the bundled Telegram news data; any other label counts as "other"."""
PARTS: tuple[str, ...] = ("category", "channel", "quality")
"""The hidden parts of a like's logit, besides the intercept."""
_CATEGORY_INDEX = {name: i for i, name in enumerate(CATEGORIES)}
_OTHER = _CATEGORY_INDEX["other"]

_S_CATEGORY_MEAN = stream("category-mean")
_S_CATEGORY_TASTE = stream("category-taste")
_S_FAVOURITE_CATEGORY = stream("favourite-category")
_S_CHANNEL_TASTE = stream("channel-taste")
_S_FAVOURITE_CHANNEL = stream("favourite-channel")
_S_QUALITY = stream("quality")
_S_REACT = stream("react")
_S_LIKE = stream("like")
_S_DELAY = stream("delay")
_S_LEAVE = stream("leave")
_S_JOIN = stream("join")
_S_ENGAGEMENT = stream("engagement")


class WorldSettings(BaseModel):
    """How tastes are drawn. The defaults are calibrated on the bundled data (see the tests):
    a random post is liked about a quarter of the time, a subscriber's best post of a pool of
    a few hundred well over half the time, and the most popular post is disliked by many.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    intercept: float = -2.1
    category_popularity: float = 0.3
    """Spread of the categories' appeal to everyone (some topics are just more popular)."""
    category_taste: float = 1.0
    """Spread of a subscriber's own taste per category."""
    favourite_categories: int = 2
    favourite_category_boost: float = 2.0
    channel_taste: float = 0.6
    """Spread of a subscriber's affinity per channel."""
    favourite_channel_share: float = 0.15
    favourite_channel_boost: float = 1.2
    quality: float = 0.5
    """Spread of the posts' hidden quality, shared by all subscribers."""


@dataclass(frozen=True)
class PostKeys:
    """The columns of posts the world needs: channel, message and category index."""

    channel: IntArray
    message: IntArray
    category: IntArray

    @classmethod
    def from_posts(cls, posts: Sequence[Post]) -> PostKeys:
        return cls(
            channel=np.fromiter((p.channel_id for p in posts), np.int64, len(posts)),
            message=np.fromiter((p.message_id for p in posts), np.int64, len(posts)),
            category=category_index([p.category for p in posts]),
        )

    def __len__(self) -> int:
        return len(self.channel)


def category_index(categories: Sequence[str | None]) -> IntArray:
    """Index of each category in :data:`CATEGORIES`; unknown or missing labels are "other"."""
    return np.fromiter(
        (_CATEGORY_INDEX.get((c or "").lower(), _OTHER) for c in categories),
        np.int64,
        len(categories),
    )


def sigmoid(x: FloatArray) -> FloatArray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # stable for large |x|


class World:
    """Subscribers' hidden tastes and posts' hidden quality, reproducible from ``seed``."""

    def __init__(
        self, seed: int, n_subscribers: int, settings: WorldSettings | None = None
    ) -> None:
        if n_subscribers < 0:
            raise ValueError("n_subscribers must be >= 0")
        self.seed = int(seed)
        self.n_subscribers = int(n_subscribers)
        self.settings = settings or WorldSettings()
        self.category_taste = self._category_tastes()
        """(n_subscribers, 12): the part of the logit each category brings, per subscriber."""

    def _category_tastes(self) -> FloatArray:
        s, seed = self.settings, self.seed
        users = np.arange(self.n_subscribers, dtype=np.int64)[:, None]
        cats = np.arange(len(CATEGORIES), dtype=np.int64)[None, :]
        popularity = s.category_popularity * normal(seed, _S_CATEGORY_MEAN, cats)
        taste = s.category_taste * normal(seed, _S_CATEGORY_TASTE, users, cats)
        k = min(max(s.favourite_categories, 0), len(CATEGORIES))
        if k and self.n_subscribers:
            draw = uniform(seed, _S_FAVOURITE_CATEGORY, users, cats)
            favourites = np.argsort(draw, axis=1)[:, :k]
            np.put_along_axis(
                taste,
                favourites,
                np.take_along_axis(taste, favourites, axis=1) + s.favourite_category_boost,
                axis=1,
            )
        return np.asarray(popularity + taste, dtype=np.float64).reshape(
            self.n_subscribers, len(CATEGORIES)
        )

    # -- hidden parts ------------------------------------------------------------------------

    def channel_taste(self, users: npt.ArrayLike, channels: npt.ArrayLike) -> FloatArray:
        """Affinities of users for channels, broadcast like numpy (pass ``users[:, None]`` and
        ``channels[None, :]`` for a table); a pure function of (seed, user, channel)."""
        u = np.asarray(users, dtype=np.int64)
        ch = np.asarray(channels, dtype=np.int64)
        s = self.settings
        taste = s.channel_taste * normal(self.seed, _S_CHANNEL_TASTE, u, ch)
        favourite = uniform(self.seed, _S_FAVOURITE_CHANNEL, u, ch) < s.favourite_channel_share
        return (taste + s.favourite_channel_boost * favourite).reshape(
            np.broadcast_shapes(u.shape, ch.shape)
        )

    def quality(self, channels: npt.ArrayLike, messages: npt.ArrayLike) -> FloatArray:
        """Each post's hidden quality, shared by every subscriber."""
        ch = np.asarray(channels, dtype=np.int64)
        msg = np.asarray(messages, dtype=np.int64)
        return self.settings.quality * normal(self.seed, _S_QUALITY, ch, msg).reshape(ch.shape)

    # -- what the oracle knows ---------------------------------------------------------------

    def logits(
        self, users: npt.ArrayLike, posts: PostKeys, parts: Sequence[str] = PARTS
    ) -> FloatArray:
        """(len(users), len(posts)) logits of P(like), from the hidden ``parts`` named
        (all by default; fewer tell what a model knowing only those could reach)."""
        u = self._users(users)
        unknown = set(parts) - set(PARTS)
        if unknown:
            raise ValueError(f"unknown parts {sorted(unknown)}: expected some of {list(PARTS)}")
        out = np.full((len(u), len(posts)), self.settings.intercept)
        if "category" in parts:
            out += self.category_taste[u][:, posts.category]
        if "channel" in parts:
            channels, inverse = np.unique(posts.channel, return_inverse=True)
            out += self.channel_taste(u[:, None], channels[None, :])[:, inverse.reshape(-1)]
        if "quality" in parts:
            out += self.quality(posts.channel, posts.message)[None, :]
        return out

    def like_probability(
        self, users: npt.ArrayLike, posts: Sequence[Post] | PostKeys, parts: Sequence[str] = PARTS
    ) -> FloatArray:
        """P(like), shape (len(users), len(posts)), for subscriber indices and posts."""
        keys = posts if isinstance(posts, PostKeys) else PostKeys.from_posts(posts)
        return sigmoid(self.logits(users, keys, parts))

    def pair_like_probability(
        self, users: npt.ArrayLike, posts: Sequence[Post] | PostKeys
    ) -> FloatArray:
        """P(like) of ``users[i]`` for ``posts[i]``, one per pair (what a delivery batch needs)."""
        keys = posts if isinstance(posts, PostKeys) else PostKeys.from_posts(posts)
        u = self._users(users)
        if len(u) != len(keys):
            raise ValueError(f"{len(u)} users for {len(keys)} posts")
        logit = (
            self.settings.intercept
            + self.category_taste[u, keys.category]
            + self.channel_taste(u, keys.channel)
            + self.quality(keys.channel, keys.message)
        )
        return sigmoid(logit)

    def average_like_probability(
        self, posts: Sequence[Post] | PostKeys, *, chunk: int = 1024, parts: Sequence[str] = PARTS
    ) -> FloatArray:
        """Mean P(like) of each post over all subscribers: what a perfect popularity knows."""
        keys = posts if isinstance(posts, PostKeys) else PostKeys.from_posts(posts)
        total = np.zeros(len(keys))
        if self.n_subscribers == 0:
            return total
        for start in range(0, self.n_subscribers, chunk):
            users = np.arange(start, min(start + chunk, self.n_subscribers))
            total += self.like_probability(users, keys, parts).sum(axis=0)
        return total / self.n_subscribers

    # -- common random numbers for reactions -------------------------------------------------

    def reaction_draws(
        self, users: npt.ArrayLike, channels: npt.ArrayLike, messages: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Uniforms deciding, per (user, post) pair: react?, like?, leave?, and a delay.

        The delay is an Exponential(1) draw to be scaled by the mean delay. All four are pure
        functions of (seed, user, channel, message): the same post shown to the same
        subscriber gets the same reaction whichever recommender chose it.
        """
        u = np.asarray(users, dtype=np.int64)
        ch = np.asarray(channels, dtype=np.int64)
        msg = np.asarray(messages, dtype=np.int64)
        react = uniform(self.seed, _S_REACT, u, ch, msg)
        like = uniform(self.seed, _S_LIKE, u, ch, msg)
        leave = uniform(self.seed, _S_LEAVE, u, ch, msg)
        delay = -np.log1p(-uniform(self.seed, _S_DELAY, u, ch, msg))
        return react, like, leave, delay

    def engagement(self, users: npt.ArrayLike) -> FloatArray:
        """A standard normal per subscriber: how much more (or less) often than the others
        they answer at all (``[sink] engagement_spread`` scales it, in logits)."""
        return normal(self.seed, _S_ENGAGEMENT, np.asarray(users, dtype=np.int64))

    def join_draws(self) -> FloatArray:
        """A uniform per subscriber placing their arrival within the joining span."""
        return uniform(self.seed, _S_JOIN, np.arange(self.n_subscribers, dtype=np.int64))

    def _users(self, users: npt.ArrayLike) -> IntArray:
        u = np.asarray(users, dtype=np.int64).reshape(-1)
        if len(u) and (u.min() < 0 or u.max() >= self.n_subscribers):
            raise IndexError(
                f"subscriber index out of range 0..{self.n_subscribers - 1}: "
                f"{u[(u < 0) | (u >= self.n_subscribers)][:5].tolist()}"
            )
        return u
