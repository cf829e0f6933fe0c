"""The demo's plot, ``like_rate.png``: one line per policy, in the policy's own style."""

from __future__ import annotations

from pathlib import Path

from oleg_demo.config import PlotStyle
from oleg_demo.result import DemoResult


def rate(row: dict) -> float:
    return row["likes"] / row["deliveries"] if row["deliveries"] else 0.0


def write_plot(result: DemoResult) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=110)
    for name, run in result.runs.items():
        rates = [rate(r) * 100 for r in run.days]
        style = result.styles.get(name, PlotStyle())
        ax.plot(
            range(1, len(rates) + 1),
            rates,
            style.line,
            color=style.color,
            marker="o",
            ms=3,
            lw=2,
            label=name,
        )
    ax.set_xlabel("day of the simulation")
    ax.set_ylabel("like rate, % of posts sent")
    ax.set_title(f"oleg demo: {result.subscribers} simulated subscribers, real Telegram posts")
    ax.grid(alpha=0.3)
    ax.set_ylim(bottom=0)
    ax.legend()
    fig.tight_layout()
    png = result.out / "like_rate.png"
    fig.savefig(png)
    plt.close(fig)
    return png
