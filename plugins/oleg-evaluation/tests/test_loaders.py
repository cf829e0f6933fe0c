"""Data sources: ratings CSV, item -> channel mappings, sequences, a store; bad rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from oleg.errors import DataError
from oleg.types import Delivery, FeedbackEvent, Policy, PolicyKind, Post
from oleg_evaluation import load_item_channels, load_ratings, load_sequences, load_store


def test_ratings_are_rescaled_and_keep_their_ids(ratings_csv, movies_csv):
    data = load_ratings(ratings_csv, items=movies_csv)
    inter = data.interactions
    assert data.kind == "explicit" and data.scale == (1.0, 5.0) and data.positive_at == 4.0
    assert inter.value.min() == 0.0 and inter.value.max() == 1.0
    np.testing.assert_allclose(data.to_original(inter.value[:5]), [float(x.split(",")[2]) for x in ratings_csv.read_text().splitlines()[1:6]])
    assert inter.user.dtype == np.int64 and inter.user.min() == 1 and inter.post.max() <= 80
    assert data.positive(np.array([0.74, 0.75, 1.0])).tolist() == [False, True, True]  # 4 stars on 1..5 = 0.75
    # first genre is the channel: movie 1 is "Drama|Action" -> Drama
    names = data.channel_names
    assert names[int(inter.channel[inter.post == 1][0])] == "Drama"
    liked = data.binarized()
    assert liked.kind == "binary" and set(np.unique(liked.interactions.value)) <= {0.0, 1.0}
    assert liked.interactions.value.sum() == (inter.value >= 0.75).sum()


def test_ratings_columns_scale_and_binary(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text("who\twhat\tstars\twhen\n7\t70\t1\t2024-01-02T00:00:00\n8\t80\t0\t2024-01-01T00:00:00+00:00\n")
    data = load_ratings(path, user_col="who", item_col="what", rating_col="stars", time_col="when", delimiter="\t")
    assert data.kind == "binary" and data.interactions.value.tolist() == [1.0, 0.0]
    assert data.interactions.time[0] - data.interactions.time[1] == 86400
    scaled = load_ratings(path, user_col="who", item_col="what", rating_col="stars", scale=(0, 10), positive_at=5,
                          delimiter="\t")
    assert scaled.kind == "explicit" and scaled.interactions.value.tolist() == [0.1, 0.0]
    assert scaled.interactions.time.tolist() == [0, 1]  # no time column found: the row order
    with pytest.raises(DataError, match="no user column 'nobody'"):
        load_ratings(path, user_col="nobody", delimiter="\t")


BAD = "userId,movieId,rating,timestamp\n1,10,4.0,100\n1,xx,3.0,101\n2,10,4.5\n2,11,five,103\n3,12,2.0,104\n"


def test_bad_rows_name_the_file_and_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    with pytest.raises(DataError) as exc:
        load_ratings(path)
    assert f"{path}, line 3: expected an integer item id, got 'xx'" in str(exc.value)
    assert "--skip-bad-rows" in str(exc.value)


def test_bad_rows_skipped_and_counted(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    data = load_ratings(path, skip_bad=True)
    assert len(data) == 2 and data.skipped == 3
    assert [e.split(": ", 1)[0] for e in data.skipped_examples] == [f"{path}, line {n}" for n in (3, 4, 5)]
    assert "expected 4 columns" in data.skipped_examples[1]
    assert "expected a rating a number, got 'five'" in data.skipped_examples[2]


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_ratings(tmp_path / "absent.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="empty"):
        load_ratings(tmp_path / "empty.csv")
    only_bad = tmp_path / "only_bad.csv"
    only_bad.write_text("user,item,rating\nx,1,2\n")
    with pytest.raises(DataError, match=r"no ratings read \(1 bad rows skipped\)"):
        load_ratings(only_bad, skip_bad=True)


def test_item_channel_files(tmp_path, movies_csv):
    ids = tmp_path / "ids.csv"
    ids.write_text("item,channel\n1,-1001\n2,-1002\n")
    assert load_item_channels(ids).channel_of == {1: -1001, 2: -1002}
    named = tmp_path / "named.csv"
    named.write_text("post_id,source\n1,news\n2,art\n3,news\n")
    mapping = load_item_channels(named, "source")
    assert mapping.names == {1: "art", 2: "news"} and mapping.channel_of == {1: 2, 2: 1, 3: 2}
    assert mapping.lookup(np.array([3, 99])).tolist() == [2, 0]
    genre = load_item_channels(movies_csv, "first-genre")
    assert genre.names[genre.channel_of[1]] == "Drama"  # the title holds a quoted comma
    bad = tmp_path / "bad.csv"
    bad.write_text("movieId,title,genres\n1,A,Drama\nfoo,B,Comedy\n")
    with pytest.raises(DataError, match=r"bad.csv, line 3: expected an integer item id"):
        load_item_channels(bad)
    assert load_item_channels(bad, skip_bad=True).skipped == 1
    with pytest.raises(DataError, match="neither a 'channel' nor a 'genres'"):
        load_item_channels(tmp_path / "named.csv")


def test_sequences_time_is_the_position(tmp_path):
    path = tmp_path / "seq.txt"
    path.write_text("1 5\n2 7\n1 6\n# a comment\n\n1 5\n2 8\n")
    data = load_sequences(path)
    inter = data.interactions
    assert data.kind == "implicit" and (inter.value == 1).all()
    assert inter.user.tolist() == [1, 2, 1, 1, 2]
    assert inter.time.tolist() == [0, 0, 1, 2, 1]
    path.write_text("1 5\n1 5 9\n")
    with pytest.raises(DataError, match=r"seq.txt, line 2: expected 2 fields"):
        load_sequences(path)
    assert load_sequences(path, skip_bad=True).skipped == 1


def test_store_source(tmp_path):
    from oleg.store import Store

    db = tmp_path / "demo-popular.db"
    at = datetime(2024, 11, 10, tzinfo=UTC)
    with Store.open(f"sqlite:///{db}") as store:
        posts = store.add_posts([Post(-1001, m, at, channel_title="c") for m in range(1, 4)])
        subs = [store.upsert_subscriber(str(i), active=True, at=at) for i in range(2)]
        sent = store.add_deliveries(
            [Delivery(s.id, p.id, at + timedelta(minutes=i), Policy(PolicyKind.RECOMMENDER, "test")) for i, (s, p) in enumerate((s, p) for s in subs for p in posts)]
        )
        store.add_feedback([FeedbackEvent(d.id, i % 2, at + timedelta(hours=i)) for i, d in enumerate(sent)])
    data = load_store(str(db))  # a plain path is a SQLite file
    assert data.kind == "binary" and len(data) == 6 and data.name == "demo-popular"
    assert (data.interactions.channel == -1001).all()
    assert data.interactions.value.tolist() == [0, 1, 0, 1, 0, 1]
    with pytest.raises(DataError, match="no such SQLite store"):
        load_store(str(tmp_path / "nope.db"))
    empty = tmp_path / "empty.db"
    Store.open(f"sqlite:///{empty}").close()
    with pytest.raises(DataError, match="no feedback"):
        load_store(f"sqlite:///{empty}")


def test_bytes_that_are_not_utf8_and_numbers_beyond_64_bits_name_the_line(tmp_path):
    import gzip

    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"userId,movieId,rating,timestamp\n1,2,4.0,100\n1,3,4.0,100\n1,4,4.0,\xe9t\xe9\n")
    with pytest.raises(DataError, match=r"latin.csv, line 4: not UTF-8 text"):
        load_ratings(latin)
    big = tmp_path / "big.csv"
    big.write_text("userId,movieId,rating,timestamp\n1,2,4.0,100\n1,99999999999999999999999,4.0,100\n")
    with pytest.raises(DataError, match=r"big.csv, line 3: expected an integer item id"):
        load_ratings(big)
    late = tmp_path / "late.csv"
    late.write_text("userId,movieId,rating,timestamp\n1,2,4.0,100\n1,3,4.0,1e30\n")
    with pytest.raises(DataError, match=r"late.csv, line 3: expected a Unix time"):
        load_ratings(late)
    seq = tmp_path / "seq.txt.gz"
    seq.write_bytes(gzip.compress(b"1 2\n1 3\n\xff 4\n"))
    with pytest.raises(DataError, match=r"seq.txt.gz, line 3: not UTF-8 text"):
        load_sequences(seq)
