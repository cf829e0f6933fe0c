"""The command-line options that read a ratings file, shared by ``oleg evaluate ratings``
and ``oleg tune ratings``: one set of options, one reader, so that a file evaluated and a
file tuned on are read the same way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from oleg_evaluation.dataset import Dataset
from oleg_evaluation.split_options import GIVEN_FILES, refuse_unread
from oleg_evaluation.splits import Split

RATINGS_PARAMS = (
    "path",
    "train_file",
    "test_file",
    "items",
    "item_channel",
    "columns",
    "header",
    "user_col",
    "item_col",
    "rating_col",
    "time_col",
    "delimiter",
    "counts",
    "scale",
    "positive_at",
    "likes",
    "skip_bad",
)
"""The parameter names :func:`ratings_options` adds (and :func:`read_ratings` takes)."""


def skip_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--skip-bad-rows",
        "skip_bad",
        is_flag=True,
        help="Skip malformed rows and count them, instead of stopping at the first.",
    )(f)


def items_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--item-channel",
        default="auto",
        show_default=True,
        metavar="HOW",
        help="How --items gives channels: a column name, 'first-genre' (MovieLens movies.csv), "
        "or auto.",
    )(f)
    return click.option(
        "--items",
        type=click.Path(path_type=Path),
        default=None,
        help="CSV mapping items to channels (e.g. MovieLens movies.csv: first genre = channel).",
    )(f)


def ratings_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """PATH (or --train/--test), the layout of the file, the rating scale, likes, bad rows."""
    options = [
        click.argument("path", type=click.Path(path_type=Path), required=False),
        click.option(
            "--train",
            "train_file",
            type=click.Path(path_type=Path),
            default=None,
            help="A train file, with --test: data sets published with their own test part "
            "(instead of PATH).",
        ),
        click.option(
            "--test",
            "test_file",
            type=click.Path(path_type=Path),
            default=None,
            help="The test file of --train.",
        ),
        items_options,
        click.option(
            "--columns",
            default=None,
            metavar="NAMES",
            help="Names of a headerless file's columns in order, '-' to ignore one: "
            "user,item,rating,time.",
        ),
        click.option(
            "--header/--no-header",
            default=None,
            help="Whether line 1 is a header "
            "[default: it is, unless all numbers and dates, or --columns].",
        ),
        click.option(
            "--user-col",
            default=None,
            help="User id column, a name or a 0-based index [userId, user, user_id...].",
        ),
        click.option(
            "--item-col",
            default=None,
            help="Item id column, a name or an index [movieId, item, item_id...].",
        ),
        click.option(
            "--rating-col",
            default=None,
            help="Rating column, a name or an index [rating, value...].",
        ),
        click.option(
            "--time-col",
            default=None,
            help="Time column (Unix seconds or ISO 8601), a name or an index [timestamp, time...].",
        ),
        click.option(
            "--delimiter", default=",", show_default=True, help="Field separator; 'tab' for a TSV."
        ),
        click.option(
            "--counts",
            is_flag=True,
            help="The rating column holds counts (plays, clicks): positives only, the counts kept "
            "as values "
            "(als: confidence = linear or log).",
        ),
        click.option(
            "--scale",
            default=None,
            metavar="MIN,MAX",
            help="Rating scale (default: the lowest and highest rating).",
        ),
        click.option(
            "--positive-at",
            type=float,
            default=4.0,
            show_default=True,
            help="Ratings from this value on are positives in top-K metrics.",
        ),
        click.option(
            "--likes",
            is_flag=True,
            help="Train and measure on 👍 (rating >= --positive-at) / 👎 instead of stars.",
        ),
        skip_option,
    ]
    for option in reversed(options):
        f = option(f)
    return f


@dataclass(frozen=True)
class RatingsSource:
    """What a ratings command read: the data, and the split of ``--train/--test`` if given."""

    data: Dataset
    given_split: Split | None = None


def read_ratings(
    ctx: click.Context,
    split: str,
    *,
    path: Path | None,
    train_file: Path | None,
    test_file: Path | None,
    items: Path | None,
    item_channel: str,
    columns: str | None,
    header: bool | None,
    user_col: str | None,
    item_col: str | None,
    rating_col: str | None,
    time_col: str | None,
    delimiter: str,
    counts: bool,
    scale: str | None,
    positive_at: float,
    likes: bool,
    skip_bad: bool,
) -> RatingsSource:
    """Read what :func:`ratings_options` describes; split options that ``split`` (or the
    split of --train/--test) does not read are refused first."""
    from oleg_evaluation.ratings import RatingsFormat, load_ratings, load_train_test

    files = _files(path, train_file, test_file)
    if counts and (likes or scale):
        raise click.UsageError(
            "--counts keeps counts as they are: --likes and --scale do not apply."
        )
    fmt = RatingsFormat(
        user_col=user_col,
        item_col=item_col,
        rating_col=rating_col,
        time_col=time_col,
        delimiter="\t" if delimiter in ("tab", "\\t") else delimiter,
        header=header,
        columns=tuple(columns.split(",")) if columns is not None else None,
        counts=counts,
    )
    options = {
        "scale": _scale(scale),
        "positive_at": positive_at,
        "items": items,
        "item_channel": item_channel,
        "skip_bad": skip_bad,
    }
    if isinstance(files, tuple):
        refuse_unread(GIVEN_FILES, given(ctx))
        data, given_split = load_train_test(*files, fmt, **options)
        return RatingsSource(data.binarized() if likes else data, given_split)
    refuse_unread(split, given(ctx))
    data = load_ratings(files, **asdict(fmt), **options)
    return RatingsSource(data.binarized() if likes else data)


def given(ctx: click.Context) -> set[str]:
    """The parameters set on the command line (or by environment), not left at defaults."""
    return {
        name
        for name in ctx.params
        if ctx.get_parameter_source(name)
        in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
    }


def _files(path: Path | None, train: Path | None, test: Path | None) -> Path | tuple[Path, Path]:
    """PATH, or the pair --train/--test; any other mix is a usage error."""
    if path is not None and (train or test):
        raise click.UsageError("give PATH or --train FILE --test FILE, not both.")
    if path is None and not (train and test):
        raise click.UsageError(
            "give PATH, or both --train FILE and --test FILE."
            if not (train or test)
            else f"--{'test' if train else 'train'} FILE is missing: "
            "--train and --test go together."
        )
    return path if path is not None else (train, test)  # type: ignore[return-value]


def _scale(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError:
        raise click.BadParameter(f"expected MIN,MAX, got {text!r}", param_hint="--scale") from None
    if not lo < hi:
        raise click.BadParameter(f"MIN must be below MAX, got {text!r}", param_hint="--scale")
    return (lo, hi)
