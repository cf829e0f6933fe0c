"""``oleg evaluate``: several recommenders on one split of a data set, side by side.

One subcommand per data source (``ratings``, ``sequences``, ``store``), the same options
for the split, the recommenders and the report after each. Writes ``report.md``,
``results.json`` and PNG plots into ``--out`` and prints the table.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from oleg.errors import OlegError
from rich.console import Console

from oleg_evaluation.source_options import (
    RATINGS_PARAMS,
    given,
    items_options,
    ratings_options,
    read_ratings,
    skip_option,
)
from oleg_evaluation.split_options import CutTime, refuse_unread
from oleg_evaluation.splits import SPLITS

console = Console()
err_console = Console(stderr=True)


def _common(default_split: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options every data source shares: recommenders, split, metrics, output."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        options = [
            click.option(
                "-r", "--recommender", "recommenders", multiple=True, metavar="SPEC",
                help="A recommender by plugin name, with settings: 'als:factors=64,iterations=15'. "
                "Repeat to compare several (default: random and popular).",
            ),
            click.option("--split", type=click.Choice(SPLITS), default=default_split, show_default=True,
                         help="temporal: one cut in time; leave-last-out: each user's last; kfold: random folds; "
                         "holdout: one random test share. An option of another split is refused."),
            click.option("--test-share", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.2,
                         show_default=True, help="temporal: share of ratings, the latest, in the test; "
                         "holdout: share of rows, drawn at random."),
            click.option("--cut", type=CutTime(), default=None,
                         help="temporal: test from this time on (Unix seconds or an ISO date-time, UTC), "
                         "instead of --test-share."),
            click.option("--last", type=click.IntRange(1), default=1, show_default=True,
                         help="leave-last-out: interactions per user held out."),
            click.option("--folds", type=click.IntRange(2), default=5, show_default=True, help="kfold: number of folds."),
            click.option("-k", "--k", "k", type=click.IntRange(1), default=10, show_default=True, help="K of the top-K metrics."),
            click.option("--metrics", type=click.Choice(("all", "rating", "ranking")), default="all", show_default=True,
                         help="rating: RMSE/MAE/AUC/PairAcc on the test rows; ranking: top-K (see --ranking)."),
            click.option("--ranking", type=click.Choice(("full", "own", "both")), default="full", show_default=True,
                         help="full: each user's list over the whole catalogue; own: each user's own test items "
                         "ranked among themselves (random-exposure test sets); both."),
            click.option("--catalog", type=click.Choice(("train", "all")), default="train", show_default=True,
                         help="Items ranked: those seen in train, or also the test's new ones (fresh posts, "
                         "as in a deployment's pool: use it for stores)."),
            click.option("--seed", type=int, default=0, show_default=True, help="Seeds the split and every recommender."),
            click.option("--batch", type=click.IntRange(1), default=256, show_default=True,
                         help="Users scored at once in full ranking (memory: batch x items scores)."),
            click.option("--out", type=click.Path(path_type=Path), default=Path("eval-report"), show_default=True,
                         help="Folder for report.md, results.json and the plots."),
            click.option("--plots/--no-plots", default=True, show_default=True, help="Write the PNG plots."),
        ]
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


@click.group()
def evaluate() -> None:
    """Compare recommenders offline on a data set: ratings, sequences or a store.

    \b
    Examples:
      oleg evaluate ratings ratings.csv --items movies.csv -r popular -r random -r als
      oleg evaluate ratings ratings.csv --split kfold --folds 5 --metrics rating
      oleg evaluate ratings u.data --delimiter tab --columns user,item,rating,time --cut 888000000
      oleg evaluate ratings --train ydata-train.txt --test ydata-test.txt --delimiter tab \\
          --columns user,item,rating --ranking own
      oleg evaluate sequences Video.txt -r popular -r "als:factors=64,iterations=15"
      oleg evaluate store oleg-demo-report/demo-popular.db --catalog all
    """


@evaluate.command("ratings")
@ratings_options
@_common("temporal")
@click.pass_context
def ratings(ctx: click.Context, **params: Any) -> None:
    """A ratings CSV (user, item, rating, timestamp), with a header or named by --columns, e.g.
    MovieLens; or a --train and a --test file."""
    common = {name: value for name, value in params.items() if name not in RATINGS_PARAMS}
    source = read_ratings(ctx, common["split"], **{name: params[name] for name in RATINGS_PARAMS})
    _run(source.data, given_split=source.given_split, **common)


@evaluate.command("sequences")
@click.argument("path", type=click.Path(path_type=Path))
@items_options
@skip_option
@_common("leave-last-out")
@click.pass_context
def sequences(ctx: click.Context, path: Path, items: Path | None, item_channel: str, skip_bad: bool, **common: Any) -> None:
    """A file of 'user item' lines, each user's in time order (SASRec's format)."""
    from oleg_evaluation import load_sequences

    refuse_unread(common["split"], given(ctx))
    _run(load_sequences(path, items=items, item_channel=item_channel, skip_bad=skip_bad), **common)


@evaluate.command("store")
@click.argument("location")
@_common("temporal")
@click.pass_context
def store(ctx: click.Context, location: str, **common: Any) -> None:
    """A deployment's store (a database URL or a SQLite file, e.g. oleg demo's demo-popular.db)."""
    from oleg_evaluation import load_store

    refuse_unread(common["split"], given(ctx))

    _run(load_store(location), **common)


def _run(data: Any, *, recommenders: tuple[str, ...], split: str, test_share: float, cut: int | None,
         last: int, folds: int, k: int, metrics: str, ranking: str, catalog: str, seed: int, batch: int, out: Path,
         plots: bool, given_split: Any = None) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from oleg_evaluation import (
        EvalConfig,
        RecommenderSpec,
        make_splits,
        print_table,
        write_plots,
        write_reports,
    )

    specs = [RecommenderSpec.parse(s) for s in (recommenders or ("random", "popular"))]
    splits = [given_split] if given_split is not None else make_splits(
        data, split, seed=seed, folds=folds, quantile=1 - test_share, at=cut, last=last)
    ranked = metrics in ("all", "ranking")
    config = EvalConfig(k=k, seed=seed, batch=batch, rating_metrics=metrics in ("all", "rating"),
                        ranking_metrics=ranked and ranking in ("full", "both"), catalog=catalog,
                        own_ranking=ranked and ranking in ("own", "both"))
    if data.skipped:
        err_console.print(f"[yellow]Skipped {data.skipped} bad rows[/], e.g. " + "; ".join(data.skipped_examples[:3]))
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err_console, transient=True, disable=not err_console.is_terminal)
    from oleg_evaluation import evaluate as run_evaluation

    with progress:
        ev = run_evaluation(data, specs, splits, config, progress=progress)
    files = write_plots(ev, out) if plots else {}
    written = write_reports(ev, out, files)
    print_table(ev, console)
    console.print(f"Report: {written['markdown']}  JSON: {written['json']}" + (f"  plots: {len(files)}" if files else ""))
    if ev.errors():
        raise OlegError(f"{len(ev.errors())} recommender(s) failed: " + "; ".join(f"{k}: {v}" for k, v in ev.errors().items()))
