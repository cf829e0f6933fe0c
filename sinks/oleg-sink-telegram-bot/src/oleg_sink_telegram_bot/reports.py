"""The admin commands' answers, computed from the store: /stats and /channels."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import TYPE_CHECKING

from oleg.versions import DecisionOutcome

if TYPE_CHECKING:
    from oleg.store.views import StoreReader
    from oleg_tdlib.listening import ListeningStore


def stats_text(store: StoreReader, today: date) -> str:
    """Active subscribers, the like rate of the last 7 days, the champion model."""
    active = len(store.subscribers(active_only=True))
    since = today - timedelta(days=6)
    week = [d for d in store.daily_stats() if d["day"] >= since]
    sent = sum(d["deliveries"] for d in week)
    likes = sum(d["likes"] for d in week)
    rated = likes + sum(d["dislikes"] for d in week)
    rate = f"{likes / rated:.1%} ({likes} 👍 of {rated} rated)" if rated else "no ratings yet"
    champion = store.champion()
    model = (
        f"#{champion.id} {champion.lineage} ({champion.kind}, {champion.n_feedback} ratings)"
        if champion
        else "none yet"
    )
    lines = [
        f"Active subscribers: {active}",
        f"Last 7 days: {sent} posts sent, like rate {rate}",
        f"Champion model: {model}",
    ]
    decisions = store.decisions(limit=200)
    collapsed = next((d for d in decisions if d.outcome is DecisionOutcome.COLLAPSED), None)
    if collapsed is not None and collapsed.at.date() >= since:
        version = store.model_version(collapsed.version_id)
        lines.append(
            f"⚠️ Model #{collapsed.version_id} ({version.lineage if version else '?'}) collapsed "
            f"on {collapsed.at:%Y-%m-%d %H:%M} and was not served: {collapsed.reason}"
        )
    return "\n".join(lines)


def channels_text(store: ListeningStore) -> str:
    """Channel assignments by account and status, and the join queue by status."""
    by_account = Counter((a["account"], a["status"]) for a in store.assignments())
    requests = Counter(r["status"] for r in store.channel_requests())
    lines = ["Channels by account:"]
    if not by_account:
        lines.append("  none assigned")
    for account in sorted({a for a, _ in by_account}):
        counts = ", ".join(f"{s} {n}" for (a, s), n in sorted(by_account.items()) if a == account)
        lines.append(f"  {account}: {counts}")
    lines.append(
        "Join requests: " + (", ".join(f"{s} {n}" for s, n in sorted(requests.items())) or "none")
    )
    return "\n".join(lines)
