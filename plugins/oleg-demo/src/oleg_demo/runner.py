"""Running the demo's deployments and collecting their like rates.

Uses the core's public API only: :func:`oleg.config.load_deployment_dict` validates each
policy's deployment, :class:`oleg.engine.Engine` runs it on a :class:`oleg.store.Store`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oleg.config import Deployment, load_deployment_dict
from oleg.engine import Engine
from oleg.plugins import Plugins
from oleg.store import Store
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from oleg_demo.config import DemoConfig, Policy
from oleg_demo.models_served import decision_counts, latest_roc, recent_decisions, served_by_line
from oleg_demo.result import DemoResult, PolicyRun
from oleg_demo.selection import select_policies
from oleg_demo.spread import read_spread


@dataclass(frozen=True)
class RunSize:
    """What every policy of one demo shares: subscribers, days, seed, the report folder."""

    subscribers: int
    days: int
    seed: int
    out: Path

    def database(self, policy: Policy) -> str:
        return f"sqlite:///{(self.out / f'demo-{policy.name}.db').resolve()}"

    def data_dir(self, policy: Policy) -> Path:
        """The policy's model files (the registry's) and plugin folders."""
        return (self.out / f"demo-{policy.name}").resolve()


def resolve(config: DemoConfig, policy: Policy, size: RunSize, plugins: Plugins) -> Deployment:
    """``policy``'s deployment, validated by the core as a deployment file would be."""
    raw = config.deployment(
        policy,
        subscribers=size.subscribers,
        days=size.days,
        seed=size.seed,
        database=size.database(policy),
        data_dir=str(size.data_dir(policy)),
    )
    return load_deployment_dict(raw, plugins=plugins, source_file=config.path)


def run_policy(
    config: DemoConfig,
    policy: Policy,
    size: RunSize,
    *,
    report: Callable[[float], None] | None = None,
    plugins: Plugins | None = None,
) -> PolicyRun:
    """One complete simulated deployment of ``policy``, from an empty store.

    ``report(share)`` is called as the virtual clock advances (share of the run done).
    """
    database = size.database(policy)
    db_path = database.removeprefix("sqlite:///")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(size.data_dir(policy), ignore_errors=True)
    plugins = plugins or Plugins()
    deployment = resolve(config, policy, size, plugins)
    store = Store.open(database)
    engine = Engine(deployment, plugins, store=store)
    total = size.days * 86400.0
    start = config.start(size.days)
    if report is not None:
        engine.scheduler.on_tick = lambda now: report((now - start).total_seconds() / total)  # type: ignore[attr-defined]
    began = time.perf_counter()
    # A challenger's collapse is a warning in a deployment; in the demo the broken one is
    # meant to collapse, and the report tells every decision.
    registry_log = logging.getLogger("oleg.engine.registry")
    level = registry_log.level
    registry_log.setLevel(logging.ERROR)
    try:
        engine.run()
        return PolicyRun(
            policy.name, database, time.perf_counter() - began, store.daily_stats(),
            served=served_by_line(store), decisions=decision_counts(store),
            roc=latest_roc(store), recent=recent_decisions(store),
        )
    finally:
        registry_log.setLevel(level)
        store.close()


def _worker(config: DemoConfig, policy: Policy, size: RunSize, queue: Any) -> PolicyRun:
    """Runs one policy in a worker process, sending its progress back through ``queue``."""
    last = [0.0]

    def report(share: float) -> None:
        if share - last[0] >= 0.005:
            last[0] = share
            queue.put((policy.name, share))

    return run_policy(config, policy, size, report=report)


def run_demo(
    *,
    config: DemoConfig | Path | str | None = None,
    recommender: str | None = None,
    compare: bool | Sequence[str] = True,
    subscribers: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    out: Path = Path("oleg-demo-report"),
    workers: int | None = None,
    console: Console | None = None,
) -> DemoResult:
    """Run the demo of ``config`` (default: the bundled ``demo.toml``).

    ``recommender`` and ``compare`` pick the policies (see :func:`select_policies`);
    ``subscribers``, ``days`` and ``seed`` default to the config's. Policies run side by
    side in ``workers`` processes (default: one per core), each a complete deployment with
    its own SQLite store in ``out``.
    """
    from oleg_demo.report import print_summary, write_report

    if not isinstance(config, DemoConfig):
        config = DemoConfig.load(config)
    console = console or Console()
    out = Path(out)
    size = RunSize(
        subscribers if subscribers is not None else config.demo.subscribers,
        days if days is not None else config.demo.days,
        seed if seed is not None else config.demo.seed,
        out,
    )
    plugins = Plugins()
    policies = select_policies(config, plugins, recommender=recommender, compare=compare).policies
    for policy in policies:  # a wrong setting fails here, before any simulation
        resolve(config, policy, size, plugins)
    out.mkdir(parents=True, exist_ok=True)
    names = [p.name for p in policies]
    workers = max(1, min(workers or os.cpu_count() or 1, len(policies)))
    console.print(
        f"Simulating {size.days} days of a feed for {size.subscribers} subscribers "
        "on real Telegram posts "
        f"(seed {size.seed}): {', '.join(names)}"
    )
    runs: dict[str, PolicyRun] = {}
    with Progress(
        TextColumn("{task.description:>12}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks = {name: progress.add_task(name, total=1.0) for name in names}
        if workers == 1:
            for policy in policies:
                runs[policy.name] = run_policy(
                    config,
                    policy,
                    size,
                    plugins=plugins,
                    report=lambda share, n=policy.name: progress.update(tasks[n], completed=share),
                )
                progress.update(tasks[policy.name], completed=1.0)
        else:
            context = multiprocessing.get_context("spawn")
            with (
                context.Manager() as manager,
                ProcessPoolExecutor(workers, mp_context=context) as pool,
            ):
                queue = manager.Queue()
                futures = {
                    pool.submit(_worker, config, policy, size, queue): policy.name
                    for policy in policies
                }
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    while not queue.empty():
                        name, share = queue.get()
                        progress.update(tasks[name], completed=share)
                    for future in done:
                        runs[futures[future]] = future.result()
                        progress.update(tasks[futures[future]], completed=1.0)
    result = DemoResult(
        names[0],
        size.subscribers,
        size.days,
        size.seed,
        config.start(size.days),
        {name: runs[name] for name in names},
        out,
        styles={p.name: p.plot for p in policies},
        reference=config.demo.reference,
        config=config.path,
        posts=config.demo.posts,
    )
    window = result.last_week_start()
    result.spreads = {name: read_spread(run.database, window) for name, run in result.runs.items()}
    result.files = write_report(result)
    print_summary(result, console)
    return result
