"""An :class:`Evaluation` as a rich terminal table, a markdown page and a JSON file."""

from __future__ import annotations

import json
import math
from pathlib import Path

from rich.console import Console
from rich.table import Table

from oleg_evaluation.names import DEFINITIONS, better, title
from oleg_evaluation.plots import COMBINED
from oleg_evaluation.results import Evaluation


def _scale(ev: Evaluation) -> tuple[float, float] | None:
    scale = ev.dataset.get("scale")
    return (scale[0], scale[1]) if scale else None


def _fmt(value: float, metric: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if metric in ("fit_s", "eval_s"):
        return f"{value:.2f}" if value < 100 else f"{value:.0f}"
    return f"{value:.4f}"


def _best(ev: Evaluation, metric: str) -> str | None:
    direction = better(metric)
    values = {
        label: v for label, row in ev.summary().items() if not math.isnan(v := row.get(metric, float("nan")))
    }
    if direction is None or len(values) < 2:
        return None
    pick = max if direction == "high" else min
    return pick(values, key=values.__getitem__)


def cells(ev: Evaluation) -> tuple[list[str], list[list[str]], dict[str, str | None]]:
    """Header, rows (one per recommender) and the best label per metric."""
    metrics = ev.metric_names()
    summary, spread = ev.summary(), ev.spread()
    folds = len(ev.splits) > 1
    rows = []
    for label in ev.labels():
        row = [label]
        for m in metrics:
            text = _fmt(summary[label][m], m)
            if folds and text != "-" and m not in ("fit_s", "eval_s"):
                text += f" ± {spread[label][m]:.4f}"
            row.append(text)
        rows.append(row)
    header = ["recommender", *[title(m, _scale(ev)) for m in metrics]]
    return header, rows, {m: _best(ev, m) for m in metrics}


def caption(ev: Evaluation) -> str:
    d = ev.dataset
    split = ev.splits[0]["name"] if len(ev.splits) == 1 else f"{len(ev.splits)} folds ({ev.splits[0]['name'].split(',')[0]})"
    return f"{d['name']}: {d['rows']:,} {d['kind']} ratings, {d['users']:,} users, {d['items']:,} items; {split}; seed {ev.config.seed}"


def print_table(ev: Evaluation, console: Console) -> None:
    """Metrics as rows, recommenders as columns: a few models fit a terminal's width, a
    dozen metrics would not. The best value of each metric is green."""
    header, rows, best = cells(ev)
    metrics = ev.metric_names()
    console.print(f"[bold]{caption(ev)}[/]")
    table = Table()
    table.add_column("metric")
    for row in rows:
        table.add_column(row[0], justify="right")
    for i, m in enumerate(metrics):
        table.add_row(header[i + 1], *[f"[bold green]{row[i + 1]}[/]" if best[m] == row[0] else row[i + 1] for row in rows])
    console.print(table)
    info = ev.splits[0]
    if "ranked_users" in info:
        console.print(
            f"Ranked {info['ranked_users']:,} users ({info['cold_users']:,} cold) over {info['catalog_items']:,} items"
            + (f"; {info['unreachable_share']:.1%} of relevant test items are not in train." if info["unreachable_share"] else ".")
        )
    if ev.dataset.get("skipped_rows"):
        console.print(f"[yellow]Skipped {ev.dataset['skipped_rows']} bad rows.[/]")
    for label, error in ev.errors().items():
        console.print(f"[red]{label}: {error}[/]")


def markdown(ev: Evaluation, plots: dict[str, Path] | None = None) -> str:
    header, rows, best = cells(ev)
    metrics = ev.metric_names()
    d = ev.dataset
    lines = [
        f"# Evaluation: {d['name']}",
        "",
        f"Source `{d['source']}`: {d['rows']:,} {d['kind']} ratings, {d['users']:,} users, "
        f"{d['items']:,} items, {d['channels']:,} channels"
        + (f", rating scale {d['scale'][0]:g}..{d['scale'][1]:g}, positives from {d['positive_at']:g}" if d.get("scale") else "")
        + (f", 👍 = rating from {d['positive_at']:g}, 👎 below" if d["kind"] == "binary" and d.get("positive_at") else "")
        + (f"; {d['skipped_rows']} bad rows skipped" if d.get("skipped_rows") else "")
        + f". K = {ev.config.k}, seed {ev.config.seed}.",
        "",
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * len(metrics),
    ]
    for row in rows:
        lines.append(
            "| " + " | ".join([row[0]] + [f"**{c}**" if best[m] == row[0] else c for m, c in zip(metrics, row[1:], strict=True)]) + " |"
        )
    plots = dict(plots or {})
    combined = plots.pop(COMBINED, None)
    if combined is not None:
        lines += ["", f"![{COMBINED}]({combined.name})"]
    lines += ["", "## Splits", ""]
    for s in ev.splits:
        extra = ", ".join(f"{k.replace('_', ' ')} {_num(v)}" for k, v in s.items() if k != "name")
        lines.append(f"- {s['name']}: {extra}")
    cold = _cold_rows(ev)
    if cold:
        lines += ["", f"## Warm and cold users (NDCG@{ev.config.k})", "", "| recommender | warm | cold |", "|---|---:|---:|", *cold]
    if ev.errors():
        lines += ["", "## Errors", ""] + [f"- {label}: {err}" for label, err in ev.errors().items()]
    if plots:
        lines += ["", "## Plots", ""] + [f"![{name}]({path.name})" for name, path in plots.items()]
    lines += ["", "## Definitions", ""] + [f"- {text}" for text in DEFINITIONS]
    return "\n".join(lines) + "\n"


def _num(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1%}" if value < 1 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _cold_rows(ev: Evaluation) -> list[str]:
    key = f"ndcg@{ev.config.k}"
    first = ev.splits[0]["name"]
    out = []
    for r in ev.results:
        if r.split == first and "cold" in r.segments:
            warm = r.segments.get("warm", {}).get(key, float("nan"))
            out.append(f"| {r.recommender} | {_fmt(warm, key)} | {_fmt(r.segments['cold'][key], key)} |")
    return out


def write_reports(ev: Evaluation, out: Path, plots: dict[str, Path] | None = None) -> dict[str, Path]:
    """Write ``report.md`` and ``results.json`` into ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    md = out / "report.md"
    md.write_text(markdown(ev, plots), encoding="utf-8")
    js = out / "results.json"
    js.write_text(json.dumps(ev.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
    return {"markdown": md, "json": js}
