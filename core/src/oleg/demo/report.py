"""The demo's report: a terminal table, a PNG plot, a markdown page and the raw JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from oleg.demo.runner import DemoResult

ORDER = ("oracle", "als", "popular", "random")


def _names(result: DemoResult) -> list[str]:
    chosen = [result.recommender]
    return chosen + [n for n in ORDER if n in result.runs and n != result.recommender]


def _day_labels(result: DemoResult) -> list[str]:
    return [str(row["day"]) for row in next(iter(result.runs.values())).days]


def _rate(row: dict) -> float:
    return row["likes"] / row["deliveries"] if row["deliveries"] else 0.0


def print_summary(result: DemoResult, console: Console) -> None:
    names = _names(result)
    table = Table(title=f"Like rate by day ({result.subscribers} subscribers, seed {result.seed})")
    table.add_column("day")
    for name in names:
        table.add_column(name, justify="right")
    for i, label in enumerate(_day_labels(result)):
        cells = []
        for name in names:
            days = result.runs[name].days
            cells.append(f"{_rate(days[i]):.1%}" if i < len(days) else "-")
        table.add_row(label, *cells)
    week2 = result.last_week()
    table.add_section()
    table.add_row(result.last_week_label, *[f"[bold]{week2[n]:.1%}[/]" for n in names])
    table.add_row("whole run", *[f"{result.runs[n].like_rate():.1%}" for n in names])
    table.add_row("seconds", *[f"{result.runs[n].seconds:.1f}" for n in names])
    console.print(table)
    console.print(f"Report: {result.files.get('markdown', result.out)}")


def write_report(result: DemoResult) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = result.out
    names = _names(result)
    labels = _day_labels(result)
    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=110)
    styles = {
        "oracle": ("k", "--"), "random": ("tab:gray", ":"), "popular": ("tab:orange", "-."),
        "als": ("tab:green", "-."),
    }
    for name in names:
        rates = [_rate(r) * 100 for r in result.runs[name].days]
        color, style = styles.get(name, ("tab:blue", "-"))
        ax.plot(range(1, len(rates) + 1), rates, style, color=color, marker="o", ms=3, lw=2, label=name)
    ax.set_xlabel("day of the simulation")
    ax.set_ylabel("like rate, % of posts sent")
    ax.set_title(f"oleg demo: {result.subscribers} simulated subscribers, real Telegram posts")
    ax.grid(alpha=0.3)
    ax.set_ylim(bottom=0)
    ax.legend()
    fig.tight_layout()
    png = out / "like_rate.png"
    fig.savefig(png)
    plt.close(fig)

    week2 = result.last_week()
    lines = [
        "# oleg demo report",
        "",
        f"{result.days} days from {result.start.date()} on the bundled Telegram posts "
        f"(\"Dataset of Telegram News Posts\" by NKTKLN, CC BY 4.0), {result.subscribers} simulated "
        f"subscribers, seed {result.seed}. Like rate = 👍 / posts sent.",
        "",
        "![like rate by day](like_rate.png)",
        "",
        "| day | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for i, label in enumerate(labels):
        cells = [f"{_rate(result.runs[n].days[i]):.1%}" if i < len(result.runs[n].days) else "-" for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append(f"| **{result.last_week_label}** | " + " | ".join(f"**{week2[n]:.1%}**" for n in names) + " |")
    lines.append("| whole run | " + " | ".join(f"{result.runs[n].like_rate():.1%}" for n in names) + " |")
    if "oracle" in result.runs and week2.get("oracle"):
        lines += ["", f"Share of the oracle's like rate over {result.last_week_label}:", ""]
        lines += [f"- {n}: {week2[n] / week2['oracle']:.0%}" for n in names if n != "oracle"]
    md = out / "report.md"
    md.write_text("\n".join(lines) + "\n", encoding="utf-8")

    data = {
        "recommender": result.recommender,
        "subscribers": result.subscribers,
        "days": result.days,
        "seed": result.seed,
        "start": result.start.isoformat(),
        "last_week": result.last_week_label,
        "last_week_like_rate": week2,
        "runs": {
            n: {
                "seconds": r.seconds,
                "like_rate": r.like_rate(),
                "days": [{**d, "day": str(d["day"])} for d in r.days],
            }
            for n, r in result.runs.items()
        },
    }
    js = out / "results.json"
    js.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return {"plot": png, "markdown": md, "json": js}
