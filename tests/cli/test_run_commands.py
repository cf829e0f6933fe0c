"""`oleg run`, `oleg models` and `oleg train` on a small copy of examples/demo.toml."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parents[2] / "examples" / "demo.toml"


def oleg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oleg.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_run_twice_continues_then_models_and_train(tmp_path):
    deploy = tmp_path / "deploy.toml"
    deploy.write_text(
        EXAMPLE.read_text().replace('run_for = "3d"', 'run_for = "12h"').replace("subscribers = 200", "subscribers = 20")
    )
    first = oleg("run", str(deploy), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Stopped" in first.stdout
    db = sqlite3.connect(tmp_path / "demo.db")  # relative to the deployment file
    n1 = db.execute("select count(*) from delivery").fetchone()[0]
    assert n1 > 0
    second = oleg("run", str(deploy), cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    n2, distinct = db.execute("select count(*), count(distinct subscriber_id || '-' || post_id) from delivery").fetchone()
    assert n2 > n1 and n2 == distinct
    first_day = db.execute("select min(sent_at), max(sent_at) from delivery").fetchone()
    assert first_day[1][:10] == "2024-11-10" and first_day[1] > first_day[0]

    models = oleg("models", str(deploy), cwd=tmp_path)
    assert models.returncode == 0 and "popular" in models.stdout and "champion" in models.stdout
    before = db.execute("select count(*) from model_version").fetchone()[0]
    trained = oleg("train", str(deploy), cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert db.execute("select count(*) from model_version").fetchone()[0] == before + 1
    new_id, kind, status = db.execute("select id, kind, status from model_version order by id desc limit 1").fetchone()
    assert (kind, status) == ("full", "candidate") and f"oleg models promote {deploy} {new_id}" in trained.stdout

    # by hand: promote the new version, then roll back to the champion it replaced
    champion = db.execute("select id from model_version where status = 'champion'").fetchone()[0]
    promoted = oleg("models", "promote", str(deploy), str(new_id), cwd=tmp_path)
    assert promoted.returncode == 0, promoted.stderr
    assert db.execute("select id from model_version where status = 'champion'").fetchone()[0] == new_id
    assert db.execute("select status from model_version where id = ?", (champion,)).fetchone()[0] == "retired"
    back = oleg("models", "rollback", str(deploy), cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    assert db.execute("select id from model_version where status = 'champion'").fetchone()[0] == champion
    assert db.execute("select status from model_version where id = ?", (new_id,)).fetchone()[0] == "rejected"
    outcomes = [r[0] for r in db.execute("select outcome from model_decision order by id desc limit 2")]
    assert outcomes == ["rollback", "manual"]
    shown = oleg("models", str(deploy), cwd=tmp_path)
    assert "rolled back by hand" in shown.stdout and "Lines of models" in shown.stdout
    # and what cannot be done is said, with exit code 2
    missing = oleg("models", "promote", str(deploy), "9999", cwd=tmp_path)
    assert missing.returncode == 2 and "no model version 9999" in missing.stderr and "Traceback" not in missing.stderr
    again = oleg("models", "promote", str(deploy), str(champion), cwd=tmp_path)
    assert again.returncode == 2 and "champion already" in again.stderr

    # with [engine.unanswered], `oleg train` learns the posts left unanswered as the engine does
    deploy.write_text(deploy.read_text() + '\n[engine.unanswered]\nafter = "1h"\nweight = 0.3\n')
    unanswered = db.execute(
        "select count(*) from delivery d left join feedback f on f.delivery_id = d.id"
        " where f.id is null and d.status = 'sent'"
    ).fetchone()[0]
    assert unanswered > 0
    weak = oleg("train", str(deploy), cwd=tmp_path)
    assert weak.returncode == 0, weak.stderr
    assert f"and {unanswered} unanswered posts (weak 👎)" in weak.stdout
    metrics = db.execute("select metrics from model_version order by id desc limit 1").fetchone()[0]
    assert f'"n_unanswered": {unanswered}' in metrics
