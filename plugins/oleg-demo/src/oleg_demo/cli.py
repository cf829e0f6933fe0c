"""``oleg demo``: the command line of :func:`oleg_demo.run_demo`."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
from oleg.errors import OlegError
from rich.console import Console

console = Console()


def _names(values: tuple[str, ...]) -> list[str]:
    """``--compare a --compare b,c`` and ``--compare "b c"``: every name, in order."""
    return [name for value in values for name in value.replace(",", " ").split()]


@click.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="The demo's TOML: policies, their settings, the shared deployment [default: the bundled "
    "demo.toml; see --write-config].",
)
@click.option(
    "--write-config",
    type=click.Path(path_type=Path),
    default=None,
    metavar="FILE",
    help="Copy the bundled demo.toml to FILE, to change and pass back with --config, and exit.",
)
@click.option(
    "--recommender",
    default=None,
    metavar="NAME",
    help="The policy to show off "
    "[default: the first installed of the config's [demo] recommender].",
)
@click.option(
    "--compare",
    "compare",
    multiple=True,
    metavar="NAME",
    help="A policy to run beside it (repeat, or several names separated by commas) "
    "[default: the installed ones of the config's [demo] compare].",
)
@click.option("--no-compare", is_flag=True, help="Run the headline policy alone.")
@click.option(
    "--subscribers",
    default=None,
    type=click.IntRange(1),
    help="[default: the config's [demo] subscribers]",
)
@click.option(
    "--days", default=None, type=click.IntRange(1), help="[default: the config's [demo] days]"
)
@click.option("--seed", default=None, type=int, help="[default: the config's [demo] seed]")
@click.option(
    "--out",
    default="oleg-demo-report",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Folder for the report (plot, markdown page, JSON, the SQLite stores).",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=None,
    help="Processes to run policies in (default: one per core).",
)
@click.option(
    "--dynamics",
    is_flag=True,
    help="Simulated subscribers whose tastes drift, who tire of one category, prefer an hour "
    "of the day and (the most engaged) ask for /more: a world where order and context matter.",
)
def demo(
    config_path: Path | None,
    write_config: Path | None,
    recommender: str | None,
    compare: tuple[str, ...],
    no_compare: bool,
    subscribers: int | None,
    days: int | None,
    seed: int | None,
    out: Path,
    workers: int | None,
    dynamics: bool,
) -> None:
    """Simulate a deployment on real Telegram posts and report the like rate by day."""
    from oleg_demo.config import DemoConfig
    from oleg_demo.runner import run_demo

    if write_config is not None:
        if write_config.exists():
            raise OlegError(f"{write_config} exists already; remove it or name another file.")
        shutil.copyfile(DemoConfig.bundled_path(), write_config)
        console.print(
            f"Wrote {write_config}: change it and run it with oleg demo --config {write_config}"
        )
        return
    if no_compare and compare:
        raise click.UsageError("--compare and --no-compare exclude each other.")
    config = DemoConfig.load(config_path)
    run_demo(
        config=config.with_dynamics() if dynamics else config,
        recommender=recommender,
        compare=False if no_compare else (_names(compare) or True),
        subscribers=subscribers,
        days=days,
        seed=seed,
        out=out,
        workers=workers,
        console=console,
    )
