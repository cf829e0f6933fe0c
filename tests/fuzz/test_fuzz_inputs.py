"""Whatever a deployer writes or hands over, oleg answers with a clear error (an
:class:`~oleg.errors.OlegError`, exit 2) or works: never a traceback. Property-based, with
hypothesis, bounded in examples so the suite stays quick."""

from __future__ import annotations

import contextlib
import gzip
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oleg.config import load_deployment_dict
from oleg.engine import Engine
from oleg.errors import OlegError
from oleg.plugins import Plugins
from oleg.testing.fakes import fakes_plugin
from oleg.types import Post

pytestmark = pytest.mark.fuzz
T0 = datetime(2024, 11, 10, tzinfo=UTC)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Values a TOML file can hold, biased towards the edges that broke things before.
scalars = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**63, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e30, float("inf"), -0.0, 1e-300]),
    st.booleans(),
    st.text(max_size=20),
    st.sampled_from(["30m", "0s", "-5m", "999999999d", "99999999999999d", "1d12h", "1e3s", "h", ""]),
    st.sampled_from(["2024-11-10T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00", "yesterday"]),
    st.sampled_from(["sqlite://", "postgres://u:pw@h/db", "mysql://x", "not a url", "sqlite:///x.db"]),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(max_size=8), scalars, max_size=3))

SECTIONS: dict[str, list[str]] = {
    "deployment": ["name", "database", "seed", "data_dir", "plugins"],
    "engine": ["pool_window", "pool_size", "posts_per_round", "exploration", "lease_ttl"],
    "promotion": ["metric", "min_ratings", "min_absolute_change", "min_relative_change", "max_drop",
                  "confidence", "keep_champions"],
    "source": ["plugin", "posts"],
    "sink": ["plugin", "subscribers", "delay"],
    "recommender": ["plugin", "post_prior", "channel_prior"],
    "cold_start": ["plugin", "first_posts"],
    "scheduler": ["plugin", "start", "end", "run_for", "mailing_every", "train_every", "ingest_every",
                  "feedback_every", "full_retrain_every"],
}


def base() -> dict[str, Any]:
    return {
        "deployment": {"name": "fuzz", "database": "sqlite://", "seed": 1},
        "engine": {"pool_window": "1d"},
        "source": {"plugin": "list", "posts": [Post(-100, i, T0 + timedelta(hours=i)) for i in range(4)]},
        "sink": {"plugin": "rule", "subscribers": ["alice"]},
        "recommender": {"plugin": "popular"},
        "cold_start": {"plugin": "top-bias", "first_posts": 1},
        "scheduler": {"plugin": "virtual", "start": T0.isoformat(), "run_for": "6h", "mailing_every": "1h"},
        "promotion": {"min_ratings": 2},
    }


@pytest.fixture(scope="module")
def plugins() -> Any:
    p = Plugins()
    with p.registered(fakes_plugin()):
        yield p


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deployments")


@FUZZ
@given(changes=st.lists(st.tuples(st.sampled_from(sorted(SECTIONS)), st.data()), min_size=1, max_size=3), data=st.data())
def test_any_deployment_is_run_or_refused_clearly(
    plugins: Any, scratch: Path, changes: list[Any], data: Any
) -> None:
    raw = base()
    for section, _ in changes:
        key = data.draw(st.sampled_from(SECTIONS[section] + ["unknown_key"]))
        raw[section][key] = data.draw(values)
    try:
        with contextlib.chdir(scratch):  # a drawn relative data_dir lands here, not in the checkout
            deployment = load_deployment_dict(raw, plugins=plugins, environ={})
            for comp in deployment.components.values():
                comp.build(seed=1).check()
            engine = Engine(deployment, plugins)
            engine.run(until=None)
    except OlegError as exc:
        assert str(exc).strip()  # a message, whatever it says
    except (RuntimeError, ValueError) as exc:  # what the scheduler raises for an empty job list
        raise AssertionError(f"not a clear error: {type(exc).__name__}: {exc}") from exc


post_fields = st.fixed_dictionaries(
    {},
    optional={
        "channel_id": scalars, "message_id": scalars, "date": scalars, "media_kind": scalars,
        "album_id": scalars, "text": scalars, "category": scalars, "channel": scalars,
    },
)


@FUZZ
@given(rows=st.lists(st.one_of(post_fields, values), min_size=1, max_size=5), packed=st.booleans())
def test_any_posts_file_is_read_or_named_with_its_line(tmp_path: Path, rows: list[Any], packed: bool) -> None:
    from oleg_source_replay.reader import read_posts

    text = "\n".join(json.dumps(r, default=str, allow_nan=True) for r in rows) + "\n"
    path = tmp_path / ("posts.jsonl.gz" if packed else "posts.jsonl")
    path.write_bytes(gzip.compress(text.encode()) if packed else text.encode())
    try:
        posts = read_posts(path)
    except OlegError as exc:
        assert path.name in str(exc)
    else:
        assert all(-(2**63) <= p.channel_id < 2**63 and p.date.year >= 1970 for p in posts)


@FUZZ
@given(blob=st.binary(max_size=300), packed=st.booleans())
def test_any_bytes_as_a_posts_file(tmp_path: Path, blob: bytes, packed: bool) -> None:
    from oleg_source_replay.reader import read_posts

    path = tmp_path / ("posts.jsonl.gz" if packed else "posts.jsonl")
    path.write_bytes(blob)
    try:
        read_posts(path)
    except OlegError as exc:
        assert path.name in str(exc)


cells = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=6).filter(lambda t: "\n" not in t and "\r" not in t),
    st.sampled_from(["", "1e30", "nan", "-inf", "2024-11-10T00:00:00", "9999-12-31T00:00:00+05:00"]),
)


@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=1, max_size=5), min_size=1, max_size=6), tail=st.binary(max_size=8))
def test_any_ratings_file_is_read_or_named_with_its_line(tmp_path: Path, rows: list[list[str]], tail: bytes) -> None:
    from oleg_evaluation import load_ratings

    path = tmp_path / "ratings.csv"
    body = "userId,movieId,rating,timestamp\n" + "\n".join(",".join(r) for r in rows) + "\n"
    path.write_bytes(body.encode() + tail)
    try:
        data = load_ratings(path)
    except OlegError as exc:
        assert path.name in str(exc)
    else:
        assert all(math.isfinite(v) for v in data.interactions.value)


@FUZZ
@given(blob=st.binary(max_size=200))
def test_any_sequences_file_is_read_or_named_with_its_line(tmp_path: Path, blob: bytes) -> None:
    from oleg_evaluation import load_sequences

    path = tmp_path / "seq.txt"
    path.write_bytes(b"1 2\n" + blob)
    try:
        load_sequences(path)
    except OlegError as exc:
        assert path.name in str(exc)
