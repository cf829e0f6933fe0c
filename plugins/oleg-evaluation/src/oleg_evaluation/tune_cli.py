"""``oleg tune``: search one recommender's settings with Optuna on a validation split cut
from the training period of a ratings file or of a deployment's store.

Reads data exactly as ``oleg evaluate`` does (the same options, the same readers), cuts
the same temporal test part off, searches on the last part of what is left, and writes
``best.toml`` (a ``[recommender]`` section to paste), ``report.md``, ``tune.json`` and
``history.png`` into ``--out``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from oleg_evaluation.source_options import RATINGS_PARAMS, given, ratings_options, read_ratings
from oleg_evaluation.split_options import CutTime, refuse_unread
from oleg_evaluation.tuning.objective import METRICS

console = Console()
err_console = Console(stderr=True)
DEFAULT_TRIALS = 20


def _tune_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """What every data source shares: the recommender, the space, the budget, the splits."""
    options = [
        click.option(
            "-r",
            "--recommender",
            "recommender",
            metavar="SPEC",
            default=None,
            help="The plugin to tune, optionally with fixed settings: 'embedding-nn:threads=2'.",
        ),
        click.option(
            "-p",
            "--param",
            "params",
            multiple=True,
            metavar="NAME=RANGE",
            help="A setting's domain: LOW:HIGH (add :log or :linear), A|B|C, or a value to fix "
            "it. Repeat for several.",
        ),
        click.option(
            "--only-params",
            is_flag=True,
            help="Tune only the settings named by --param; the others keep their defaults.",
        ),
        click.option(
            "--metric",
            type=click.Choice(METRICS),
            default=None,
            help="What to optimise "
            "[default: rmse for ratings, auc for 👍/👎, ndcg for positives only].",
        ),
        click.option(
            "-k",
            "--k",
            "k",
            type=click.IntRange(1),
            default=10,
            show_default=True,
            help="K of ndcg, recall and hit.",
        ),
        click.option(
            "--trials",
            type=click.IntRange(1),
            default=None,
            help=f"Most trials [default: {DEFAULT_TRIALS}, unless --timeout].",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(0, min_open=True),
            default=None,
            metavar="SECONDS",
            help="No new trial starts after this many seconds of search.",
        ),
        click.option(
            "--seed",
            type=int,
            default=0,
            show_default=True,
            help="Seeds the sampler and every fit: the same seed, the same trials.",
        ),
        click.option(
            "--validation-share",
            type=click.FloatRange(0, 1, min_open=True, max_open=True),
            default=0.2,
            show_default=True,
            help="The latest share of the training period the trials are measured on.",
        ),
        click.option(
            "--test-share",
            type=click.FloatRange(0, 1, min_open=True, max_open=True),
            default=0.2,
            show_default=True,
            help="The latest share of ratings in the test part (never tuned on).",
        ),
        click.option(
            "--cut",
            type=CutTime(),
            default=None,
            help="The test part from this time on (Unix seconds or ISO date-time), "
            "instead of --test-share.",
        ),
        click.option(
            "--catalog",
            type=click.Choice(("train", "all")),
            default="train",
            show_default=True,
            help="Items ranked for ndcg/recall/hit: those seen in train, or also the new ones.",
        ),
        click.option(
            "--batch",
            type=click.IntRange(1),
            default=256,
            show_default=True,
            help="Users scored at once in full ranking.",
        ),
        click.option(
            "--out",
            type=click.Path(path_type=Path),
            default=Path("tune-report"),
            show_default=True,
            help="Folder for best.toml, report.md, tune.json and history.png.",
        ),
        click.option(
            "--plots/--no-plots", default=True, show_default=True, help="Write history.png."
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@click.group()
def tune() -> None:
    """Tune a recommender's settings on a time-based validation split (Optuna).

    \b
    Examples:
      oleg tune ratings ratings.csv --items movies.csv -r embedding-nn --trials 30
      oleg tune ratings ratings.csv -r dot -p lr=1e-3:1e-1 -p dim=4:64 --only-params --timeout 600
      oleg tune ratings ratings.csv --likes -r als --metric ndcg
      oleg tune store deploy.toml --trials 20
    """


@tune.command("ratings")
@ratings_options
@_tune_options
@click.pass_context
def ratings(ctx: click.Context, **params: Any) -> None:
    """A ratings file, read as `oleg evaluate ratings` reads it (or --train/--test files)."""
    options = {name: value for name, value in params.items() if name not in RATINGS_PARAMS}
    source = read_ratings(ctx, "temporal", **{name: params[name] for name in RATINGS_PARAMS})
    if options["recommender"] is None:
        raise click.UsageError("name the recommender to tune: -r PLUGIN (e.g. -r embedding-nn).")
    _run(source.data, source.given_split, **options)


@tune.command("store")
@click.argument("location")
@_tune_options
@click.pass_context
def store(ctx: click.Context, location: str, **options: Any) -> None:
    """A deployment's store: a database URL, a SQLite file, or a deployment TOML (its store,
    and its recommender's plugin unless -r says another)."""
    from oleg_evaluation import load_store

    refuse_unread("temporal", given(ctx))
    if location.endswith(".toml"):
        location, plugin = _deployment(Path(location))
        options["recommender"] = options["recommender"] or plugin
    if options["recommender"] is None:
        raise click.UsageError(
            "name the recommender to tune: -r PLUGIN (or give a deployment TOML)."
        )
    _run(load_store(location), None, **options)


