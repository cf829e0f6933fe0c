"""Reading any ratings file: headerless ones (named columns or indices), a train and a test
file, counts as values; a missing column names the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from oleg.errors import DataError
from oleg_evaluation import RatingsFormat, load_ratings, load_train_test

LINES = ["196\t242\t3\t881250949", "186\t302\t5\t891717742", "22\t377\t1\t878887116", "244\t51\t2\t880606923"]


@pytest.fixture
def udata(tmp_path: Path) -> Path:
    """MovieLens 100K's u.data layout: user item rating time, tab separated, no header."""
    path = tmp_path / "u.data"
    path.write_text("\n".join(LINES) + "\n")
    return path


def test_a_headerless_file_read_by_names_keeps_its_first_line(udata: Path) -> None:
    data = load_ratings(udata, delimiter="\t", columns=["user", "item", "rating", "time"])
    inter = data.interactions
    assert len(data) == 4 and inter.user.tolist() == [196, 186, 22, 244]
    assert inter.post.tolist() == [242, 302, 377, 51] and inter.time[0] == 881250949
    assert data.kind == "explicit" and data.scale == (1.0, 5.0)
    assert data.to_original(inter.value).tolist() == [3, 5, 1, 2]


def test_a_headerless_file_read_by_indices_and_ignored_columns(udata: Path) -> None:
    by_index = load_ratings(udata, delimiter="\t", user_col="0", item_col="1", rating_col="2", time_col="3")
    named = load_ratings(udata, delimiter="\t", columns=["user", "item", "rating", "time"])
    np.testing.assert_array_equal(by_index.interactions.time, named.interactions.time)
    np.testing.assert_array_equal(by_index.interactions.value, named.interactions.value)
    # the time ignored: the row order is the time
    untimed = load_ratings(udata, delimiter="\t", columns=["user", "item", "rating", "-"])
    assert untimed.interactions.time.tolist() == [0, 1, 2, 3]
    # swapped names read other columns: user and item exchanged
    swapped = load_ratings(udata, delimiter="\t", columns=["item", "user", "rating", "time"])
    assert swapped.interactions.user.tolist() == [242, 302, 377, 51]


def test_a_headerless_file_without_names_says_how_to_name_them(udata: Path) -> None:
    with pytest.raises(DataError) as exc:
        load_ratings(udata, delimiter="\t")
    text = str(exc.value)
    assert f"{udata}, line 1: no user / item / rating column" in text
    assert "no header (line 1 is 196, 242, 3, 881250949)" in text and "--columns user,item,rating,time" in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"columns": ["user", "item", "time"]}, "no rating column; --columns gives user, item, time"),
        ({"columns": ["user", "item", "rating", "time", "extra"]}, "--columns names 5 columns"),
        ({"user_col": "0", "item_col": "1", "rating_col": "9"}, "no rating column 9: lines have 4 columns"),
        ({"columns": ["user", "item", "rating", "time"], "time_col": "when"}, "no time column 'when'"),
    ],
)
def test_a_missing_column_names_the_file(udata: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(DataError, match=message) as exc:
        load_ratings(udata, delimiter="\t", **kwargs)
    assert str(udata) in str(exc.value)


def test_a_header_is_still_found_and_can_be_forced(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("userId,movieId,rating,timestamp\n1,10,4,100\n2,10,2,101\n")
    assert len(load_ratings(path)) == 2
    # a first line that is data, but said to be a header, is skipped
    data = tmp_path / "d.csv"
    data.write_text("1,10,4,100\n2,10,2,101\n3,11,5,102\n")
    forced = load_ratings(data, header=True, columns=["user", "item", "rating", "time"])
    assert forced.interactions.user.tolist() == [2, 3]


def test_train_and_test_files_share_one_scale_and_keep_their_rows(tmp_path: Path) -> None:
    train, test = tmp_path / "train.tsv", tmp_path / "test.tsv"
    train.write_text("1\t10\t4\n1\t11\t2\n2\t10\t5\n")
    test.write_text("1\t12\t1\n2\t11\t3\n")
    data, split = load_train_test(train, test, RatingsFormat(delimiter="\t", columns=("user", "item", "rating")))
    assert data.scale == (1.0, 5.0) and len(data) == 5
    assert split.train_rows.tolist() == [0, 1, 2] and split.test_rows.tolist() == [3, 4]
    assert split.test(data).post.tolist() == [12, 11]
    assert data.to_original(split.test(data).value).tolist() == [1, 3]
    # no time column: the test's rows come after the train's
    assert split.test(data).time.min() > split.train(data).time.max()
    assert "train.tsv" in split.name and "test.tsv" in split.name


def test_counts_are_kept_as_values_of_positives(tmp_path: Path) -> None:
    path = tmp_path / "plays.tsv"
    path.write_text("user\titem\tplays\n1\t10\t250\n1\t11\t3\n2\t10\t1\n")
    data = load_ratings(path, delimiter="\t", rating_col="plays", counts=True)
    assert data.kind == "implicit" and data.scale is None
    assert data.interactions.value.tolist() == [250, 3, 1]
    assert data.positive(data.interactions.value).all()
    path.write_text("user\titem\tplays\n1\t10\t250\n1\t11\t0\n")
    with pytest.raises(DataError, match=r"line 3: expected a count above 0, got '0'"):
        load_ratings(path, delimiter="\t", rating_col="plays", counts=True)
