"""The crash benchmark (issue 10): a simulated deployment killed with SIGKILL at random, on
SQLite and on a real PostgreSQL, restarted until it reaches its end, then audited against an
uninterrupted run of the same seed. Targets: every count 0, the like rate within 0.5 point.

Each episode is a fresh store killed until its run ends (about a dozen kills: the run is
short); episodes repeat until the kills reach the target count per backend. The like rate
of all killed episodes together is held against the uninterrupted run's; the worst single
episode's gap is reported beside it.

Usage: .venv/bin/python benchmarks/bench_crash.py [--sqlite-kills 100] [--postgres-kills 50]
       [--days 14] [--subscribers 150] [--seed 0]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from oleg.testing.postgres import drop_database, new_database, postgres_server
from oleg_sink_simulated.crash import (
    DEFAULT_START,
    FEEDBACK_EVERY_MINUTES,
    CrashAudit,
    audit,
    crash_deployment,
    run_with_kills,
)
from results_file import write_results
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
LIKE_RATE_POINTS = 0.5


def run_backend(
    name: str, make_url: Any, kills: int, args: argparse.Namespace, progress: Progress
) -> dict[str, Any]:
    end = DEFAULT_START + timedelta(days=args.days)
    settle = timedelta(minutes=FEEDBACK_EVERY_MINUTES)
    with tempfile.TemporaryDirectory(prefix=f"oleg-crash-{name}-") as tmp:
        calm_dir = Path(tmp) / "calm"
        calm_dir.mkdir()
        calm_url = make_url(calm_dir)
        run_with_kills(crash_deployment(calm_dir, calm_url, days=args.days, subscribers=args.subscribers), kills=0, seed=0)
        calm = audit(calm_url, end=end, settle=settle)
        task = progress.add_task(f"{name}: kills", total=kills)
        episodes: list[CrashAudit] = []
        done = episode = 0
        started = time.perf_counter()
        while done < kills:
            episode += 1
            folder = Path(tmp) / f"e{episode}"
            folder.mkdir()
            url = make_url(folder)
            report = run_with_kills(
                crash_deployment(folder, url, days=args.days, subscribers=args.subscribers),
                kills=kills - done, seed=args.seed * 1000 + episode, min_wait=0.8, max_wait=2.5,
            )
            done += report.kills
            progress.update(task, completed=done)
            episodes.append(audit(url, end=end, settle=settle))
        seconds = time.perf_counter() - started
    totals = {k: sum(e.problems()[k] for e in episodes) for k in calm.problems()}
    rounds_differ = sum(e.rounds != calm.rounds for e in episodes)
    joiners_lost = sum(calm.subscribers - e.subscribers for e in episodes)
    worst_rate = max(abs(e.like_rate - calm.like_rate) for e in episodes)
    pooled = sum(e.likes for e in episodes) / max(1, sum(e.sent for e in episodes))
    return {
        "kills": done, "episodes": len(episodes), "seconds": round(seconds, 1),
        **totals, "episodes whose rounds differ": rounds_differ, "subscribers who never joined": joiners_lost,
        "like rate, uninterrupted": 100 * calm.like_rate, "like rate, killed (all episodes)": 100 * pooled,
        "like-rate gap, points": 100 * abs(pooled - calm.like_rate),
        "worst episode's gap, points": 100 * worst_rate,
        "unknown deliveries": sum(e.unknown for e in episodes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite-kills", type=int, default=100)
    parser.add_argument("--postgres-kills", type=int, default=50)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--subscribers", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    console = Console()
    results: dict[str, dict[str, Any]] = {}
    with Progress(console=console) as progress:
        results["sqlite"] = run_backend(
            "sqlite", lambda folder: f"sqlite:///{folder / 'store.db'}", args.sqlite_kills, args, progress
        )
        if args.postgres_kills:
            made: list[str] = []
            with postgres_server(ROOT / "scripts" / "install-postgres.sh") as server:

                def pg(_folder: Path) -> str:
                    made.append(new_database(server))
                    return made[-1]

                results["postgres"] = run_backend("postgres", pg, args.postgres_kills, args, progress)
                for url in made:
                    drop_database(url)
    table = Table(title=f"Random SIGKILLs of a {args.days}-day simulation, {args.subscribers} subscribers")
    table.add_column("measure")
    for backend in results:
        table.add_column(backend, justify="right")
    table.add_column("target", justify="right")
    targets = {
        "posts delivered twice": "0", "ratings counted twice": "0", "extra posts in a round": "0",
        "pending left": "0", "reactions decided but lost": "0", "episodes whose rounds differ": "0",
        "subscribers who never joined": "0",
        "like-rate gap, points": f"<= {LIKE_RATE_POINTS}",
    }
    for key in next(iter(results.values())):
        cells = [f"{r[key]:.2f}" if isinstance(r[key], float) else str(r[key]) for r in results.values()]
        table.add_row(key, *cells, targets.get(key, ""))
    console.print(table)
    met = all(
        r[k] == 0 for r in results.values() for k in targets if k != "like-rate gap, points"
    ) and all(r["like-rate gap, points"] <= LIKE_RATE_POINTS for r in results.values())
    console.print("[green]all targets met[/]" if met else "[red]a target is missed[/]")
    path = write_results("crash", {"args": vars(args), "results": results, "targets met": met})
    console.print(f"results: {path}")


if __name__ == "__main__":
    main()
