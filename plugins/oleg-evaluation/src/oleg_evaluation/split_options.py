"""Which command-line options each split reads, so that one given to a split that does
not read it is refused (exit 2) instead of silently ignored: ``--test-share`` with
``kfold`` used to run five folds as if it had not been said."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import click

from oleg_evaluation.rows import parse_time

OPTIONS = {"test_share": "--test-share", "cut": "--cut", "last": "--last", "folds": "--folds"}
"""The split options: parameter name -> option."""

READS = {
    "temporal": ("test_share", "cut"),
    "leave-last-out": ("last",),
    "kfold": ("folds",),
    "holdout": ("test_share",),
}
"""The options each split reads."""

GIVEN_FILES = "given files"
"""The split of ``--train FILE --test FILE``: it reads none of the options, ``--split`` neither."""


def refuse_unread(split: str, given: Collection[str]) -> None:
    """A :class:`click.UsageError` if an option of ``given`` (parameter names set on the
    command line) is not read by ``split``, or if ``--cut`` and ``--test-share`` are both
    set for a temporal split."""
    reads = READS.get(split, ())
    unread = [OPTIONS[name] for name in OPTIONS if name in given and name not in reads]
    if split == GIVEN_FILES and "split" in given:
        unread.insert(0, "--split")
    if unread:
        what = "the split of --train/--test" if split == GIVEN_FILES else f"--split {split}"
        reads_text = (
            f" (it reads {', '.join(OPTIONS[r] for r in reads)})"
            if reads
            else " (it reads no split option)"
        )
        verb = "does" if len(unread) == 1 else "do"
        raise click.UsageError(f"{', '.join(unread)} {verb} not apply to {what}{reads_text}.")
    if split == "temporal" and "cut" in given and "test_share" in given:
        raise click.UsageError(
            "--cut and --test-share both place the temporal cut; give one of them."
        )


class CutTime(click.ParamType):
    """``--cut``: Unix seconds (``881250949``) or an ISO 8601 date-time (UTC unless it says)."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        if isinstance(value, datetime):
            return parse_time(value.isoformat())
        try:
            return parse_time(str(value))
        except (ValueError, OverflowError):
            self.fail(f"expected Unix seconds or an ISO 8601 date-time, got {value!r}", param, ctx)
