"""The demo's report: a terminal table, the plot, a markdown page and the raw JSON.

Columns follow the runs' order: the headline policy, then those compared in the config's
order.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from oleg_demo.models_plot import write_models_plots
from oleg_demo.plot import rate, write_plot
from oleg_demo.result import DemoResult
from oleg_demo.spread import HIGH, LOW


def _cell(result: DemoResult, name: str, day: int) -> str:
    days = result.runs[name].days
    return f"{rate(days[day]):.1%}" if day < len(days) else "-"


def print_summary(result: DemoResult, console: Console) -> None:
    names = list(result.runs)
    table = Table(title=f"Like rate by day ({result.subscribers} subscribers, seed {result.seed})")
    table.add_column("day")
    for name in names:
        table.add_column(name, justify="right")
    for i, label in enumerate(result.day_labels()):
        table.add_row(label, *[_cell(result, name, i) for name in names])
    week2 = result.last_week()
    table.add_section()
    table.add_row(result.last_week_label, *[f"[bold]{week2[n]:.1%}[/]" for n in names])
    table.add_row("whole run", *[f"{result.runs[n].like_rate():.1%}" for n in names])
    table.add_row("seconds", *[f"{result.runs[n].seconds:.1f}" for n in names])
    console.print(table)
    console.print(f"Report: {result.files.get('markdown', result.out)}")


def markdown(result: DemoResult) -> str:
    names = list(result.runs)
    week2 = result.last_week()
    lines = [
        "# oleg demo report",
        "",
        f"{result.days} days from {result.start.date()} on {result.posts}, "
        f"{result.subscribers} simulated subscribers, seed {result.seed}. "
        "Like rate = 👍 / posts sent.",
        "",
        "![like rate by day](like_rate.png)",
        "",
        "| day | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for i, label in enumerate(result.day_labels()):
        lines.append(f"| {label} | " + " | ".join(_cell(result, n, i) for n in names) + " |")
    lines.append(
        f"| **{result.last_week_label}** | "
        + " | ".join(f"**{week2[n]:.1%}**" for n in names)
        + " |"
    )
    lines.append(
        "| whole run | " + " | ".join(f"{result.runs[n].like_rate():.1%}" for n in names) + " |"
    )
    lines += _spread_lines(result)
    lines += _registry_lines(result)
    reference = result.reference
    if reference in result.runs and week2.get(reference):
        lines += ["", f"Share of the {reference}'s like rate over {result.last_week_label}:", ""]
        lines += [f"- {n}: {week2[n] / week2[reference]:.0%}" for n in names if n != reference]
    return "\n".join(lines) + "\n"


def _spread_lines(result: DemoResult) -> list[str]:
    """The headline window's spread across subscribers: the right panel of the plot."""
    names = [n for n in result.runs if n in result.spreads and result.spreads[n].window.subscribers]
    if not names:
        return []
    rows = [
        (f"{LOW:.0f}th percentile", "low"),
        ("median", "median"),
        (f"{HIGH:.0f}th percentile", "high"),
    ]
    lines = [
        "",
        f"Each subscriber's like rate over {result.last_week_label}, across the subscribers:",
        "",
        "| subscribers' like rate | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for label, key in rows:
        cells = [f"{getattr(result.spreads[n].window, key):.1%}" for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    counts = [str(result.spreads[n].window.subscribers) for n in names]
    lines.append("| subscribers | " + " | ".join(counts) + " |")
    return lines


def _registry_lines(result: DemoResult) -> list[str]:
    """The model registry's decisions of every policy; for each policy with challengers, who
    served over the headline window, the decisions per line, and the registry's plot."""
    window = result.last_week_start()
    judged = {n: r for n, r in result.runs.items() if r.decisions}
    lines: list[str] = []
    if judged:
        outcomes = sorted({o for r in judged.values() for d in r.decisions.values() for o in d})
        lines += [
            "",
            "The model registry: each trained version judged against the one serving on "
            "ratings neither was trained on (docs/model-registry.md), decisions by outcome:",
            "",
            "| policy | " + " | ".join(outcomes) + " |",
            "|---|" + "---:|" * len(outcomes),
        ]
        for name, run in judged.items():
            totals = {o: sum(d.get(o, 0) for d in run.decisions.values()) for o in outcomes}
            lines.append(f"| {name} | " + " | ".join(str(totals[o]) for o in outcomes) + " |")
    for name, run in result.runs.items():
        if len(run.lines) < 2:
            continue
        first = str(window) if window else None
        lines += [
            "",
            f"## {name}: the model registry",
            "",
            f"![registry timeline](models_{name}.png)",
            "",
            f"| line of models | share served, {result.last_week_label} | share served, whole run "
            "| decisions |",
            "|---|---:|---:|---|",
        ]
        for line in run.lines:
            counts = ", ".join(f"{k} {v}" for k, v in sorted(run.decisions.get(line, {}).items()))
            window_share, whole = run.served_share(line, first), run.served_share(line)
            lines.append(f"| {line} | {window_share:.0%} | {whole:.0%} | {counts} |")
        lines += [
            "",
            "The registry's last decisions (all of them: `oleg models` on a deployment's store):",
            "",
            "| at | version | line | outcome | challenger AUC | champion AUC | held out | reason |",
            "|---|---:|---|---|---:|---:|---:|---|",
        ]
        for d in run.recent:
            figures = [
                f"{d[k]:.3f}" if d[k] is not None else "-" for k in ("challenger", "champion")
            ]
            lines.append(
                f"| {d['at']} | {d['version']} | {d['line']} | {d['outcome']} | {figures[0]} | "
                f"{figures[1]} | {d['n_ratings']} | {d['reason']} |"
            )
    return lines


def results_json(result: DemoResult) -> dict:
    week2 = result.last_week()
    return {
        "recommender": result.recommender,
        "subscribers": result.subscribers,
        "days": result.days,
        "seed": result.seed,
        "start": result.start.isoformat(),
        "config": str(result.config) if result.config else None,
        "last_week": result.last_week_label,
        "last_week_like_rate": week2,
        "last_week_spread": {n: s.window.to_json() for n, s in result.spreads.items()},
        "runs": {
            n: {
                "seconds": r.seconds,
                "like_rate": r.like_rate(),
                "days": [{**d, "day": str(d["day"])} for d in r.days],
                "served": r.served,
                "decisions": r.decisions,
            }
            for n, r in result.runs.items()
        },
    }


def write_report(result: DemoResult) -> dict[str, Path]:
    png = write_plot(result)
    registry_plots = write_models_plots(result)
    md = result.out / "report.md"
    md.write_text(markdown(result), encoding="utf-8")
    js = result.out / "results.json"
    js.write_text(json.dumps(results_json(result), indent=2), encoding="utf-8")
    return {"plot": png, "markdown": md, "json": js, **registry_plots}
