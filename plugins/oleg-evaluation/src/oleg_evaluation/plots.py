"""Plots of an :class:`Evaluation`: one figure of every metric (a panel each, the
recommenders as bars in the same colours in every panel), a bar chart per metric, and the
learning curves of recommenders that train in epochs and keep a ``history`` (a list of
dicts with ``epoch`` and losses), so under- and over-fitting show at a glance.

The figures are built as bare :class:`matplotlib.figure.Figure` objects (no pyplot, no
global state) so tests can inspect them before they are saved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from oleg_evaluation.names import better, slug, title
from oleg_evaluation.results import Evaluation

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

COMBINED = "all metrics"
"""The combined figure's name in the files written (and its alt text in report.md)."""
COMBINED_FILE = "metrics.png"
PANELS_PER_ROW = 4


@dataclass(frozen=True)
class MetricBars:
    """One metric's bars: a value (mean over the splits, NaN when none) per recommender,
    and the spread over folds when there are several."""

    metric: str
    title: str
    values: list[float]
    errors: list[float] | None

    def tops(self) -> list[float]:
        """Where each bar ends, its error bar included (0 for a missing value)."""
        errors = self.errors or [0.0] * len(self.values)
        return [
            0.0 if math.isnan(v) else v + (0.0 if math.isnan(e) else e)
            for v, e in zip(self.values, errors, strict=True)
        ]

    @property
    def arrow(self) -> str:
        """Which way is better, for the panel's title."""
        return {"high": " ↑", "low": " ↓"}.get(better(self.metric) or "", "")


def metric_bars(ev: Evaluation) -> list[MetricBars]:
    """Every metric with a value for at least one recommender, in the table's order; bars
    follow :meth:`Evaluation.labels`."""
    scale = ev.dataset.get("scale")
    summary, spread = ev.summary(), ev.spread()
    labels = ev.labels()
    out = []
    for metric in ev.metric_names():
        values = [summary[label][metric] for label in labels]
        if all(math.isnan(v) for v in values):
            continue
        errors = [spread[label][metric] for label in labels] if len(ev.splits) > 1 else None
        out.append(
            MetricBars(metric, title(metric, tuple(scale) if scale else None), values, errors)
        )
    return out


def colours(labels: list[str]) -> dict[str, str]:
    """One colour per recommender, the same in every figure (matplotlib's tab10 cycle)."""
    return {label: f"C{i % 10}" for i, label in enumerate(labels)}


def _draw_bars(ax: Axes, bars: MetricBars, labels: list[str], palette: dict[str, str]) -> None:
    heights = [0 if math.isnan(v) else v for v in bars.values]
    ax.bar(
        range(len(labels)),
        heights,
        yerr=bars.errors,
        color=[palette[label] for label in labels],
        capsize=3 if bars.errors else 0,
    )
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)


def _value(v: float, digits: int = 4) -> str:
    return "-" if math.isnan(v) else f"{v:.{digits}g}"


def metric_figure(ev: Evaluation, bars: MetricBars) -> Figure:
    """One metric's bar chart, its values under the recommenders' names."""
    from matplotlib.figure import Figure

    labels = ev.labels()
    fig = Figure(figsize=(max(4.0, 1.1 * len(labels) + 2), 3.6), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    _draw_bars(ax, bars, labels, colours(labels))
    ticks = [f"{label}\n{_value(v)}" for label, v in zip(labels, bars.values, strict=True)]
    ax.set_xticks(range(len(labels)), ticks, fontsize=8)
    ax.set_title(f"{bars.title}{bars.arrow} on {ev.dataset['name']}")
    return fig


def combined_figure(ev: Evaluation) -> Figure:
    """Every metric in one figure: a panel each, bars in the recommenders' colours with the
    value over each bar, one legend for all panels below them."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    labels = ev.labels()
    palette = colours(labels)
    all_bars = metric_bars(ev)
    cols = max(1, min(PANELS_PER_ROW, len(all_bars)))
    rows = max(1, math.ceil(len(all_bars) / cols))
    width = max(1.0, 0.55 * len(labels) + 1.2)
    fig = Figure(figsize=(cols * width + 0.6, rows * 2.4 + 1.2), dpi=100, layout="constrained")
    grid = fig.subplots(rows, cols, squeeze=False)
    for ax, bars in zip(grid.flat, all_bars, strict=False):
        _draw_bars(ax, bars, labels, palette)
        ax.set_xticks([])
        ax.set_title(f"{bars.title}{bars.arrow}", fontsize=10)
        ax.tick_params(axis="y", labelsize=8)
        tops = bars.tops()
        for i, (v, top) in enumerate(zip(bars.values, tops, strict=True)):
            ax.text(i, top, _value(v, 3), ha="center", va="bottom", fontsize=7)
        if max(tops) > 0:
            ax.set_ylim(0, max(tops) * 1.18)  # room for the values over the bars
    for ax in list(grid.flat)[len(all_bars) :]:
        ax.remove()
    fig.suptitle(f"{ev.dataset['name']}: every metric (↑ higher is better, ↓ lower)")
    fig.legend(
        [Patch(color=palette[label]) for label in labels],
        labels,
        loc="outside lower center",
        ncol=min(len(labels), 6),
        fontsize=9,
        frameon=False,
    )
    return fig


def learning_curves_figure(ev: Evaluation) -> Figure:
    import matplotlib.ticker
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    for label, history in ev.histories().items():
        epochs = [h.get("epoch", i) for i, h in enumerate(history)]
        keys = {
            k for h in history for k, v in h.items() if k != "epoch" and isinstance(v, int | float)
        }
        for key in sorted(keys):
            ax.plot(
                epochs,
                [h.get(key, float("nan")) for h in history],
                marker="o",
                ms=3,
                label=f"{label}: {key}",
            )
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("learning curves (first split)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def write_plots(ev: Evaluation, out: Path) -> dict[str, Path]:
    """PNG files in ``out``: ``metrics.png`` (every metric), ``metric-<name>.png`` per
    metric, ``learning-curves.png``; keyed by the name report.md shows."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    all_bars = metric_bars(ev)
    if all_bars:
        files[COMBINED] = out / COMBINED_FILE
        combined_figure(ev).savefig(files[COMBINED])
    for bars in all_bars:
        path = out / f"metric-{slug(bars.metric)}.png"
        metric_figure(ev, bars).savefig(path)
        files[bars.title] = path
    if ev.histories():
        files["learning curves"] = out / "learning-curves.png"
        learning_curves_figure(ev).savefig(files["learning curves"])
    return files
