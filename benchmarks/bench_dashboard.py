"""The dashboard's pages on a store with a million deliveries: each page must answer in
under a second (its aggregates run in SQL, over indexes).

The store is filled in a few bulk inserts (no engine run): 40 channels, 50,000 posts over
30 days, 10,000 subscribers, 1,000,000 deliveries (100 per subscriber, one round every
2 hours, 95% sent, 3% failed, 2% retry), 40% of them rated, 700 model versions. Each page
is then requested over HTTP (Starlette's test client) a few times; the table shows the best
and the median time.

Usage: .venv/bin/python benchmarks/bench_dashboard.py [--deliveries 1000000] [--postgres URL]
(~1 minute on SQLite at 1M, most of it filling the store)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from oleg.store import Store
from oleg.store.tables import channel_t, delivery_t, feedback_t, model_t, post_t, subscriber_t
from oleg_dashboard.app import create_app
from oleg_dashboard.source import open_readonly
from results_file import write_results
from rich.console import Console
from rich.table import Table
from starlette.testclient import TestClient

T0 = datetime(2025, 1, 1, tzinfo=UTC)
PAGES = {
    "overview": "/",
    "models": "/models",
    "channels": "/channels",
    "subscribers": "/subscribers",
    "one subscriber": "/subscribers/sub-4242",
}
TARGET_S = 1.0
CHUNK = 200_000


def fill(url: str, n_deliveries: int, seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    n_channels, n_posts, n_subs = 40, 50_000, 10_000
    per_sub = max(1, n_deliveries // n_subs)
    rounds = per_sub
    timings: dict[str, float] = {}
    store = Store.open(url)
    began = time.perf_counter()
    with store.engine.begin() as conn:
        conn.execute(
            channel_t.insert(),
            [
                {"id": -1000 - c, "title": f"Channel {c}", "username": f"ch{c}", "added_at": T0}
                for c in range(n_channels)
            ],
        )
        conn.execute(
            post_t.insert(),
            [
                {
                    "id": p + 1,
                    "channel_id": -1000 - int(rng.integers(n_channels)),
                    "message_id": p + 1,
                    "date": T0 + timedelta(minutes=int(p * 30 * 24 * 60 / n_posts)),
                    "media_kind": "text",
                    "deleted": False,
                }
                for p in range(n_posts)
            ],
        )
        conn.execute(
            subscriber_t.insert(),
            [
                {
                    "id": s + 1,
                    "external_id": f"sub-{s}",
                    "active": s % 20 != 0,
                    "joined_at": T0 + timedelta(hours=s % 240),
                    "left_at": T0 + timedelta(days=20) if s % 20 == 0 else None,
                }
                for s in range(n_subs)
            ],
        )
        conn.execute(
            model_t.insert(),
            [
                {
                    "id": m + 1,
                    "plugin": "popular",
                    "kind": "full" if m % 10 == 0 else "incremental",
                    "params": {},
                    "metrics": {
                        "train_seconds": 0.01,
                        "n_batch": 100,
                        "prequential": {"auc": 0.6, "logloss": 0.6},
                    },
                    "status": "champion" if m == 699 else "retired",
                    "n_feedback": m * 500,
                    "created_at": T0 + timedelta(hours=m),
                }
                for m in range(700)
            ],
        )
    timings["fill other tables s"] = time.perf_counter() - began
    began = time.perf_counter()
    delivery_id = 0
    rows: list[dict[str, object]] = []
    ratings: list[dict[str, object]] = []

    def flush() -> None:
        with store.engine.begin() as conn:
            if rows:
                conn.execute(delivery_t.insert(), rows)
            if ratings:
                conn.execute(feedback_t.insert(), ratings)
        rows.clear()
        ratings.clear()

    for r in range(rounds):
        at = T0 + timedelta(hours=2 * r)
        status = rng.choice(["sent", "failed", "retry"], size=n_subs, p=[0.95, 0.03, 0.02])
        rated = rng.random(n_subs) < 0.4
        liked = rng.random(n_subs) < 0.3
        for s in range(n_subs):
            delivery_id += 1
            pid = (s * 7919 + r * 104729) % n_posts + 1  # distinct per subscriber (104729 is prime)
            rows.append(
                {
                    "id": delivery_id,
                    "subscriber_id": s + 1,
                    "post_id": pid,
                    "sent_at": at,
                    "policy": "cold_start:top-bias" if r < 3 else "recommender:popular",
                    "score": 0.5,
                    "propensity": 0.1,
                    "model_version_id": min(700, r * 7 + 1) if r >= 3 else None,
                    "status": str(status[s]),
                    "error": "Forbidden: bot was blocked" if status[s] == "failed" else None,
                }
            )
            if rated[s] and status[s] == "sent":
                ratings.append(
                    {
                        "delivery_id": delivery_id,
                        "subscriber_id": s + 1,
                        "post_id": pid,
                        "value": int(liked[s]),
                        "at": at + timedelta(minutes=10),
                    }
                )
        if len(rows) >= CHUNK:
            flush()
    flush()
    timings["fill deliveries s"] = time.perf_counter() - began
    store.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres", help="an empty PostgreSQL database URL instead of a SQLite file"
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = args.postgres or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    fill_times = fill(url, args.deliveries)
    store = open_readonly(url)
    client = TestClient(create_app(store, token=None, title="bench"))
    table = Table(title=f"Dashboard pages, {args.deliveries:,} deliveries ({store.dialect})")
    for column in ("page", "best s", "median s", f"target < {TARGET_S:g} s"):
        table.add_column(column, justify="right" if column != "page" else "left")
    results = {}
    for name, path in PAGES.items():
        times = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - began)
            assert response.status_code == 200, (path, response.status_code)
        best, median = min(times), statistics.median(times)
        results[name] = {"best_s": round(best, 4), "median_s": round(median, 4)}
        table.add_row(
            name, f"{best:.3f}", f"{median:.3f}", "yes" if median < TARGET_S else "[red]NO[/]"
        )
    store.close()
    Console().print(table)
    out = write_results(
        "dashboard",
        {
            "deliveries": args.deliveries,
            "backend": store.dialect,
            "fill": {k: round(v, 1) for k, v in fill_times.items()},
            "pages": results,
        },
    )
    print(f"results: {out}")


if __name__ == "__main__":
    main()
