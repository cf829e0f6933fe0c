"""The hidden world: reproducible from the seed, order-independent, and heterogeneous."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from oleg.types import Post
from oleg_sink_simulated.world import CATEGORIES, PostKeys, World, WorldSettings, category_index


def test_same_seed_same_world_other_seed_other_world(posts: list[Post]) -> None:
    users = np.arange(50)
    a = World(3, 50).like_probability(users, posts)
    b = World(3, 50).like_probability(users, posts)
    c = World(4, 50).like_probability(users, posts)
    assert a.shape == (50, len(posts))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert ((a > 0) & (a < 1)).all()


def test_a_subscriber_does_not_depend_on_how_many_there_are(posts: list[Post]) -> None:
    small = World(3, 10).like_probability(np.arange(10), posts)
    large = World(3, 500).like_probability(np.arange(10), posts)
    np.testing.assert_array_equal(small, large)


def test_channel_affinity_does_not_depend_on_arrival_order() -> None:
    world = World(11, 20)
    users = np.arange(20)
    channels = np.array([-1001, -1002, -1003, -1004])
    table = world.channel_taste(users[:, None], channels[None, :])
    reversed_ = world.channel_taste(users[:, None], channels[::-1][None, :])[:, ::-1]
    one_by_one = np.column_stack([world.channel_taste(users, np.full(20, c)) for c in channels])
    np.testing.assert_array_equal(table, reversed_)
    np.testing.assert_array_equal(table, one_by_one)


def test_posts_score_the_same_alone_or_in_any_pool(posts: list[Post]) -> None:
    world = World(5, 30)
    users = np.arange(30)
    whole = world.like_probability(users, posts)
    shuffled = np.random.default_rng(0).permutation(len(posts))
    part = world.like_probability(users, [posts[i] for i in shuffled])
    np.testing.assert_array_equal(whole[:, shuffled], part)
    np.testing.assert_array_equal(whole[:, 7:8], world.like_probability(users, [posts[7]]))


def test_quality_is_a_function_of_channel_and_message_only() -> None:
    world = World(5, 1)
    q = world.quality([-1001, -1001, -1002], [5, 5, 5])
    assert q[0] == q[1] != q[2]
    assert q[0] == World(5, 99).quality([-1001], [5])[0]


def test_pair_probabilities_match_the_table(posts: list[Post]) -> None:
    world = World(2, 25)
    table = world.like_probability(np.arange(25), posts)
    users = np.arange(len(posts)) % 25
    pairs = world.pair_like_probability(users, posts)
    np.testing.assert_allclose(pairs, table[users, np.arange(len(posts))])


def test_unknown_or_missing_category_counts_as_other() -> None:
    assert category_index(["it", "IT", None, "astrology", "weather"]).tolist() == [
        CATEGORIES.index("it"),
        CATEGORIES.index("it"),
        CATEGORIES.index("other"),
        CATEGORIES.index("other"),
        CATEGORIES.index("weather"),
    ]


def test_average_is_over_all_subscribers_in_chunks(posts: list[Post]) -> None:
    world = World(9, 70)
    expected = world.like_probability(np.arange(70), posts).mean(axis=0)
    np.testing.assert_allclose(world.average_like_probability(posts, chunk=16), expected)


def test_each_subscriber_has_favourite_categories() -> None:
    s = WorldSettings()
    world = World(1, 300, s)
    own = world.category_taste - world.category_taste.mean(axis=0)
    # the favourites stand well above the subscriber's other categories
    top = np.sort(own, axis=1)[:, -s.favourite_categories :]
    rest = np.sort(own, axis=1)[:, : -s.favourite_categories]
    assert (top.mean(axis=1) - rest.mean(axis=1)).mean() > 1.5


def test_subscriber_index_out_of_range_is_an_error(posts: list[Post]) -> None:
    with pytest.raises(IndexError, match="out of range"):
        World(0, 5).like_probability([5], posts)


def test_reaction_draws_are_pure_functions_of_the_keys() -> None:
    world = World(4, 10)
    a = world.reaction_draws([1, 2, 3], [-1001, -1001, -1002], [10, 11, 12])
    b = world.reaction_draws([3, 1], [-1002, -1001], [12, 10])
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x[[2, 0]], y)
    react, like, leave, delay = a
    assert ((react >= 0) & (react < 1)).all() and (delay > 0).all()
    assert not np.array_equal(react, like) and not np.array_equal(like, leave)


def test_post_keys_from_posts(make_posts: Callable[..., list[Post]]) -> None:
    keys = PostKeys.from_posts(make_posts(3))
    assert len(keys) == 3
    assert keys.message.tolist() == [1000, 1001, 1002]
