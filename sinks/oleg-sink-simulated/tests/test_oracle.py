"""The oracle recommender: true P(like) through the store's ids, for posts never delivered."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from oleg.errors import PluginError
from oleg.types import Candidates, Interactions, Post, Subscriber
from oleg_sink_simulated.oracle import OracleRecommender
from oleg_sink_simulated.sink import SimulatedSettings, SimulatedSink


@pytest.fixture
def simulation(
    posts: list[Post], fake_store: Any, make_runtime: Callable[..., Any]
) -> tuple[OracleRecommender, SimulatedSink, Any]:
    sink = SimulatedSink(SimulatedSettings(subscribers=8, seed=4))
    fake_store.posts = {p.id: p for p in posts}
    # store ids are not the simulation's indices: subscriber id 100+k is sim-(7-k)
    fake_store.subscribers_list = [
        Subscriber(id=100 + k, external_id=f"sim-{7 - k}") for k in range(6)
    ]
    runtime = make_runtime(fake_store)
    sink.start(runtime)  # publishes itself for the oracle
    oracle = OracleRecommender()
    oracle.start(runtime)
    return oracle, sink, fake_store


def test_scores_are_the_true_probabilities(simulation: Any, posts: list[Post]) -> None:
    oracle, sink, _ = simulation
    candidates = Candidates.from_posts(posts[5:25])
    scores = oracle.score_many([100, 103], candidates)
    truth = sink.world.like_probability([7, 4], posts[5:25])
    np.testing.assert_allclose(scores, truth)
    np.testing.assert_allclose(
        oracle.score(101, candidates), sink.world.like_probability([6], posts[5:25])[0]
    )


def test_none_and_unknown_users_get_the_average(simulation: Any, posts: list[Post]) -> None:
    oracle, sink, _ = simulation
    candidates = Candidates.from_posts(posts)
    average = sink.world.average_like_probability(posts)
    np.testing.assert_allclose(oracle.score(None, candidates), average)
    np.testing.assert_allclose(oracle.bias(candidates), average)
    np.testing.assert_allclose(oracle.score(999, candidates), average)


def test_ids_are_cached_and_refreshed_on_a_miss(simulation: Any, posts: list[Post]) -> None:
    oracle, sink, store = simulation
    candidates = Candidates.from_posts(posts[:10])
    oracle.score_many([100, 101], candidates)
    oracle.score_many([101, 100], candidates)
    assert store.calls == {"subscribers": 1, "posts_by_id": 1}
    # a subscriber who joined since: one refresh, then found
    store.subscribers_list.append(Subscriber(id=200, external_id="sim-0"))
    row = oracle.score(200, candidates)
    assert store.calls["subscribers"] == 2
    np.testing.assert_allclose(row, sink.world.like_probability([0], posts[:10])[0])
    # new posts: only the missing ids are asked for
    oracle.score(100, Candidates.from_posts(posts[5:15]))
    assert store.calls["posts_by_id"] == 2


def test_a_post_the_store_does_not_have_is_an_error(simulation: Any) -> None:
    oracle, _, _ = simulation
    with pytest.raises(PluginError, match="does not have"):
        oracle.score(100, Candidates.from_arrays([424242], [-1001]))


def test_fit_changes_nothing(simulation: Any, posts: list[Post]) -> None:
    oracle, _, _ = simulation
    candidates = Candidates.from_posts(posts)
    before = oracle.score_many([100, 102], candidates)
    feedback = Interactions.from_arrays(
        [100, 102], [posts[0].id, posts[1].id], [-1, -1], [1.0, 0.0]
    )
    oracle.fit(feedback)
    oracle.partial_fit(feedback)
    np.testing.assert_array_equal(oracle.score_many([100, 102], candidates), before)


def test_empty_inputs(simulation: Any, posts: list[Post]) -> None:
    oracle, _, _ = simulation
    assert oracle.score_many([], Candidates.from_posts(posts)).shape == (0, len(posts))
    empty = Candidates.from_arrays([], [])
    assert oracle.score_many([100], empty).shape == (1, 0)
    assert oracle.score(None, empty).shape == (0,)


def test_needs_the_simulated_sink(make_runtime: Callable[..., Any], fake_store: Any) -> None:
    with pytest.raises(PluginError, match=r"needs the simulated sink") as info:
        OracleRecommender().start(make_runtime(fake_store))  # no simulated sink started before it
    assert 'plugin = "simulated"' in str(info.value)


def test_not_started_is_a_clear_error(posts: list[Post]) -> None:
    with pytest.raises(PluginError, match="not started"):
        OracleRecommender().score(1, Candidates.from_posts(posts))


def test_save_and_load_round_trip(
    simulation: Any, posts: list[Post], tmp_path: Path, make_runtime: Callable[..., Any]
) -> None:
    oracle, sink, store = simulation
    runtime = make_runtime(store)
    sink.start(runtime)
    candidates = Candidates.from_posts(posts)
    path = tmp_path / "oracle.pkl"
    oracle.save(path)
    assert b"FakeStore" not in path.read_bytes()  # the live simulation is not pickled
    loaded = OracleRecommender.load(path)
    with pytest.raises(PluginError, match="not started"):  # it reads a live simulation
        loaded.score(100, candidates)
    loaded.start(runtime)
    np.testing.assert_array_equal(
        loaded.score_many([100, 105], candidates), oracle.score_many([100, 105], candidates)
    )
    assert pickle.loads(pickle.dumps(oracle)).params() == {"knows": ["category", "channel", "quality"]}


def test_component_identity() -> None:
    assert OracleRecommender.name == "oracle"


def test_a_partial_oracle_scores_with_only_what_it_knows() -> None:
    from oleg_sink_simulated.world import PostKeys, World, sigmoid

    world = World(seed=3, n_subscribers=5)
    keys = PostKeys(
        channel=np.array([-1001, -1002, -1001], dtype=np.int64),
        message=np.array([1, 2, 3], dtype=np.int64),
        category=np.array([0, 3, 3], dtype=np.int64),
    )
    users = np.arange(5)
    full = world.logits(users, keys)
    cat = world.logits(users, keys, ["category"])
    expected_cat = world.settings.intercept + world.category_taste[:, [0, 3, 3]]
    np.testing.assert_allclose(cat, expected_cat)
    parts = sum(world.logits(users, keys, [p]) - world.settings.intercept for p in ("category", "channel", "quality"))
    np.testing.assert_allclose(full, parts + world.settings.intercept)
    np.testing.assert_allclose(world.like_probability(users, keys, ["category"]), sigmoid(expected_cat))
    with pytest.raises(ValueError, match="unknown parts"):
        world.logits(users, keys, ["mood"])
