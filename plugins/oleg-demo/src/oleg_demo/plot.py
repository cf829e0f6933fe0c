"""The demo's plot, ``like_rate.png``: one line per policy, in the policy's own style, over a
band holding the middle half of its subscribers, with the headline window shaded.

The x axis carries the table's day labels, the legend sits outside the axes (beside them)
so it never hides a line, and each legend entry repeats the policy's headline figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from oleg_demo.config import PlotStyle
from oleg_demo.result import DemoResult
from oleg_demo.spread import HIGH, LOW

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WINDOW_COLOR = "#fbf3d5"
"""The headline window's shade: pale yellow, apart from every policy's band."""


def rate(row: dict) -> float:
    return row["likes"] / row["deliveries"] if row["deliveries"] else 0.0


@dataclass(frozen=True)
class PolicySeries:
    """What the plot draws for one policy, in percent, one value per table row."""

    name: str
    rates: list[float]
    low: list[float]
    high: list[float]
    """The band: the ``LOW``-th and ``HIGH``-th percentile of the per-subscriber like rate
    (NaN where the store has no spread for that day)."""
    headline: float


def series(result: DemoResult) -> list[PolicySeries]:
    """The plot's data, in the runs' order, aligned on the table's days."""
    days = result.days_sent()
    week = result.last_week()
    out = []
    for name, run in result.runs.items():
        spread = result.spreads.get(name)
        bands = [spread.on(day) if spread else None for day in days]
        out.append(
            PolicySeries(
                name,
                [rate(r) * 100 for r in run.days],
                [b.low * 100 if b else float("nan") for b in bands],
                [b.high * 100 if b else float("nan") for b in bands],
                week[name] * 100,
            )
        )
    return out


def like_rate_figure(result: DemoResult) -> Figure:
    """The figure :func:`write_plot` saves (returned unsaved, for tests to inspect): the
    daily like rates on the left, the headline window's spread per policy on the right."""
    from matplotlib.figure import Figure

    labels = result.day_labels()
    fig = Figure(figsize=(12, 5.6), dpi=110, layout="constrained")
    days_ax, window_ax = fig.subplots(1, 2, sharey=True, width_ratios=[3.4, 1])
    first = result.last_week_first
    if first < len(labels):
        days_ax.axvspan(first - 0.5, len(labels) - 0.5, color=WINDOW_COLOR, lw=0, zorder=0)
        days_ax.axvline(first - 0.5, color="0.4", lw=1, ls=":")
        days_ax.text(
            (first + len(labels) - 1) / 2,
            98,
            f"{result.last_week_label}: the table's headline",
            ha="center",
            va="top",
            fontsize=9,
            color="0.2",
        )
    drawn = series(result)
    for s in drawn:
        style = result.styles.get(s.name, PlotStyle())
        x = range(len(s.rates))
        days_ax.fill_between(x, s.low, s.high, color=style.color, alpha=0.1, lw=0)
        days_ax.plot(
            x,
            s.rates,
            style.line,
            color=style.color,
            marker="o",
            ms=3,
            lw=2,
            label=f"{s.name}: {s.headline:.1f}%",
        )
    days_ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", rotation_mode="anchor")
    days_ax.set_xlim(-0.5, len(labels) - 0.5)
    days_ax.set_ylim(0, 100)
    days_ax.set_xlabel("day of sending (UTC)")
    days_ax.set_ylabel("like rate, % of posts sent")
    days_ax.set_title(
        f"by day; band: {LOW:.0f}th-{HIGH:.0f}th percentile of the subscribers' like rate",
        fontsize=10,
    )
    days_ax.grid(alpha=0.3)
    for i, s in enumerate(drawn):
        style = result.styles.get(s.name, PlotStyle())
        spread = result.spreads.get(s.name)
        if spread is not None and spread.window.subscribers:
            w = spread.window
            window_ax.vlines(i, w.low * 100, w.high * 100, color=style.color, lw=12, alpha=0.35)
            window_ax.hlines(w.median * 100, i - 0.18, i + 0.18, color=style.color, lw=1.5)
        window_ax.plot(i, s.headline, "D", color=style.color, ms=6)
    window_ax.set_xticks(
        range(len(drawn)), [s.name for s in drawn], rotation=45, ha="right", rotation_mode="anchor"
    )
    window_ax.set_xlim(-0.6, len(drawn) - 0.4)
    window_ax.set_title(f"{result.last_week_label}, per subscriber", fontsize=10)
    window_ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"oleg demo: {result.subscribers} simulated subscribers, real Telegram posts")
    fig.legend(
        *days_ax.get_legend_handles_labels(),
        loc="outside lower center",
        ncol=len(drawn),
        title=f"like rate over {result.last_week_label} (diamonds, right; bars: {LOW:.0f}th-"
        f"{HIGH:.0f}th percentile, tick: median)",
        fontsize=9,
        title_fontsize=9,
        frameon=False,
    )
    return fig


def write_plot(result: DemoResult) -> Path:
    png = result.out / "like_rate.png"
    like_rate_figure(result).savefig(png)
    return png
