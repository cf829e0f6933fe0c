"""`oleg tune` end to end, as a user runs it: a subprocess on a small ratings file and on
a small store; bad input exits 2 with a message and no traceback."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest


def test_tune_ratings_writes_the_toml_and_the_report(oleg, tmp_path, ratings_csv, movies_csv):
    run = oleg(
        "tune",
        "ratings",
        str(ratings_csv),
        "--items",
        str(movies_csv),
        "-r",
        "popular",
        "--trials",
        "8",
        "--seed",
        "5",
        "--out",
        "t",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert "RMSE (1-5) validation" in run.stdout and "[recommender]" in run.stdout
    out = tmp_path / "t"
    section = tomllib.loads((out / "best.toml").read_text())["recommender"]
    assert section["plugin"] == "popular" and set(section) >= {
        "post_prior",
        "channel_prior",
        "global_prior",
    }
    results = json.loads((out / "tune.json").read_text())
    assert results["objective"]["metric"] == "rmse_orig" and results["used"]["trials"] == 8
    assert results["budget"] == {"trials": 8, "timeout_s": None} and results["seed"] == 5
    assert results["best"]["value"] <= results["defaults"]["value"]
    assert len(results["trials"]) == 8 and all(
        "params" in t and "value" in t for t in results["trials"]
    )
    assert set(results["test"]) == {"defaults", "best"} and "rmse_orig" in results["test"]["best"]
    assert (out / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = oleg(
        "tune",
        "ratings",
        str(ratings_csv),
        "--items",
        str(movies_csv),
        "-r",
        "popular",
        "--trials",
        "8",
        "--seed",
        "5",
        "--out",
        "t2",
        "--no-plots",
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "t2" / "best.toml").read_text() == (out / "best.toml").read_text()
    assert not (tmp_path / "t2" / "history.png").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-r", "populer"], "Did you mean 'popular'"),
        (["-r", "popular", "-p", "post_priro=1:9"], "popular has no setting 'post_priro'"),
        (["-r", "popular", "-p", "post_prior=9:1"], "LOW must be below HIGH"),
        (["-r", "popular", "-p", "global_prior=0:2"], "2 is outside global_prior's bounds"),
        (["-r", "popular", "--metric", "auc", "--folds", "3"], "No such option"),
        (["-r", "popular", "--cut", "1600000000", "--test-share", "0.3"], "give one of them"),
        (["--trials", "2"], "name the recommender to tune"),
        (["-r", "popular", "--only-params"], "give at least one"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(oleg, tmp_path, ratings_csv, args, message):
    run = oleg("tune", "ratings", str(ratings_csv), *args, "--out", "bad", cwd=tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert message in " ".join(run.stderr.split())
    assert "Traceback" not in run.stderr


def _store(path, *, users=24, seed=0):
    """A store where each subscriber likes the posts of one channel of three, rated in time."""
    from oleg.store import Store
    from oleg.types import Delivery, FeedbackEvent, Policy, PolicyKind, Post

    rng = np.random.default_rng(seed)
    at = datetime(2024, 11, 10, tzinfo=UTC)
    with Store.open(f"sqlite:///{path}") as store:
        posts = store.add_posts(
            [Post(-1000 - c, m, at, channel_title=f"c{c}") for c in range(3) for m in range(1, 13)]
        )
        subs = [store.upsert_subscriber(str(i), active=True, at=at) for i in range(users)]
        pairs = [(s, p) for s in subs for p in rng.choice(posts, size=18, replace=False)]
        rng.shuffle(pairs)
        sent = store.add_deliveries(
            [
                Delivery(s.id, p.id, at + timedelta(minutes=i), Policy(PolicyKind.RECOMMENDER, "t"))
                for i, (s, p) in enumerate(pairs)
            ]
        )
        liked = [int((p.channel_id == -1000 - s.id % 3) == (rng.random() < 0.85)) for s, p in pairs]
        store.add_feedback(
            [
                FeedbackEvent(d.id, v, at + timedelta(minutes=i + 1))
                for i, (d, v) in enumerate(zip(sent, liked, strict=True))
            ]
        )
    return path


def test_tune_store_optimises_auc_of_likes(oleg, tmp_path):
    db = _store(tmp_path / "feed.db")
    run = oleg(
        "tune", "store", str(db), "-r", "popular", "--trials", "5", "--out", "s", cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    results = json.loads((tmp_path / "s" / "tune.json").read_text())
    assert (
        results["objective"]["metric"] == "auc" and results["objective"]["direction"] == "maximize"
    )
    assert (
        results["dataset"]["kind"] == "binary"
        and results["best"]["value"] >= results["defaults"]["value"]
    )
    missing = oleg("tune", "store", str(tmp_path / "nope.db"), "-r", "popular", cwd=tmp_path)
    assert (
        missing.returncode == 2
        and "no such SQLite store" in missing.stderr
        and "Traceback" not in missing.stderr
    )


def test_tune_store_of_a_deployment_takes_its_store_and_its_recommender(oleg, tmp_path):
    _store(tmp_path / "feed.db")
    deploy = tmp_path / "deploy.toml"
    deploy.write_text(
        '[deployment]\nname = "t"\ndatabase = "sqlite:///feed.db"\n\n'
        '[source]\nplugin = "replay"\npath = "builtin:telegram-news-ru"\n\n'
        '[sink]\nplugin = "console"\nsubscribers = ["me"]\n\n'
        '[recommender]\nplugin = "popular"\n\n[cold_start]\nplugin = "none"\n\n'
        '[scheduler]\nplugin = "virtual"\n'
    )
    run = oleg("tune", "store", str(deploy), "--trials", "3", "--out", "d", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    section = tomllib.loads((tmp_path / "d" / "best.toml").read_text())["recommender"]
    assert section["plugin"] == "popular"
    assert json.loads((tmp_path / "d" / "tune.json").read_text())["dataset"]["name"] == "feed"
