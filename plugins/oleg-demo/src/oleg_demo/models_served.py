"""What the model registry did in a policy's run, read from its store for the report:
which line of models served each day, how its versions were judged, and the ROC curves of
the last judgment of a challenger against the champion."""

from __future__ import annotations

from collections import Counter
from typing import Any

from oleg.store import Store


def served_by_line(store: Store) -> list[dict[str, Any]]:
    """Per day and line: the recommender's deliveries scored by that line's versions."""
    return [{**row, "day": str(row["day"])} for row in store.served_by_day()]


def decision_counts(store: Store) -> dict[str, dict[str, int]]:
    """Per line of models: its versions' decisions by outcome (promoted, rejected, collapsed...)."""
    lines: dict[int, str] = {v.id: v.lineage for v in store.model_versions(limit=1_000_000)}
    counts: dict[str, Counter[str]] = {}
    for d in store.decisions(limit=1_000_000):
        counts.setdefault(lines.get(d.version_id, "?"), Counter())[str(d.outcome)] += 1
    return {line: dict(c) for line, c in sorted(counts.items())}


def latest_roc(store: Store) -> dict[str, Any] | None:
    """The newest judgment with both ROC curves: the challenger's line, the champion's,
    both AUCs, the curves' points."""
    for d in store.decisions(limit=1000):
        roc = d.details.get("roc") or {}
        if roc.get("challenger", {}).get("fpr") and roc.get("champion", {}).get("fpr"):
            challenger, champion = (
                store.model_version(d.version_id),
                store.model_version(d.champion_id or 0),
            )
            return {
                "at": d.at.isoformat(),
                "outcome": str(d.outcome),
                "n_ratings": d.n_ratings,
                "challenger": {
                    "line": challenger.lineage if challenger else "?",
                    "version": d.version_id,
                    "auc": d.challenger_value,
                    **roc["challenger"],
                },
                "champion": {
                    "line": champion.lineage if champion else "?",
                    "version": d.champion_id,
                    "auc": d.champion_value,
                    **roc["champion"],
                },
            }
    return None


def recent_decisions(store: Store, n: int = 12) -> list[dict[str, Any]]:
    """The last ``n`` decisions, oldest first, as the report's table shows them."""
    lines: dict[int, str] = {v.id: v.lineage for v in store.model_versions(limit=1_000_000)}
    return [
        {
            "at": d.at.isoformat()[:16],
            "version": d.version_id,
            "line": lines.get(d.version_id, "?"),
            "outcome": str(d.outcome),
            "challenger": d.challenger_value,
            "champion": d.champion_value,
            "n_ratings": d.n_ratings,
            "reason": d.reason,
        }
        for d in reversed(store.decisions(limit=n))
    ]
