from datetime import timedelta

import pytest
from oleg.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30s", 30), ("10m", 600), ("2h30m", 9000), ("1d12h", 129600), ("1w", 604800), ("250ms", 0.25), (90, 90)],
)
def test_parse(text, expected):
    assert parse_duration(text) == timedelta(seconds=expected)


@pytest.mark.parametrize("bad", ["", "ten minutes", "10", "5x", "1h 2", True, None, "m10"])
def test_rejects(bad):
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(bad)


def test_round_trip():
    for text in ("30s", "2h30m", "1d12h", "14d"):
        assert format_duration(parse_duration(text)) == text
