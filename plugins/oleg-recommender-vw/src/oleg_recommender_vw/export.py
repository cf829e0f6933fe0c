"""``oleg export vw DEPLOYMENT --out FILE``: the store's feedback as VW text examples.

The lines are the ones ``vw-logistic`` learns from (same namespaces, same past, media and
words read from the same store), so ``vw`` trained on the file with the printed flags
predicts what the plugin predicts after a full fit. The namespaces are the deployment's
``[recommender]`` settings when it runs ``vw-logistic``, the defaults otherwise; the rows
are what the deployment's engine hands a full fit (``oleg.engine.feedback_log``): with
``[engine.unanswered]``, the posts left unanswered too, as 👎 of their weight.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from oleg.config.sections import UnansweredSettings
from oleg.engine.feedback_log import FeedbackLog
from oleg.errors import OlegError

from oleg_recommender_vw.settings import VwSettings


@dataclass(frozen=True)
class ExportSummary:
    examples: int
    likes: int
    unanswered: int
    """Examples that are posts left unanswered (weak 👎), among ``examples``."""
    path: Path
    flags: list[str]


def write_examples(
    store: Any,
    settings: VwSettings,
    out: Path,
    *,
    seed: int = 0,
    unanswered: UnansweredSettings | None = None,
    inverse_propensity: bool = False,
    now: datetime | None = None,
) -> ExportSummary:
    """Write what a full fit of the deployment learns from (its ``[engine]`` settings
    ``unanswered`` and ``inverse_propensity``, read up to ``now``) to ``out``, in the order
    the engine hands it; returns what was written."""
    from oleg_recommender_vw.content import ContentCache
    from oleg_recommender_vw.examples import ExampleWriter
    from oleg_recommender_vw.portrait import Portrait

    log = FeedbackLog(inverse_propensity=inverse_propensity, unanswered=unanswered)
    log.catch_up(store, now or datetime.now(UTC))
    feedback = log.training()
    content = ContentCache(settings.max_words)
    content.attach(store.posts_by_id)
    text = ExampleWriter(settings, content).text(feedback, Portrait(settings.prior_weight))
    out.write_bytes(text)
    flags = [*settings.vw_flags(), "--random_seed", str(seed)]
    if settings.passes > 1:
        flags += ["-c", "-k"]
    weak = len(log.unanswered_after(0))
    return ExportSummary(len(feedback), int((feedback.value > 0.5).sum()), weak, out, flags)


@click.command("vw")
@click.argument("deployment", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="The file to write (VW's text format, one rating a line).",
)
def export_vw(deployment: Path, out: Path) -> None:
    """Write DEPLOYMENT's feedback as Vowpal Wabbit examples, and print the matching flags."""
    from oleg.cli.main import console
    from oleg.cli.stores import open_existing_store
    from oleg.config import load_deployment
    from oleg.plugins import Plugins

    if not out.parent.is_dir():
        raise OlegError(f"--out {out}: the folder {out.parent} does not exist.")
    resolved = load_deployment(deployment, Plugins())
    comp = resolved.recommender
    settings = comp.settings if isinstance(comp.settings, VwSettings) else VwSettings()
    store = open_existing_store(deployment, resolved.deployment.database)
    try:
        summary = write_examples(
            store,
            settings,
            out,
            seed=resolved.deployment.seed,
            unanswered=resolved.engine.unanswered,
            inverse_propensity=resolved.engine.inverse_propensity,
        )
    finally:
        store.close()
    if summary.examples == 0:
        raise OlegError(f"{deployment}: the store holds no feedback yet; {out} is empty.")
    console.print(
        f"Wrote {summary.examples} examples ({summary.likes} 👍"
        + (f", {summary.unanswered} unanswered as weak 👎" if summary.unanswered else "")
        + f") to {out}.\n"
        f"Train the same model: python -m vowpalwabbit {shlex.join(summary.flags)} "
        f"-d {shlex.quote(str(out))} -f model.vw"
    )


def export_group(cli: click.Group) -> None:
    """Add ``vw`` under ``oleg export`` (the group is made here unless another plugin has)."""
    group = cli.commands.get("export")
    if group is None:
        group = click.Group("export", help="Write a deployment's data for other tools.")
        cli.add_command(group)
    if not isinstance(group, click.Group):
        raise OlegError("another plugin registered `oleg export` as a command, not a group")
    group.add_command(export_vw)
