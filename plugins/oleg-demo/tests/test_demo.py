"""`oleg demo` end to end, kept small: the full-size run is the README's first command."""

from __future__ import annotations

import json
import subprocess
import sys

from oleg_demo import run_demo
from rich.console import Console


def test_demo_reports_every_policy(tmp_path):
    result = run_demo(
        recommender="popular", subscribers=40, days=3, seed=3, out=tmp_path, console=Console(quiet=True)
    )
    assert set(result.runs) == {"popular", "random", "als", "oracle"}  # those installed
    for run in result.runs.values():
        assert len(run.days) == 3
        # every subscriber joined by the end of day 2 and gets 12 posts a day from then on
        assert run.days[-1]["deliveries"] == 40 * 12
    rates = {name: run.like_rate() for name, run in result.runs.items()}
    assert rates["oracle"] > rates["popular"] and rates["oracle"] > rates["random"] + 0.3
    assert 0.15 < rates["random"] < 0.35
    # the plot's band comes from each run's own store: every subscriber, rates around the line's
    for name, spread in result.spreads.items():
        assert spread.window.subscribers == 40
        assert spread.window.low <= result.last_week()[name] + 0.05 and spread.window.low < spread.window.high
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["runs"]["oracle"]["like_rate"] == rates["oracle"]
    assert data["last_week_spread"]["oracle"]["median"] == result.spreads["oracle"].window.median
    assert (tmp_path / "like_rate.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (tmp_path / "report.md").read_text()
    assert "![like rate by day](like_rate.png)" in page and "| **days 1-3** |" in page
    assert "decisions by outcome" in page and "| popular | " in page  # every policy's registry


def test_the_champion_challenger_policy_never_serves_its_broken_model(tmp_path):
    result = run_demo(
        recommender="popular", compare=["champion-challenger"], subscribers=40, days=3, seed=3,
        out=tmp_path, console=Console(quiet=True),
    )
    page = (tmp_path / "report.md").read_text()
    data = json.loads((tmp_path / "results.json").read_text())
    # the registry's timeline: three lines judged, the broken one never served
    cc = result.runs["champion-challenger"]
    assert cc.lines == ["broken", "embedding-nn", "vw-logistic"]
    assert cc.served_share("broken") == 0 and sum(cc.served_share(n) for n in cc.lines) == 1
    assert "promoted" not in cc.decisions["broken"] and sum(cc.decisions["broken"].values()) >= 3
    assert "## champion-challenger: the model registry" in page and "| broken | 0% | 0% |" in page
    assert (tmp_path / "models_champion-challenger.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert data["runs"]["champion-challenger"]["decisions"] == cc.decisions


def test_demo_command_same_seed_same_numbers(tmp_path):
    def once(folder):
        out = subprocess.run(
            [sys.executable, "-m", "oleg.cli", "demo", "--subscribers", "15", "--days", "1", "--seed", "5",
             "--no-compare", "--recommender", "random", "--out", str(folder)],
            capture_output=True, text=True, timeout=300,
        )
        assert out.returncode == 0, out.stderr
        return json.loads((folder / "results.json").read_text())["runs"]["random"]["days"]

    assert once(tmp_path / "a") == once(tmp_path / "b")


def test_demo_unknown_recommender_is_a_user_error(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "oleg.cli", "demo", "--recommender", "randon", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "Did you mean 'random'?" in out.stderr


def test_demo_compare_picks_the_policies_beside_it_in_order(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "oleg.cli", "demo", "--subscribers", "10", "--days", "1", "--recommender", "random",
         "--compare", "oracle,random", "--compare", "popular", "--workers", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads((tmp_path / "results.json").read_text())
    assert list(data["runs"]) == ["random", "oracle", "popular"] and data["recommender"] == "random"
    assert "| day | random | oracle | popular |" in (tmp_path / "report.md").read_text()
    assert sorted(p.name for p in tmp_path.glob("demo-*.db")) == ["demo-oracle.db", "demo-popular.db", "demo-random.db"]


def test_demo_compare_and_no_compare_exclude_each_other(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "oleg.cli", "demo", "--compare", "oracle", "--no-compare", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 2 and "exclude each other" in out.stderr and "Traceback" not in out.stderr
