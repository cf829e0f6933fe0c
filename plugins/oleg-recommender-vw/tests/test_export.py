"""``oleg export vw``: VW's command line trained on the exported file predicts what the
plugin predicts after a full fit on the same store."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
from oleg.config.sections import UnansweredSettings
from oleg.engine.feedback_log import FeedbackLog
from oleg.testing.runtime import static_runtime
from oleg.types import Candidates, Delivery, Policy, PolicyKind
from oleg_recommender_vw.export import write_examples
from oleg_recommender_vw.model import VwLogisticRecommender
from oleg_recommender_vw.settings import VwSettings

SETTINGS = VwSettings(interactions=["uc", "uk", "um", "uw", "hc"], passes=2, l2=1e-6)


def vw_cli(*args: str, cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vowpalwabbit", *args, "--quiet"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_vw_command_line_on_the_export_predicts_like_the_plugin(store, tmp_path) -> None:
    out = tmp_path / "feedback.vw"
    summary = write_examples(store, SETTINGS, out, seed=0)
    lines = out.read_text().splitlines()
    assert summary.examples == len(lines) == len(store.feedback()[0]) > 300
    assert any("|w " in line for line in lines) and any("|m photo" in line for line in lines)
    assert any(" |h ch:" in line for line in lines)

    assert_cli_predicts_like_the_plugin(store, store.feedback()[0], summary.flags, out, tmp_path)


def assert_cli_predicts_like_the_plugin(store, feedback, flags, out: Path, tmp_path: Path) -> None:
    """VW's command line trained on ``out`` scores posts as the plugin fitted on
    ``feedback`` does."""
    model = VwLogisticRecommender(SETTINGS, seed=0)
    model.start(static_runtime(store, tmp_path))  # media and words from the same store
    model.fit(feedback)
    vw_cli(*flags, "-d", str(out), "-f", "cli.model", cwd=tmp_path)

    posts = store.posts_by_id(list(range(1, 200)))
    cands = Candidates.from_posts(posts)
    now = int(cands.time.max()) + 3600
    queries = tmp_path / "queries.vw"
    for user in (1, 5, 9):
        queries.write_text(
            "".join(
                f"{line}\n" for line in model.writer.scoring_lines(user, cands, now, model.portrait)
            )
        )
        vw_cli("-t", "-i", "cli.model", "-d", str(queries), "-p", f"p{user}.txt", cwd=tmp_path)
        theirs = np.loadtxt(tmp_path / f"p{user}.txt")
        ours = 1 / (1 + np.exp(-model.margins(user, cands, now=now)))
        assert theirs.std() > 1e-3
        np.testing.assert_allclose(ours, theirs, atol=2e-6)  # VW prints 6 decimals


def test_the_export_holds_the_unanswered_posts_the_engine_hands_a_full_fit(store, tmp_path) -> None:
    """With ``[engine.unanswered]`` the file has the posts left unanswered too, as ``-1
    <weight>`` in the engine's order, and VW trained on it still predicts like the plugin
    fitted on what the engine hands it."""
    policy = Policy(PolicyKind.RECOMMENDER, "vw-logistic")
    posts = store.posts_by_id(list(range(1, 121)))
    quiet = [store.upsert_subscriber(f"quiet{i}", active=True, at=posts[0].date) for i in (1, 2)]
    sent = store.add_deliveries(
        [
            Delivery(quiet[0].id, p.id, p.date + timedelta(hours=2), policy, status="sent")
            for p in posts[:60]
        ]
        + [
            Delivery(quiet[1].id, p.id, p.date + timedelta(hours=2), policy, status="sent")
            for p in posts[60:90]
        ]
    )
    assert len(sent) == 90
    unanswered = UnansweredSettings(after=timedelta(hours=1), weight=0.3)
    now = max(p.date for p in posts) + timedelta(days=1)
    out = tmp_path / "feedback.vw"
    summary = write_examples(store, SETTINGS, out, seed=0, unanswered=unanswered, now=now)
    lines = out.read_text().splitlines()
    ratings = len(store.feedback()[0])
    assert summary.unanswered == 90 and summary.examples == len(lines) == ratings + 90
    assert sum(line.startswith("-1 0.3 |") for line in lines) == 90
    log = FeedbackLog(unanswered=unanswered)
    log.catch_up(store, now)
    assert_cli_predicts_like_the_plugin(store, log.training(), summary.flags, out, tmp_path)


def test_oleg_export_vw_command(store, tmp_path) -> None:
    deploy = tmp_path / "deploy.toml"
    deploy.write_text(
        '[deployment]\nname = "t"\ndatabase = "sqlite:///store.db"\n'
        '[source]\nplugin = "replay"\npath = "builtin:telegram-news-ru"\n'
        '[sink]\nplugin = "simulated"\nsubscribers = 3\n'
        '[recommender]\nplugin = "vw-logistic"\n'
        'namespaces = ["u", "c", "w"]\ninteractions = ["uw"]\n'
        '[scheduler]\nplugin = "virtual"\nstart = "2024-11-10T00:00:00Z"\nrun_for = "1h"\n'
    )
    env = {**os.environ, "COLUMNS": "300"}
    done = subprocess.run(
        [sys.executable, "-m", "oleg.cli", "export", "vw", str(deploy), "--out", "x.vw"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "--interactions uw" in done.stdout and "python -m vowpalwabbit" in done.stdout
    first = (tmp_path / "x.vw").read_text().splitlines()[0]
    assert (
        first.split(" |")[1].startswith("u ") and "|p " not in first
    )  # the deployment's namespaces

    missing = subprocess.run(
        [sys.executable, "-m", "oleg.cli", "export", "vw", str(deploy), "--out", "no/such/x.vw"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert (
        missing.returncode == 2
        and "does not exist" in missing.stderr
        and "Traceback" not in missing.stderr
    )
