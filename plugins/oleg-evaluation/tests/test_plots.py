"""The combined figure: one panel per metric, the recommenders' bars in one colour each."""

from __future__ import annotations

import math

import pytest
from matplotlib.colors import to_rgba
from matplotlib.container import BarContainer
from matplotlib.patches import Rectangle
from oleg_evaluation import EvalConfig, evaluate, kfold, load_ratings, write_plots, write_reports
from oleg_evaluation.plots import colours, combined_figure, metric_bars


def _bars(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


@pytest.fixture
def ev(ratings_csv):
    data = load_ratings(ratings_csv)
    return evaluate(
        data, ["popular", "random", "popular:post_prior=1"], kfold(data, k=2), EvalConfig(k=3)
    )


def test_combined_figure_has_a_panel_per_metric_with_the_summary_as_bars(ev):
    labels = ev.labels()
    metrics = ev.metric_names()
    assert len(metrics) >= 10  # rating, ranking and timing metrics
    fig = combined_figure(ev)
    panels = fig.axes
    assert len(panels) == len(metrics)
    assert [ax.get_title() for ax in panels][:2] == ["RMSE ↓", "MAE ↓"]
    assert "PopBias@3" in [ax.get_title() for ax in panels]  # no better direction, no arrow
    palette = [to_rgba(colours(labels)[label]) for label in labels]
    summary, spread = ev.summary(), ev.spread()
    for ax, metric in zip(panels, metrics, strict=True):
        bars = _bars(ax)
        assert len(bars) == len(labels), metric
        assert [b.get_facecolor() for b in bars] == palette, (
            metric
        )  # the same colours in every panel
        assert [b.get_height() for b in bars] == pytest.approx(
            [summary[label][metric] for label in labels]
        )
        # with two folds each bar has its spread over the folds as an error bar
        [bar] = [c for c in ax.containers if isinstance(c, BarContainer)]
        segments = bar.errorbar.lines[2][0].get_segments()
        half = [(seg[1][1] - seg[0][1]) / 2 for seg in segments]
        assert half == pytest.approx([spread[label][metric] for label in labels]), metric
    # one legend for all panels, naming the recommenders, below every panel
    fig.draw_without_rendering()
    [legend] = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == labels
    box = legend.get_window_extent()
    assert all(not box.overlaps(ax.get_window_extent()) for ax in panels)
    assert all(fig.bbox.contains(*ax.get_window_extent().p0) for ax in panels)


def test_metric_bars_skip_metrics_nobody_has_and_are_what_the_panels_show(ev):
    bars = metric_bars(ev)
    assert [b.metric for b in bars] == ev.metric_names()
    ndcg = next(b for b in bars if b.metric == "ndcg@3")
    assert ndcg.title == "NDCG@3" and ndcg.arrow == " ↑"
    assert ndcg.values == [ev.summary()[label]["ndcg@3"] for label in ev.labels()]
    assert ndcg.errors == [ev.spread()[label]["ndcg@3"] for label in ev.labels()]
    assert not any(math.isnan(v) for v in ndcg.values)


def test_the_combined_figure_is_written_and_linked_from_the_report(ev, tmp_path):
    files = write_plots(ev, tmp_path)
    assert files["all metrics"] == tmp_path / "metrics.png"
    assert (tmp_path / "metrics.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "metric-ndcg_3.png").exists()  # the per-metric files stay
    md = write_reports(ev, tmp_path, files)["markdown"].read_text()
    # right under the table, not repeated among the per-metric plots
    table_end = md.index("## Splits")
    assert md.index("![all metrics](metrics.png)") < table_end
    assert md.count("metrics.png") == 1 and "![NDCG@3](metric-ndcg_3.png)" in md
