"""The replay source: date order, poll semantics, filters, file formats and bad rows."""

from __future__ import annotations

import csv
import gzip
import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from oleg.errors import DataError
from oleg_source_replay.reader import read_posts
from oleg_source_replay.source import ReplaySettings, ReplaySource
from pydantic import ValidationError

T0 = datetime(2024, 11, 10, 12, 0, tzinfo=UTC)

ROWS = [
    {"channel_id": -1001, "message_id": 3, "date": "2024-11-10T12:20:00+00:00", "category": "it"},
    {
        "channel_id": -1001,
        "message_id": 1,
        "date": "2024-11-10T12:00:00+00:00",
        "text": "hello world",
    },
    {"channel_id": -1002, "message_id": 7, "date": "2024-11-10T12:10:00", "channel": "Two"},
    {"channel_id": -1002, "message_id": 8, "date": "2024-11-10T15:10:00+03:00"},  # 12:10 UTC
    {
        "channel_id": -1001,
        "message_id": 2,
        "date": "2024-11-11T00:00:00Z",
        "media_kind": "photo",
        "album_id": 55,
    },
]


def write_jsonl(path: Path, rows: list[object]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    data = "\n".join(lines) + "\n"
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def source(path: Path | str, **kw: object) -> ReplaySource:
    return ReplaySource(ReplaySettings(path=path, **kw))


@pytest.fixture
def posts_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "posts.jsonl", ROWS)


# -- order and poll ------------------------------------------------------------------------


def test_posts_come_sorted_by_date_with_ties_by_channel_then_message(posts_file: Path) -> None:
    src = source(posts_file)
    assert [p.key for p in src.posts] == [
        (-1001, 1),
        (-1002, 7),
        (-1002, 8),
        (-1001, 3),
        (-1001, 2),
    ]
    assert src.first_date() == T0


def test_poll_returns_posts_up_to_now_inclusive_and_each_once(posts_file: Path) -> None:
    src = source(posts_file)
    assert src.poll(T0 - timedelta(seconds=1)) == []
    assert [p.message_id for p in src.poll(T0)] == [1]
    assert src.poll(T0) == []
    assert [p.message_id for p in src.poll(T0 + timedelta(minutes=15))] == [7, 8]
    assert [p.message_id for p in src.poll(T0 + timedelta(days=5))] == [3, 2]
    assert src.poll(T0 + timedelta(days=6)) == []
    assert src.remaining == 0


def test_poll_going_back_in_time_returns_nothing_again(posts_file: Path) -> None:
    src = source(posts_file)
    assert len(src.poll(T0 + timedelta(minutes=15))) == 3
    assert src.poll(T0) == []
    assert [p.message_id for p in src.poll(T0 + timedelta(minutes=20))] == [3]


def test_naive_now_and_naive_dates_are_utc(posts_file: Path) -> None:
    src = source(posts_file)
    batch = src.poll(datetime(2024, 11, 10, 12, 10))
    assert [p.message_id for p in batch] == [1, 7, 8]
    assert all(p.date.tzinfo is not None and p.date.utcoffset() == timedelta(0) for p in batch)


def test_file_is_read_lazily(tmp_path: Path) -> None:
    src = source(tmp_path / "absent.jsonl")  # constructing does not touch the file
    with pytest.raises(DataError, match=r"absent\.jsonl"):
        src.poll(T0)


def test_fields_are_mapped_and_text_dropped_by_default(posts_file: Path) -> None:
    by_key = {p.key: p for p in source(posts_file).posts}
    assert by_key[(-1002, 7)].channel_title == "Two"
    assert by_key[(-1001, 3)].category == "it"
    assert by_key[(-1001, 2)].media_kind == "photo"
    assert by_key[(-1001, 2)].album_id == "55"
    assert by_key[(-1001, 1)].media_kind == "text"
    assert all(p.text is None and p.id is None for p in by_key.values())


def test_snippet_chars_keeps_the_start_of_the_text(posts_file: Path) -> None:
    by_key = {p.key: p for p in source(posts_file, snippet_chars=5).posts}
    assert by_key[(-1001, 1)].text == "hello"
    assert by_key[(-1001, 3)].text is None


# -- filters -------------------------------------------------------------------------------


def test_start_is_inclusive_and_end_exclusive(posts_file: Path) -> None:
    src = source(posts_file, start="2024-11-10T12:10:00Z", end="2024-11-10T12:20:00Z")
    assert [p.message_id for p in src.posts] == [7, 8]
    assert src.first_date() == T0 + timedelta(minutes=10)


