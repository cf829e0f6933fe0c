"""The like-rate picture: the band's figures from a small store, and what the figure holds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from oleg.store import Store
from oleg.types import Delivery, FeedbackEvent, Policy, PolicyKind, Post
from oleg_demo.config import PlotStyle
from oleg_demo.plot import like_rate_figure, series, write_plot
from oleg_demo.report import markdown, results_json
from oleg_demo.result import DemoResult, PolicyRun
from oleg_demo.spread import policy_spread, read_spread, subscriber_counts

DAY0 = datetime(2024, 11, 10, 9, tzinfo=UTC)
POLICY = Policy(PolicyKind.RECOMMENDER, "popular")

# subscriber -> per day, (posts sent, of which liked, of which disliked); the rest unrated
PLAN = {
    "a": [(4, 4, 0), (4, 1, 1)],
    "b": [(4, 2, 2), (4, 0, 4)],
    "c": [(4, 1, 0), (2, 2, 0)],
    "d": [(4, 0, 1), (0, 0, 0)],  # sent nothing on day 2: not in that day's spread
}


def make_store(url: str) -> Store:
    store = Store.open(url)
    posts = store.add_posts([Post(-100, m, DAY0) for m in range(1, 9)])
    for name, days in PLAN.items():
        subscriber = store.upsert_subscriber(name, active=True, at=DAY0)
        for d, (sent, liked, disliked) in enumerate(days):
            at = DAY0 + timedelta(days=d, hours=d * 14)  # day 2 at 23:00 UTC, still day 2
            chosen = posts[d * 4 : d * 4 + sent]
            stored = store.add_deliveries(
                [Delivery(subscriber.id, p.id, at, POLICY) for p in chosen]
            )
            votes = [1] * liked + [0] * disliked
            store.add_feedback(
                [
                    FeedbackEvent(s.id, v, at + timedelta(minutes=5))
                    for s, v in zip(stored, votes, strict=False)
                ]
            )
    return store


@pytest.fixture
def store(tmp_path: Path):
    store = make_store(f"sqlite:///{tmp_path / 'demo-popular.db'}")
    yield store
    store.close()


def test_per_subscriber_counts_are_grouped_by_day_in_the_store(store):
    rows = subscriber_counts(store)
    day1, day2 = date(2024, 11, 10), date(2024, 11, 11)
    assert [(d, n, likes) for d, _, n, likes in rows] == [
        (day1, 4, 4),
        (day1, 4, 2),
        (day1, 4, 1),
        (day1, 4, 0),
        (day2, 4, 1),
        (day2, 4, 0),
        (day2, 2, 2),
    ]
    # the same days and totals as the table's figures
    stats = store.daily_stats()
    assert [s["day"] for s in stats] == [day1, day2]
    assert [s["deliveries"] for s in stats] == [16, 10]
    assert [s["likes"] for s in stats] == [7, 3]


def test_spread_is_the_quantiles_of_each_subscribers_rate(store):
    spread = policy_spread(store)
    first = spread.on(date(2024, 11, 10))
    rates = [1.0, 0.5, 0.25, 0.0]
    assert first.subscribers == 4
    assert first.low == pytest.approx(np.percentile(rates, 25)) == pytest.approx(0.1875)
    assert first.median == pytest.approx(0.375) and first.high == pytest.approx(0.625)
    second = spread.on(date(2024, 11, 11))
    assert second.subscribers == 3 and second.median == pytest.approx(0.25)
    assert second.low == pytest.approx(0.125) and second.high == pytest.approx(0.625)
    # all days: each subscriber's likes over their posts, not the mean of their daily rates
    assert spread.window.subscribers == 4
    assert spread.window.median == pytest.approx(np.median([5 / 8, 2 / 8, 3 / 6, 0 / 4]))
    # the window from day 2 only counts day 2
    assert policy_spread(store, date(2024, 11, 11)).window == second
    assert spread.on(date(2024, 11, 12)).subscribers == 0


def result_from(tmp_path: Path, store: Store, days: int) -> DemoResult:
    stats = store.daily_stats()
    runs = {
        "popular": PolicyRun("popular", store.url, 1.0, stats),
        "random": PolicyRun("random", store.url, 1.0, [{**s, "likes": 0} for s in stats]),
    }
    result = DemoResult(
        "popular",
        4,
        days,
        0,
        DAY0,
        runs,
        tmp_path,
        styles={"popular": PlotStyle(color="tab:orange"), "random": PlotStyle(color="tab:gray")},
    )
    result.spreads = {
        "popular": read_spread(store.url, result.last_week_start())
    }  # none for random
    return result


def test_figure_marks_the_window_labels_days_as_the_table_legend_off_the_lines(tmp_path, store):
    result = result_from(tmp_path, store, days=9)  # the window: the last 7 of 9 days
    assert result.last_week_label == "days 3-9" and result.last_week_start() is None
    result = result_from(tmp_path, store, days=2)
    assert result.last_week_start() == date(2024, 11, 10)
    fig = like_rate_figure(result)
    days_ax, window_ax = fig.axes
    assert [t.get_text() for t in days_ax.get_xticklabels()] == ["2024-11-10", "2024-11-11"]
    assert [t.get_text() for t in window_ax.get_xticklabels()] == ["popular", "random"]
    assert days_ax.get_ylim() == (0, 100)
    # one band per policy, its edges the 25th and 75th percentiles, in percent
    bands = [c for c in days_ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    popular, random = series(result)
    assert popular.low == pytest.approx([18.75, 12.5]) and popular.high == pytest.approx(
        [62.5, 62.5]
    )
    assert popular.rates == pytest.approx([43.75, 30.0]) and popular.headline == pytest.approx(
        1000 / 26
    )
    assert np.isnan(random.low).all()
    ys = bands[0].get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(12.5) and ys.max() == pytest.approx(62.5)
    # the window's shade spans the headline days, and its label says which
    assert any("days 1-2" in t.get_text() for t in days_ax.texts)
    # the lines' legend is the figure's, below the axes, and names each headline figure
    fig.draw_without_rendering()  # lays the figure out as saving does
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["popular: 38.5%", "random: 0.0%"]
    box = legend.get_window_extent()
    for ax in (days_ax, window_ax):
        assert not box.overlaps(ax.get_window_extent())
    # no tick label is cut off at the figure's edge
    edge = fig.bbox
    for ax in (days_ax, window_ax):
        for label in ax.get_xticklabels():
            extent = label.get_window_extent()
            assert extent.x0 >= edge.x0 and extent.y0 >= edge.y0 and extent.x1 <= edge.x1
    assert write_plot(result).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_report_gains_the_spread_and_keeps_its_figures(tmp_path, store):
    result = result_from(tmp_path, store, days=2)
    page = markdown(result)
    assert "| **days 1-2** | **38.5%** | **0.0%** |" in page
    assert "| subscribers' like rate | popular |" in page
    assert "| median | 37.5% |" in page and "| subscribers | 4 |" in page
    data = results_json(result)
    assert data["last_week_like_rate"] == {"popular": 10 / 26, "random": 0.0}
    assert data["last_week_spread"]["popular"]["median"] == pytest.approx(0.375)
