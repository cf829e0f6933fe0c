"""What each page shows: the queries' figures, shaped into tables and charts."""

from __future__ import annotations

from typing import Any

from oleg_dashboard import queries as q
from oleg_dashboard.charts import STATUS_COLOURS, Series, line_chart, percent, stacked_bars
from oleg_dashboard.source import ReadOnlyStore


def overview(store: ReadOnlyStore) -> dict[str, Any]:
    people = q.audience(store)
    sent = q.deliveries_by_day(store)
    rates = q.like_rates(store)
    totals = q.status_totals(store)
    status_order = sorted(
        sent.values, key=lambda s: list(STATUS_COLOURS).index(s) if s in STATUS_COLOURS else 9
    )
    charts = [
        line_chart(
            "Subscribers per day",
            people.days,
            [
                Series("active", people.active),
                Series("new", people.new),
                Series("departed", people.departed),
            ],
        ),
        stacked_bars(
            "Deliveries per day, by status",
            sent.days,
            [Series(s, sent.values[s], STATUS_COLOURS.get(s)) for s in status_order],
        ),
        line_chart(
            "Like rate per day of sending, by policy",
            rates.days,
            [Series(p, rates.rate(p)) for p in rates.policies],
            fmt=percent,
            top=1.0,
        ),
    ]
    return {
        "page": "overview",
        "charts": charts,
        "people": people,
        "totals": totals,
        "n_deliveries": sum(totals.values()),
        "rounds": q.last_rounds(store),
        "errors": q.delivery_errors(store),
        "policies": [(p, sum(rates.rated[p]), sum(rates.liked[p])) for p in rates.policies],
    }


def models(store: ReadOnlyStore) -> dict[str, Any]:
    versions = q.model_versions(store)
    labels = [v.created_at.strftime("%m-%d %H:%M") for v in versions]
    charts = []
    if versions:
        charts.append(
            line_chart(
                "Prequential AUC of each version (on new ratings, before learning them)",
                labels,
                [Series("AUC", [v.auc for v in versions])],
                top=1.0,
            )
        )
        charts.append(
            line_chart(
                "Ratings learned from",
                labels,
                [Series("ratings", [v.n_feedback for v in versions])],
            )
        )
        charts.append(
            line_chart(
                "Training seconds",
                labels,
                [
                    Series(kind, [v.train_seconds if v.kind == kind else None for v in versions])
                    for kind in ("full", "incremental")
                ],
                fmt=lambda v: f"{v:.2g}",
            )
        )
    decisions = q.decisions(store)
    return {
        "page": "models",
        "charts": charts,
        "versions": list(reversed(versions)),
        "champion": next((v for v in reversed(versions) if v.status == "champion"), None),
        "decisions": decisions,
        "collapsed": sum(d.outcome == "collapsed" for d in decisions),
    }


def channels(store: ReadOnlyStore) -> dict[str, Any]:
    posts = q.posts_by_day(store)
    rows = q.channels(store)
    return {
        "page": "channels",
        "charts": [
            stacked_bars(
                "Posts per day",
                posts.days,
                [
                    Series(k, posts.values[k], "#1f77b4" if k == "live" else "#7f7f7f")
                    for k in posts.values
                ],
            )
        ],
        "channels": rows,
        "unliked": [c for c in rows if c.nobody_likes],
        "accounts": q.accounts(store),
        "queue": q.join_queue(store),
    }


def subscriber_list(store: ReadOnlyStore) -> dict[str, Any]:
    return {"page": "subscribers", "subscribers": q.subscribers(store)}


def find(store: ReadOnlyStore, key: str) -> int | None:
    return q.find_subscriber(store, key)


def subscriber(store: ReadOnlyStore, key: str) -> dict[str, Any] | None:
    sub_id = q.find_subscriber(store, key)
    got = q.feed(store, sub_id) if sub_id is not None else None
    if got is None:
        return None
    return {"page": "subscribers", "feed": got, "sub": got.subscriber}