def test_naive_filters_are_utc(posts_file: Path) -> None:
    src = source(posts_file, start=datetime(2024, 11, 10, 12, 5))
    assert [p.message_id for p in src.posts] == [7, 8, 3, 2]


def test_channel_filter(posts_file: Path) -> None:
    assert [p.message_id for p in source(posts_file, channels=[-1002]).posts] == [7, 8]
    assert source(posts_file, channels=[]).posts == []
    assert source(posts_file, channels=[]).first_date() is None


# -- formats -------------------------------------------------------------------------------


def test_gzipped_jsonl_reads_like_plain(tmp_path: Path, posts_file: Path) -> None:
    gz = write_jsonl(tmp_path / "posts.jsonl.gz", ROWS)
    assert source(gz).posts == source(posts_file).posts


def test_csv_with_header_quoted_newlines_and_empty_cells(tmp_path: Path, posts_file: Path) -> None:
    path = tmp_path / "posts.csv"
    fields = [
        "channel_id",
        "message_id",
        "date",
        "channel",
        "category",
        "text",
        "media_kind",
        "album_id",
    ]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for row in ROWS:
            writer.writerow({k: row.get(k, "") for k in fields})
    assert source(path).posts == source(posts_file).posts
    assert next(p.text for p in source(path, snippet_chars=100).posts) == "hello world"


def test_csv_gz(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        fh.write('channel_id,message_id,date,text\n-1001,1,2024-11-10T12:00:00Z,"two\nlines"\n')
    assert [p.key for p in source(path).posts] == [(-1001, 1)]


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "posts.jsonl", [ROWS[0], "", "   ", ROWS[1]])
    assert len(read_posts(path)) == 2


# -- errors --------------------------------------------------------------------------------

GOOD = {"channel_id": -1001, "message_id": 1, "date": "2024-11-10T12:00:00Z"}


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ('{"channel_id": -1001, "message_id": 1,', "expected a JSON object, got invalid JSON"),
        ("[1, 2]", "expected a JSON object, got list"),
        (
            {"message_id": 1, "date": "2024-11-10"},
            "expected 'channel_id' (an integer), it is missing",
        ),
        ({**GOOD, "message_id": "abc"}, "'message_id' must be an integer, got \"abc\""),
        ({**GOOD, "message_id": 1.5}, "'message_id' must be an integer, got 1.5"),
        ({**GOOD, "channel_id": True}, "'channel_id' must be an integer, got true"),
        ({**GOOD, "date": "yesterday"}, "'date' must be an ISO 8601 date, got \"yesterday\""),
        ({**GOOD, "date": 1731240000}, "'date' must be an ISO 8601 date, got 1731240000"),
        ({"channel_id": 1, "message_id": 1}, "expected 'date' (an ISO 8601 date), it is missing"),
        ({**GOOD, "media_kind": "hologram"}, "'media_kind' must be one of"),
        ({**GOOD, "category": 3}, "'category' must be a string, got 3"),
        ({**GOOD, "channel": ["x"]}, "'channel' must be a string"),
    ],
)
def test_malformed_jsonl_row_names_file_line_and_expectation(
    tmp_path: Path, bad: object, expected: str
) -> None:
    path = write_jsonl(tmp_path / "posts.jsonl", [GOOD, GOOD, bad, GOOD])
    with pytest.raises(DataError) as info:
        source(path).poll(T0)
    message = str(info.value)
    assert f"posts.jsonl line 3: {expected}" in message


def test_the_example_message_reads_as_documented(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "posts.jsonl", [GOOD] * 16 + [{**GOOD, "date": "yesterday"}])
    with pytest.raises(
        DataError, match=r'posts\.jsonl line 17: \'date\' must be an ISO 8601 date, got "yesterday"'
    ):
        read_posts(path)


def test_malformed_gz_row_names_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "posts.jsonl.gz", [GOOD, "{oops"])
    with pytest.raises(DataError, match=r"posts\.jsonl\.gz line 2: expected a JSON object"):
        read_posts(path)


