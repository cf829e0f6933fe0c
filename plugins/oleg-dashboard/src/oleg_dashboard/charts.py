"""Charts drawn on the server as inline SVG.

Why not a JavaScript chart library: the figures are a few hundred points per chart, which
SVG draws as it comes; the page then needs no script at all (nothing to vendor and keep
up to date, nothing fetched at run time, nothing to fail in the browser's console), and a
test can count what was drawn (``data-points`` on each chart). Each point carries a
``<title>``, so hovering shows its value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
STATUS_COLOURS = {"sent": "#2ca02c", "pending": "#7f7f7f", "retry": "#ff7f0e", "failed": "#d62728"}

W, H = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 12, 34


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    colour: str | None = None


def _colour(i: int, series: Series) -> str:
    return series.colour or PALETTE[i % len(PALETTE)]


def _ticks(top: float, n: int = 4) -> list[float]:
    return [top * i / n for i in range(n + 1)]


def _frame(
    labels: Sequence[str],
    top: float,
    fmt: Callable[[float], str],
    points: int,
    body: list[str],
    legend: list[tuple[str, str]],
    title: str,
) -> Markup:
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}" '
        f'data-points="{points}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for t in _ticks(top):
        y = TOP + plot_h - (t / top * plot_h if top else 0)
        parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{escape(fmt(t))}</text>'
        )
    step = max(1, len(labels) // 8)
    for i in range(0, len(labels), step):
        x = _x(i, len(labels), plot_w)
        parts.append(
            f'<text x="{x:.1f}" y="{H - 12}" text-anchor="middle" class="tick">{escape(labels[i])}</text>'
        )
    parts.extend(body)
    parts.append("</svg>")
    keys = "".join(
        f'<span class="key"><span class="swatch" style="background:{c}"></span>{escape(n)}</span>'
        for n, c in legend
    )
    return Markup(
        f'<figure class="chart-box"><figcaption>{escape(title)}</figcaption>{"".join(parts)}'
        f'<div class="legend">{keys}</div></figure>'
    )


def _x(i: int, n: int, plot_w: float) -> float:
    return LEFT + (plot_w * (i + 0.5) / n if n else 0)


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1.0
    for base in (1, 2, 2.5, 5):
        for exp in range(-3, 10):
            top = base * 10**exp
            if top >= value:
                return float(top)
    return float(value)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    top: float | None = None,
) -> Markup:
    """Lines over ``labels`` (days); a ``None`` value leaves a gap."""
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    highest = max((v for s in series for v in s.values if v is not None), default=0.0)
    top = top or _nice_top(highest)
    body: list[str] = []
    points = 0
    for i, s in enumerate(series):
        colour = _colour(i, s)
        segment: list[str] = []
        segments: list[list[str]] = [segment]
        for j, v in enumerate(s.values):
            if v is None:
                segment = []
                segments.append(segment)
                continue
            x, y = _x(j, len(labels), plot_w), TOP + plot_h - min(v, top) / top * plot_h
            segment.append(f"{x:.1f},{y:.1f}")
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(s.name)} {escape(labels[j])}: {escape(fmt(v))}</title></circle>"
            )
            points += 1
        for seg in segments:
            if len(seg) > 1:
                body.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="1.8" points="{" ".join(seg)}"/>'
                )
    legend = [(s.name, _colour(i, s)) for i, s in enumerate(series)]
    return _frame(labels, top, fmt, points, body, legend, title)


def stacked_bars(title: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Bars per label, the series stacked (deliveries per day by status)."""
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    totals = [sum(s.values[j] or 0 for s in series) for j in range(len(labels))]
    top = _nice_top(max(totals, default=0))
    width = max(1.0, plot_w / max(1, len(labels)) * 0.8)
    body: list[str] = []
    points = 0
    for j, label in enumerate(labels):
        base = 0.0
        for i, s in enumerate(series):
            v = float(s.values[j] or 0)
            if v <= 0:
                continue
            y0 = TOP + plot_h - base / top * plot_h
            h = v / top * plot_h
            x = _x(j, len(labels), plot_w) - width / 2
            body.append(
                f'<rect x="{x:.1f}" y="{y0 - h:.1f}" width="{width:.1f}" height="{h:.1f}" fill="{_colour(i, s)}">'
                f"<title>{escape(label)} {escape(s.name)}: {v:g}</title></rect>"
            )
            base += v
            points += 1
    legend = [(s.name, _colour(i, s)) for i, s in enumerate(series)]
    return _frame(labels, top, lambda v: f"{v:g}", points, body, legend, title)


def percent(v: float) -> str:
    return f"{v:.0%}"
