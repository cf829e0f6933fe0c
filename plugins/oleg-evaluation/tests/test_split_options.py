"""Splits on the command line: a random holdout, Unix seconds for --cut, --train/--test, and
options that do not apply to the chosen split refused (exit 2) instead of ignored."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from oleg.cli.main import cli
from oleg_evaluation import holdout, load_ratings, make_splits, temporal


def evaluate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["evaluate", *args], catch_exceptions=False)
    return result.exit_code, " ".join(result.output.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--split", "kfold", "--test-share", "0.3"], "--test-share does not apply to --split kfold (it reads --folds)"),
        (["--split", "kfold", "--cut", "1600000000"], "--cut does not apply to --split kfold"),
        (["--split", "holdout", "--folds", "3"], "--folds does not apply to --split holdout (it reads --test-share)"),
        (["--split", "temporal", "--last", "2"], "--last does not apply to --split temporal"),
        (["--split", "leave-last-out", "--test-share", "0.1", "--folds", "3"],
         "--test-share, --folds do not apply to --split leave-last-out (it reads --last)"),
        (["--cut", "1600500000", "--test-share", "0.1"], "--cut and --test-share both place the temporal cut"),
    ],
)
def test_an_option_of_another_split_is_refused(ratings_csv: Path, tmp_path: Path, args: list[str], message: str) -> None:
    code, out = evaluate("ratings", str(ratings_csv), *args, "--out", str(tmp_path / "r"), "--no-plots")
    assert code == 2 and message in out
    assert not (tmp_path / "r").exists()


def test_the_split_options_of_the_sequences_command_are_checked_too(tmp_path: Path) -> None:
    seq = tmp_path / "seq.txt"
    seq.write_text("1 1\n1 2\n2 1\n2 3\n")
    code, out = evaluate("sequences", str(seq), "--test-share", "0.5", "--out", str(tmp_path / "s"))
    assert code == 2 and "--test-share does not apply to --split leave-last-out" in out


def test_cut_takes_unix_seconds_and_date_times_alike(ratings_csv: Path, tmp_path: Path) -> None:
    code, _ = evaluate("ratings", str(ratings_csv), "--cut", "1600864000", "-r", "popular", "--no-plots",
                       "--out", str(tmp_path / "a"))
    assert code == 0
    code, _ = evaluate("ratings", str(ratings_csv), "--cut", "2020-09-23T12:26:40", "-r", "popular", "--no-plots",
                       "--out", str(tmp_path / "b"))
    assert code == 0
    a, b = (json.loads((tmp_path / d / "results.json").read_text()) for d in "ab")
    assert a["splits"] == b["splits"] and "cut at 2020-09-23T12:26:40" in a["splits"][0]["name"]
    quality = [m for m in a["summary"]["popular"] if not m.endswith("_s")]
    assert all(a["summary"]["popular"][m] == b["summary"]["popular"][m] for m in quality)
    data = load_ratings(ratings_csv)
    cut = temporal(data, at=1600864000)
    assert (cut.test(data).time >= 1600864000).all() and (cut.train(data).time < 1600864000).all()
    code, out = evaluate("ratings", str(ratings_csv), "--cut", "soon", "--out", str(tmp_path / "c"))
    assert code == 2 and "expected Unix seconds or an ISO 8601 date-time, got 'soon'" in out


def test_a_random_holdout_has_the_test_share_and_its_seed(ratings_csv: Path) -> None:
    data = load_ratings(ratings_csv)
    split = holdout(data, test_share=0.25, seed=3)
    assert len(split.test_rows) == round(0.25 * len(data))
    assert len(np.intersect1d(split.train_rows, split.test_rows)) == 0
    assert len(split.train_rows) + len(split.test_rows) == len(data)
    again = make_splits(data, "holdout", seed=3, quantile=0.75)[0]
    np.testing.assert_array_equal(again.test_rows, split.test_rows)
    other = holdout(data, test_share=0.25, seed=4)
    assert not np.array_equal(other.test_rows, split.test_rows)
    # not the latest ratings: a random draw spans the whole time range
    assert split.test(data).time.min() < np.quantile(data.interactions.time, 0.1)


def test_train_and_test_files_on_the_command_line(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = [(u, i, int(rng.integers(1, 6))) for u in range(1, 31) for i in rng.choice(40, 12, replace=False) + 1]
    (tmp_path / "train.tsv").write_text("".join(f"{u}\t{i}\t{r}\n" for u, i, r in rows[:300]))
    (tmp_path / "test.tsv").write_text("".join(f"{u}\t{i}\t{r}\n" for u, i, r in rows[300:]))
    base = ["ratings", "--train", str(tmp_path / "train.tsv"), "--test", str(tmp_path / "test.tsv"),
            "--delimiter", "tab", "--columns", "user,item,rating", "--no-plots"]
    code, out = evaluate(*base, "-r", "popular", "--out", str(tmp_path / "r"))
    assert code == 0, out
    report = json.loads((tmp_path / "r" / "results.json").read_text())
    assert report["splits"][0]["train_rows"] == 300 and report["splits"][0]["test_rows"] == len(rows) - 300
    assert report["splits"][0]["name"].startswith("given files")
    code, out = evaluate(*base, "-r", "popular", "--ranking", "own", "--metrics", "ranking", "--out", str(tmp_path / "o"))
    assert code == 0 and "NDCG@10 (own)" in out and "Coverage@10" not in out
    code, out = evaluate(*base, "--split", "holdout", "--out", str(tmp_path / "x"))
    assert code == 2 and "--split does not apply to the split of --train/--test" in out
    code, out = evaluate("ratings", "--train", str(tmp_path / "train.tsv"), "--out", str(tmp_path / "y"))
    assert code == 2 and "--test FILE is missing" in out
    code, out = evaluate("ratings", str(tmp_path / "train.tsv"), "--test", str(tmp_path / "test.tsv"))
    assert code == 2 and "give PATH or --train FILE --test FILE, not both" in out
