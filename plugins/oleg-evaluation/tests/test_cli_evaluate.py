"""`oleg evaluate` end to end, as a user runs it: a subprocess on small files."""

from __future__ import annotations

import json
import subprocess
import sys


def test_evaluate_ratings_writes_table_markdown_json_and_plots(oleg, tmp_path, ratings_csv, movies_csv):
    run = oleg(
        "evaluate", "ratings", str(ratings_csv), "--items", str(movies_csv), "--split", "temporal",
        "-r", "popular", "-r", "random", "-r", "popular:post_prior=1", "--k", "5", "--out", "report", cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert "NDCG@5" in run.stdout and "popular:post_prior=1" in run.stdout and "RMSE (1-5)" in run.stdout
    out = tmp_path / "report"
    results = json.loads((out / "results.json").read_text())
    summary = results["summary"]
    assert summary["popular"]["ndcg@5"] > summary["random"]["ndcg@5"]
    assert summary["popular"]["recall@5"] > summary["random"]["recall@5"]
    assert results["dataset"]["channels"] == 4 and results["splits"][0]["cold_users"] > 0
    md = (out / "report.md").read_text()
    assert "| popular |" in md and "## Plots" in md
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert "metric-ndcg_5.png" in pngs and "metric-rmse_orig.png" in pngs and "metrics.png" in pngs
    assert "![all metrics](metrics.png)" in md
    assert all((out / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_evaluate_bad_rows_stop_or_are_skipped(oleg, tmp_path, ratings_csv):
    lines = ratings_csv.read_text().splitlines()
    lines.insert(3, "7,notanid,4.0,1600000000")
    ratings_csv.write_text("\n".join(lines) + "\n")
    stopped = oleg("evaluate", "ratings", str(ratings_csv), "--out", "r1", cwd=tmp_path)
    assert stopped.returncode == 2
    assert f"{ratings_csv}, line 4: expected an integer item id, got 'notanid'" in " ".join(stopped.stderr.split())
    assert "Traceback" not in stopped.stderr
    skipped = oleg(
        "evaluate", "ratings", str(ratings_csv), "--skip-bad-rows", "--split", "kfold", "--folds", "2",
        "--metrics", "rating", "--no-plots", "--out", "r2", cwd=tmp_path,
    )
    assert skipped.returncode == 0, skipped.stderr
    assert "Skipped 1 bad rows" in skipped.stderr
    results = json.loads((tmp_path / "r2" / "results.json").read_text())
    assert results["dataset"]["skipped_rows"] == 1 and len(results["splits"]) == 2
    assert not list((tmp_path / "r2").glob("*.png"))


def test_evaluate_sequences_and_unknown_recommender(oleg, tmp_path):
    seq = tmp_path / "seq.txt"
    # items 1-3 are everyone's favourites; each user ends on one of them
    seq.write_text("".join(f"{u} {i}\n" for u in range(1, 40) for i in (10 + u % 7, 20 + u % 5, 1 + u % 3, 2 + (u + 1) % 2)))
    run = oleg("evaluate", "sequences", str(seq), "-r", "popular", "-r", "random", "--out", "s", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "leave-last-out" in run.stdout and "RMSE" not in run.stdout
    summary = json.loads((tmp_path / "s" / "results.json").read_text())["summary"]
    assert summary["popular"]["hit@10"] > summary["random"]["hit@10"]
    bad = oleg("evaluate", "sequences", str(seq), "-r", "populer", "--out", "s", cwd=tmp_path)
    assert bad.returncode == 2 and "Did you mean 'popular'" in bad.stderr


def test_the_commands_come_from_this_distribution_and_listing_them_imports_no_matplotlib_nor_optuna():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from oleg.cli.main import cli\n"
        "out = CliRunner().invoke(cli, ['--help']).output\n"
        "print('evaluate' in out, 'tune' in out, 'oleg_evaluation.plugin' in sys.modules,"
        " 'matplotlib' in sys.modules, 'optuna' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "True", "True", "False", "False"]
