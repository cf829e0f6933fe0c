"""Running the demo's deployments and collecting their like rates."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from oleg.config import load_deployment_dict
from oleg.engine import Engine
from oleg.plugins import Plugins
from oleg.store import Store

DATA_END = datetime(2024, 12, 4, tzinfo=UTC)
DEFAULT_START = datetime(2024, 11, 10, tzinfo=UTC)
POOL_WINDOW = timedelta(days=2)


def demo_start(days: int) -> datetime:
    """The busiest stretch of the bundled posts: mid-November 2024, earlier for long runs."""
    return min(DEFAULT_START, DATA_END - timedelta(days=days))


def demo_deployment(
    *,
    recommender: str,
    subscribers: int,
    days: int,
    seed: int,
    database: str,
    start: datetime | None = None,
) -> dict[str, Any]:
    """The deployment the demo runs, as the dict a TOML file would parse to."""
    start = start or demo_start(days)
    oracle = recommender == "oracle"
    return {
        "deployment": {"name": f"demo-{recommender}", "database": database, "seed": seed},
        "engine": {
            "pool_window": "2d",
            "exploration": {"kind": "greedy"} if oracle else {"kind": "boltzmann", "temperature": 0.01},
        },
        "source": {
            "plugin": "replay",
            "path": "builtin:telegram-news-ru",
            "start": (start - POOL_WINDOW).isoformat(),
        },
        "sink": {"plugin": "simulated", "subscribers": subscribers},
        "recommender": {"plugin": recommender, **SETTINGS.get(recommender, {})},
        "cold_start": {"plugin": "none"} if oracle else {"plugin": "top-bias", "first_posts": 30},
        "scheduler": {
            "plugin": "virtual",
            "start": start.isoformat(),
            "run_for": f"{days}d",
            "mailing_every": "2h",
            "train_every": "30m",
            "full_retrain_every": 24,
            "ingest_every": "10m",
            "feedback_every": "10m",
        },
    }


@dataclass
class PolicyRun:
    name: str
    database: str
    seconds: float
    days: list[dict[str, Any]] = field(default_factory=list)

    def like_rate(self, first_day: int = 0, last_day: int | None = None) -> float:
        rows = self.days[first_day:last_day]
        delivered = sum(r["deliveries"] for r in rows)
        return sum(r["likes"] for r in rows) / delivered if delivered else 0.0


@dataclass
class DemoResult:
    recommender: str
    subscribers: int
    days: int
    seed: int
    start: datetime
    runs: dict[str, PolicyRun]
    out: Path
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def last_week_label(self) -> str:
        """The days the headline figure covers: the last 7 (days 8-14 of the default run)."""
        first = max(0, self.days - 7)
        return f"days {first + 1}-{self.days}"

    def last_week(self) -> dict[str, float]:
        """Like rate over the last 7 days (all days for shorter runs), per policy: by then
        cold start is over and the models have data, so this is the figure to compare."""
        first = max(0, self.days - 7)
        return {name: run.like_rate(first) for name, run in self.runs.items()}


PREFERRED = ("embedding-nn", "popular")
"""The demo shows the first of these that is installed (OLEG's network, else a baseline)."""
COMPARED = ("random", "popular", "als", "oracle")
"""Run beside it on the same subscribers, those of them that are installed."""
SETTINGS: dict[str, dict[str, Any]] = {
    # Small data (200 subscribers, a few thousand ratings): fewer factors, more
    # regularization, and one thread per process since the policies run side by side.
    "als": {"factors": 16, "regularization": 10.0, "num_threads": 1},
    # A few hundred ratings per subscriber: a lighter penalty lets topic tastes show sooner,
    # and five full passes instead of early stopping on a held-out tenth of a few thousand
    # noisy 👍/👎 (it stopped after two, leaving the topic tastes half learned).
    "embedding-nn": {"embedding_reg": 1e-4, "validation_share": 0.0, "epochs": 5},
}


def default_recommender() -> str:
    installed = Plugins.available()
    return next((name for name in PREFERRED if name in installed), PREFERRED[-1])


def _policies(recommender: str, compare: bool) -> list[str]:
    names = [recommender]
    if compare:
        installed = Plugins.available()
        names += [n for n in COMPARED if n != recommender and n in installed]
    return names


def run_policy(
    name: str, *, subscribers: int, days: int, seed: int, out: Path,
    report: Callable[[float], None] | None = None, plugins: Plugins | None = None,
    settings: dict[str, Any] | None = None, label: str | None = None,
) -> PolicyRun:
    """One complete simulated deployment with recommender ``name``, from an empty store.

    ``report(share)`` is called as the virtual clock advances (share of the run done).
    ``settings`` override the recommender's; ``label`` names the run (and its store file)
    when one recommender runs several times with different settings.
    """
    label = label or name
    db_path = out / f"demo-{label}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    database = f"sqlite:///{db_path.resolve()}"
    raw = demo_deployment(recommender=name, subscribers=subscribers, days=days, seed=seed, database=database)
    raw["recommender"].update(settings or {})
    plugins = plugins or Plugins()
    deployment = load_deployment_dict(raw, plugins=plugins, source_file=None)
    store = Store.open(database)
    engine = Engine(deployment, plugins, store=store)
    total = days * 86400.0
    start = demo_start(days)
    if report is not None:
        engine.scheduler.on_tick = lambda now: report((now - start).total_seconds() / total)  # type: ignore[attr-defined]
    began = time.perf_counter()
    try:
        engine.run()
        return PolicyRun(label, database, time.perf_counter() - began, store.daily_stats())
    finally:
        store.close()


def _worker(name: str, kwargs: dict[str, Any], queue: Any) -> PolicyRun:
    """Runs one policy in a worker process, sending its progress back through ``queue``."""
    last = [0.0]

    def report(share: float) -> None:
        if share - last[0] >= 0.005:
            last[0] = share
            queue.put((name, share))

    return run_policy(name, report=report, **kwargs)


def run_demo(
    *,
    recommender: str | None = None,
    subscribers: int = 200,
    days: int = 14,
    seed: int = 0,
    out: Path = Path("oleg-demo-report"),
    compare: bool = True,
    workers: int | None = None,
    console: Console | None = None,
) -> DemoResult:
    """Run the demo; policies run side by side in ``workers`` processes (default: one per
    core), each a complete deployment with its own SQLite store in ``out``."""
    from oleg.demo.report import print_summary, write_report

    console = console or Console()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plugins = Plugins()
    recommender = recommender or default_recommender()
    plugins.component("recommender", recommender)  # an unknown name fails here, at once
    names = _policies(recommender, compare)
    workers = max(1, min(workers or os.cpu_count() or 1, len(names)))
    console.print(
        f"Simulating {days} days of a feed for {subscribers} subscribers on real Telegram posts "
        f"(seed {seed}): {', '.join(names)}"
    )
    kwargs = {"subscribers": subscribers, "days": days, "seed": seed, "out": out}
    runs: dict[str, PolicyRun] = {}
    with Progress(
        TextColumn("{task.description:>12}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(), console=console, transient=False,
    ) as progress:
        tasks = {name: progress.add_task(name, total=1.0) for name in names}
        if workers == 1:
            for name in names:
                runs[name] = run_policy(
                    name, plugins=plugins, report=lambda share, n=name: progress.update(tasks[n], completed=share),
                    **kwargs,
                )
                progress.update(tasks[name], completed=1.0)
        else:
            context = multiprocessing.get_context("spawn")
            with context.Manager() as manager, ProcessPoolExecutor(workers, mp_context=context) as pool:
                queue = manager.Queue()
                futures = {pool.submit(_worker, name, kwargs, queue): name for name in names}
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    while not queue.empty():
                        name, share = queue.get()
                        progress.update(tasks[name], completed=share)
                    for future in done:
                        runs[futures[future]] = future.result()
                        progress.update(tasks[futures[future]], completed=1.0)
    runs = {name: runs[name] for name in names}
    result = DemoResult(recommender, subscribers, days, seed, demo_start(days), runs, out)
    result.files = write_report(result)
    print_summary(result, console)
    return result