@pytest.mark.parametrize(
    ("body", "line", "expected"),
    [
        ("-1001,1,2024-11-10\n-1001,x,2024-11-10\n", 3, "'message_id' must be an integer"),
        ("-1001,1,2024-11-10\n-1001,2,soon\n", 3, "'date' must be an ISO 8601 date, got \"soon\""),
        ("-1001,1,2024-11-10\n-1001,2,\n", 3, "expected 'date' (an ISO 8601 date), it is missing"),
        ("-1001,1,2024-11-10,extra\n", 2, "expected 3 columns as in the header, got more"),
        # a quoted text spanning lines: the error names the line where the row ends
        ('-1001,1,2024-11-10\n"-1001\n",2,bad\n', 4, "'date' must be an ISO 8601 date"),
    ],
)
def test_malformed_csv_row_names_file_line_and_expectation(
    tmp_path: Path, body: str, line: int, expected: str
) -> None:
    path = tmp_path / "posts.csv"
    path.write_text("channel_id,message_id,date\n" + body, encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_posts(path)
    assert f"posts.csv line {line}: {expected}" in str(info.value)


def test_empty_csv_needs_a_header(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match=r"posts\.csv line 1: expected a CSV header"):
        read_posts(path)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "posts.jsonl"
    with pytest.raises(DataError, match="posts file not found") as info:
        read_posts(missing)
    assert str(missing) in str(info.value)


def test_unknown_format_lists_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "posts.parquet"
    path.write_bytes(b"PAR1")
    with pytest.raises(DataError, match=r"unknown posts file format.*\.jsonl\.gz"):
        read_posts(path)


def test_truncated_gzip_is_a_data_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "posts.jsonl.gz", [GOOD] * 200)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(DataError, match=r"posts\.jsonl\.gz: cannot be read"):
        read_posts(path)


def test_not_utf8_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b'{"channel_id": 1, "message_id": 1, "date": "2024-11-10", "text": "\xff"}\n')
    with pytest.raises(DataError, match=r"posts\.jsonl: cannot be read"):
        read_posts(path)


def test_unknown_builtin_lists_the_bundled_files() -> None:
    with pytest.raises(DataError, match="builtin:telegram-news-ru"):
        read_posts("builtin:nope")


# -- settings ------------------------------------------------------------------------------


def test_relative_path_is_taken_from_the_deployment_folder(tmp_path: Path) -> None:
    settings = ReplaySettings.model_validate(
        {"path": "posts.jsonl"}, context={"base_dir": tmp_path}
    )
    assert settings.path == (tmp_path / "posts.jsonl").resolve()
    builtin = ReplaySettings.model_validate(
        {"path": "builtin:telegram-news-ru"}, context={"base_dir": tmp_path}
    )
    assert str(builtin.path) == "builtin:telegram-news-ru"


def test_unknown_setting_is_rejected() -> None:
    with pytest.raises(ValidationError):
        ReplaySettings.model_validate({"path": "x.jsonl", "speed": 2})


def test_component_identity() -> None:
    assert ReplaySource.name == "replay"
    assert ReplaySource.Settings is ReplaySettings


# -- the bundled file ----------------------------------------------------------------------


def test_bundled_file_loads_fast_with_all_posts_and_channels() -> None:
    started = time.perf_counter()
    src = source("builtin:telegram-news-ru")
    posts = src.posts
    elapsed = time.perf_counter() - started
    assert len(posts) == 22_099
    assert len({p.channel_id for p in posts}) == 24
    assert elapsed < 1.0, f"loading the bundled file took {elapsed:.2f} s"
    assert all(a.date <= b.date for a, b in itertools.pairwise(posts))
    assert all(p.text is None and p.category and p.channel_title for p in posts)
    assert src.first_date() == datetime(2023, 8, 10, 17, 54, 5, tzinfo=UTC)


def test_bundled_slice_and_snippets() -> None:
    src = source(
        "builtin:telegram-news-ru",
        start=datetime(2024, 11, 10, tzinfo=UTC),
        end=datetime(2024, 11, 24, tzinfo=UTC),
        snippet_chars=40,
    )
    assert 5000 < len(src.posts) < 5500
    assert all(p.text is not None and len(p.text) <= 40 for p in src.posts)


def test_bundled_data_ships_with_its_license_and_attribution() -> None:
    from oleg_source_replay.reader import resolve

    folder = resolve("builtin:telegram-news-ru").parent
    attribution = (folder / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "NKTKLN" in attribution and "CC BY 4.0" in attribution
    assert "Attribution 4.0 International" in (folder / "LICENSE-telegram-news-ru.md").read_text(
        encoding="utf-8"
    )
