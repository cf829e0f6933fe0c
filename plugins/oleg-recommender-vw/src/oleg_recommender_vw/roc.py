"""ROC curves of models scored on the same held-out ratings, as one PNG: what a registry's
validation draws for champion and challenger (Lamoda validates by ROC AUC)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from oleg.metrics import auc
from oleg.types import FloatArray


@dataclass(frozen=True)
class RocCurve:
    """False and true positive rates at every threshold, and the area under them."""

    label: str
    fpr: FloatArray
    tpr: FloatArray
    auc: float


def roc_curve(label: str, labels: npt.ArrayLike, scores: npt.ArrayLike) -> RocCurve:
    """The curve of ``scores`` against ``labels`` (1 = 👍); tied scores move together."""
    y = np.asarray(labels, dtype=np.float64) > 0.5
    s = np.asarray(scores, dtype=np.float64)
    if len(y) != len(s):
        raise ValueError(f"{label}: {len(s)} scores for {len(y)} labels")
    if y.all() or not y.any():
        raise ValueError(f"{label}: the held-out ratings hold only one class; no ROC curve")
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    tp = np.cumsum(y)[last_of_tie]
    fp = (last_of_tie + 1) - tp
    fpr = np.r_[0.0, fp / (~y).sum()]
    tpr = np.r_[0.0, tp / y.sum()]
    return RocCurve(label, fpr, tpr, auc(y.astype(np.float64), s))


def plot_roc(
    curves: Sequence[RocCurve], out: Path, *, title: str = "ROC on held-out ratings"
) -> Path:
    """Draw ``curves`` (e.g. champion and challenger on the same ratings) into a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not curves:
        raise ValueError("plot_roc needs at least one curve")
    fig, ax = plt.subplots(figsize=(4.8, 4.8), dpi=100)
    for curve in curves:
        ax.plot(curve.fpr, curve.tpr, label=f"{curve.label} (AUC {curve.auc:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="chance")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
