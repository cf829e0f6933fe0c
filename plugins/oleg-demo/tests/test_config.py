"""The bundled demo.toml resolves to exactly the deployments the demo ran when they were
written in code (before the demo became a distribution): any drift changes the demo's
numbers, so it fails here first. And a user's copy fails with the file and the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from oleg.errors import ConfigError
from oleg.plugins import Plugins
from oleg_demo import DemoConfig
from oleg_demo.selection import select_policies

SCHEDULER = {
    "plugin": "virtual",
    "start": "2024-11-10T00:00:00+00:00",
    "run_for": "14d",
    "mailing_every": "2h",
    "train_every": "30m",
    "full_retrain_every": 24,
    "ingest_every": "10m",
    "feedback_every": "10m",
}
BOLTZMANN = {"pool_window": "2d", "exploration": {"kind": "boltzmann", "temperature": 0.01}}
SOURCE = {
    "plugin": "replay",
    "path": "builtin:telegram-news-ru",
    "start": "2024-11-08T00:00:00+00:00",
}
TOP_BIAS = {"plugin": "top-bias", "first_posts": 30}


def expected(
    name: str, recommender: dict, *, engine: dict = BOLTZMANN, cold_start: dict = TOP_BIAS
) -> dict:
    return {
        "deployment": {"name": f"demo-{name}", "database": "sqlite:////tmp/x.db", "seed": 0, "data_dir": "/tmp/x"},
        "engine": engine,
        "source": SOURCE,
        "sink": {"plugin": "simulated", "subscribers": 200},
        "recommender": {"plugin": name, **recommender},
        "cold_start": cold_start,
        "scheduler": SCHEDULER,
    }


EXPECTED = {
    "embedding-nn": expected(
        "embedding-nn", {"embedding_reg": 1e-4, "validation_share": 0.0, "epochs": 5, "threads": 1}
    ),
    "als": expected("als", {"factors": 16, "regularization": 10.0, "num_threads": 1}),
    "popular": expected("popular", {}),
    "random": expected("random", {}),
    "oracle": expected(
        "oracle",
        {},
        engine={"pool_window": "2d", "exploration": {"kind": "greedy"}},
        cold_start={"plugin": "none"},
    ),
}


@pytest.fixture(scope="module")
def bundled() -> DemoConfig:
    return DemoConfig.load()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bundled_policies_resolve_to_the_demos_deployments(bundled, name):
    config = bundled
    policy = config.policy(name)
    got = config.deployment(
        policy, subscribers=200, days=14, seed=0, database="sqlite:////tmp/x.db", data_dir="/tmp/x"
    )
    assert got == EXPECTED[name]
    assert [type(v) for v in got["recommender"].values()] == [
        type(v) for v in EXPECTED[name]["recommender"].values()
    ]


def test_defaults_and_a_long_run_starts_earlier(bundled):
    assert bundled.demo.recommender[0] == "embedding-nn" and bundled.demo.reference == "oracle"
    assert (bundled.demo.subscribers, bundled.demo.days, bundled.demo.seed) == (200, 14, 0)
    got = bundled.deployment(
        bundled.policy("popular"), subscribers=40, days=30, seed=3, database="sqlite:////tmp/x.db", data_dir="/tmp/x"
    )
    assert (
        got["scheduler"]["start"] == "2024-11-04T00:00:00+00:00"
        and got["scheduler"]["run_for"] == "30d"
    )
    assert got["source"]["start"] == "2024-11-02T00:00:00+00:00"
    assert got["sink"]["subscribers"] == 40 and got["deployment"]["seed"] == 3


def test_a_recommender_without_a_table_runs_on_the_base(bundled):
    got = bundled.deployment(
        bundled.policy("dot"), subscribers=200, days=14, seed=0, database="sqlite:////tmp/x.db", data_dir="/tmp/x"
    )
    assert got == {
        **EXPECTED["random"],
        "deployment": {**EXPECTED["random"]["deployment"], "name": "demo-dot"},
        "recommender": {"plugin": "dot"},
    }


def test_a_policy_may_name_its_plugin_and_a_copy_is_used(tmp_path):
    path = tmp_path / "my-demo.toml"
    text = DemoConfig.bundled_path().read_text(encoding="utf-8")
    path.write_text(
        text + '\n[policies.als-64.recommender]\nplugin = "als"\nfactors = 64\n', encoding="utf-8"
    )
    config = DemoConfig.load(path)
    policy = config.policy("als-64")
    got = config.deployment(
        policy, subscribers=200, days=14, seed=0, database="sqlite:////tmp/x.db", data_dir="/tmp/x"
    )
    assert policy.recommender == "als" and got["recommender"] == {"plugin": "als", "factors": 64}
    assert got["deployment"]["name"] == "demo-als-64"


def test_selection_defaults_explicit_names_and_none(bundled):
    plugins = Plugins()
    installed = Plugins.available()
    chosen = select_policies(bundled, plugins)
    assert chosen.headline.name == next(n for n in bundled.demo.recommender if n in installed)
    def runs(name: str) -> bool:  # its recommender and every challenger's are installed
        return all(plugin in installed for plugin in bundled.policy(name).plugins)

    assert [p.name for p in chosen.compared] == [n for n in bundled.demo.compare if runs(n)]
    assert bundled.policy("champion-challenger").plugins == ["embedding-nn", "vw-logistic", "random"]
    picked = select_policies(
        bundled, plugins, recommender="random", compare=["oracle", "random", "popular"]
    )
    assert [p.name for p in picked.policies] == ["random", "oracle", "popular"]
    assert select_policies(bundled, plugins, recommender="popular", compare=False).policies == [
        bundled.policy("popular")
    ]


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "demo.toml"
    text = DemoConfig.bundled_path().read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("days = 14", "days = 0", "[demo] days: Input should be greater than 0; got 0."),
        ("days = 14", "dayz = 14", "unknown key [demo] dayz."),
        (
            "[policies.oracle]",
            '[policies.oracle]\nengin = { pool_window = "1d" }',
            "unknown key [policies.oracle.engin]. Did you mean 'engine'?",
        ),
        (
            'plugin = "simulated"',
            'plugin = "simulated"\nsubscribers = 5',
            "[base.sink] subscribers: the demo sets it",
        ),
        (
            'plot = { color = "k", line = "--" }',
            'plot = { colour = "k" }',
            "unknown key [policies.oracle.plot] colour.",
        ),
        (
            'cold_start = { plugin = "none" }',
            'cold_stat = { plugin = "none" }',
            "unknown key [policies.oracle.cold_stat]. Did you mean 'cold_start'?",
        ),
        ("[demo]", "[demo", "malformed TOML"),
    ],
)
def test_bad_config_names_the_file_and_key(tmp_path, old, new, message):
    path = _broken(tmp_path, old, new)
    with pytest.raises(ConfigError) as info:
        DemoConfig.load(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)


def _oleg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oleg.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_write_config_copies_the_bundled_file_once(tmp_path):
    first = _oleg("demo", "--write-config", "mine.toml", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "mine.toml").read_bytes() == DemoConfig.bundled_path().read_bytes()
    again = _oleg("demo", "--write-config", "mine.toml", cwd=tmp_path)
    assert (
        again.returncode == 2
        and "exists already" in again.stderr
        and "Traceback" not in again.stderr
    )


def test_a_bad_setting_in_a_users_copy_fails_before_any_simulation(tmp_path):
    path = _broken(tmp_path, "first_posts = 30", "first_posts = -1")
    run = _oleg(
        "demo",
        "--config",
        str(path),
        "--recommender",
        "random",
        "--no-compare",
        "--out",
        "out",
        cwd=tmp_path,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert str(path) in run.stderr and "[cold_start] first_posts" in run.stderr
    assert not (tmp_path / "out").exists()


def test_dynamics_flag_turns_the_simulated_dynamics_on() -> None:
    from oleg_demo.config import DYNAMICS, DemoConfig
    from oleg_sink_simulated.sink import SimulatedSettings

    config = DemoConfig.load()
    plain = config.deployment(config.policy("popular"), subscribers=5, days=2, seed=1, database="sqlite://", data_dir=".")
    moving = config.with_dynamics()
    raw = moving.deployment(moving.policy("popular"), subscribers=5, days=2, seed=1, database="sqlite://", data_dir=".")
    assert "dynamics" not in plain["sink"]
    settings = SimulatedSettings.model_validate({k: v for k, v in raw["sink"].items() if k != "plugin"})
    assert settings.dynamics.on and settings.dynamics.fatigue_after == DYNAMICS["fatigue_after"]
