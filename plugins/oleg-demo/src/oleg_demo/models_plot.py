"""``models_<policy>.png`` for each policy that ran challengers: which line of models scored
the recommender's deliveries each day (stacked shares: the registry's timeline), and the
ROC curves of the last challenger judged against the champion on the same held-out ratings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from oleg_demo.result import DemoResult, PolicyRun

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLORS = ["tab:blue", "tab:red", "tab:gray", "tab:green", "tab:purple", "tab:brown"]


def models_figure(run: PolicyRun, days: list[str]) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 4.6), dpi=110, layout="constrained")
    served_ax, roc_ax = fig.subplots(1, 2, width_ratios=[2.6, 1])
    bottom = [0.0] * len(days)
    for i, line in enumerate(run.lines):
        shares = []
        for day in days:
            rows = [r for r in run.served if r["day"] == day]
            total = sum(r["deliveries"] for r in rows)
            mine = sum(r["deliveries"] for r in rows if r["lineage"] == line)
            shares.append(100 * mine / total if total else 0.0)
        counts = ", ".join(f"{k} {v}" for k, v in sorted(run.decisions.get(line, {}).items()))
        served_ax.bar(
            range(len(days)),
            shares,
            bottom=bottom,
            color=COLORS[i % len(COLORS)],
            label=f"{line} ({counts or 'no decisions'})",
        )
        bottom = [b + s for b, s in zip(bottom, shares, strict=True)]
    served_ax.set_xticks(range(len(days)), days, rotation=45, ha="right", rotation_mode="anchor")
    served_ax.set_ylim(0, 100)
    served_ax.set_ylabel("% of the recommender's deliveries")
    served_ax.set_title(
        "which line of models served, by day (legend: its versions' decisions)", fontsize=10
    )
    served_ax.legend(fontsize=8, loc="lower left")
    roc = run.roc
    if roc:
        for key, style in (("champion", "-"), ("challenger", "--")):
            curve = roc[key]
            auc = f"{curve['auc']:.3f}" if curve.get("auc") is not None else "-"
            roc_ax.plot(
                curve["fpr"],
                curve["tpr"],
                style,
                label=f"{key}: {curve['line']} v{curve['version']} (AUC {auc})",
            )
        roc_ax.plot([0, 1], [0, 1], ":", color="grey", label="chance")
        roc_ax.set_title(
            f"last judgment ({roc['outcome']}), {roc['n_ratings']} held-out ratings", fontsize=10
        )
        roc_ax.legend(fontsize=8, loc="lower right")
    roc_ax.set_xlabel("false positive rate")
    roc_ax.set_ylabel("true positive rate")
    roc_ax.grid(alpha=0.3)
    fig.suptitle(f"{run.name}: the model registry, champion and challengers")
    return fig


def write_models_plots(result: DemoResult) -> dict[str, Path]:
    """One PNG per policy that had more than one line of models."""
    out = {}
    days = result.day_labels()
    for name, run in result.runs.items():
        if len(run.lines) > 1:
            png = result.out / f"models_{name}.png"
            models_figure(run, days).savefig(png)
            out[f"models_{name}"] = png
    return out
