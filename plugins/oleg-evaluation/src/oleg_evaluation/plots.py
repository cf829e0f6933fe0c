"""Plots of an :class:`Evaluation`: a bar chart per metric, and the learning curves of
recommenders that train in epochs and keep a ``history`` (a list of dicts with
``epoch`` and losses), so under- and over-fitting show at a glance."""

from __future__ import annotations

import math
from pathlib import Path

from oleg_evaluation.names import slug, title
from oleg_evaluation.results import Evaluation


def write_plots(ev: Evaluation, out: Path) -> dict[str, Path]:
    """PNG files in ``out``: ``metric-<name>.png`` per metric, ``learning-curves.png``."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    scale = ev.dataset.get("scale")
    summary, spread = ev.summary(), ev.spread()
    labels = ev.labels()
    files: dict[str, Path] = {}
    for metric in ev.metric_names():
        values = [summary[label][metric] for label in labels]
        if all(math.isnan(v) for v in values):
            continue
        errors = [spread[label][metric] for label in labels] if len(ev.splits) > 1 else None
        fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(labels) + 2), 3.6), dpi=100)
        ax.bar(range(len(labels)), [0 if math.isnan(v) else v for v in values], yerr=errors,
               color="tab:blue", capsize=4)
        ticks = [f"{label}\n{'-' if math.isnan(v) else f'{v:.4g}'}" for label, v in zip(labels, values, strict=True)]
        ax.set_xticks(range(len(labels)), ticks, fontsize=8)
        name = title(metric, tuple(scale) if scale else None)
        ax.set_title(f"{name} on {ev.dataset['name']}")
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        path = out / f"metric-{slug(metric)}.png"
        fig.savefig(path)
        plt.close(fig)
        files[name] = path
    histories = ev.histories()
    if histories:
        fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
        for label, history in histories.items():
            epochs = [h.get("epoch", i) for i, h in enumerate(history)]
            for key in sorted({k for h in history for k, v in h.items() if k != "epoch" and isinstance(v, int | float)}):
                ax.plot(epochs, [h.get(key, float("nan")) for h in history], marker="o", ms=3, label=f"{label}: {key}")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_title("learning curves (first split)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out / "learning-curves.png"
        fig.savefig(path)
        plt.close(fig)
        files["learning curves"] = path
    return files