def _deployment(path: Path) -> tuple[str, str]:
    """A deployment file's store URL and recommender plugin."""
    from oleg.config import load_deployment

    resolved = load_deployment(path)
    return resolved.deployment.database, resolved.recommender.plugin


def _run(
    data: Any,
    given_split: Any,
    *,
    recommender: str,
    params: tuple[str, ...],
    only_params: bool,
    metric: str | None,
    k: int,
    trials: int | None,
    timeout: float | None,
    seed: int,
    validation_share: float,
    test_share: float,
    cut: int | None,
    catalog: str,
    batch: int,
    out: Path,
    plots: bool,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from oleg_evaluation import RecommenderSpec, temporal
    from oleg_evaluation.tuning import report
    from oleg_evaluation.tuning.objective import Objective
    from oleg_evaluation.tuning.space import parse_params
    from oleg_evaluation.tuning.study import Budget, TrialRecord, TuneRequest
    from oleg_evaluation.tuning.study import tune as run_tune

    if only_params and not params:
        raise click.UsageError(
            "--only-params tunes the settings named by --param: give at least one."
        )
    spec = RecommenderSpec.parse(recommender)
    objective = Objective.choose(data, metric, k=k)
    budget = Budget(
        trials if trials is not None or timeout is not None else DEFAULT_TRIALS, timeout
    )
    request = TuneRequest(
        spec,
        objective,
        budget,
        parse_params(params),
        only_params,
        seed,
        validation_share,
        batch,
        catalog,
    )
    outer = (
        given_split if given_split is not None else temporal(data, at=cut, quantile=1 - test_share)
    )
    if data.skipped:
        err_console.print(
            f"[yellow]Skipped {data.skipped} bad rows[/], e.g. "
            + "; ".join(data.skipped_examples[:3])
        )
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    bar = progress.add_task(f"tuning {spec.name}", total=budget.trials)

    def on_trial(trial: TrialRecord, best: TrialRecord) -> None:
        progress.update(
            bar,
            advance=1,
            description=f"tuning {spec.name}: best {objective.title} {report.fmt(best.value)}",
        )

    with progress:
        result = run_tune(data, outer, request, on_trial=on_trial)
    files = report.write(result, out, plot=plots)
    console.print(_table(result))
    click.echo(report.toml_section(result))
    console.print(
        f"Report: {files['markdown']}  JSON: {files['json']}  TOML: {files['toml']}"
        + (f"  plot: {files['plot']}" if "plot" in files else "")
    )


def _table(result: Any) -> Table:
    from oleg_evaluation.tuning.report import fmt
    from oleg_evaluation.tuning.study import DEFAULTS

    obj = result.objective
    used = (
        f"{len(result.trials)} trials in {result.search_seconds:.0f} s "
        f"(stopped by {result.stopped_by})"
    )
    table = Table(title=f"oleg tune {result.plugin}: {obj.title}, {used}", title_justify="left")
    table.add_column("settings")
    table.add_column(f"{obj.title} validation", justify="right")
    table.add_column(f"{obj.title} test", justify="right")
    table.add_row("defaults", fmt(result.defaults.value), fmt(result.test[DEFAULTS].get(obj.key)))
    label = f"best (trial {result.best.number})" if result.improved else "best (= defaults)"
    table.add_row(label, fmt(result.best.value), fmt(result.test["best"].get(obj.key)))
    return table
