"""``oleg export vw DEPLOYMENT --out FILE``: the store's feedback as VW text examples.

The lines are the ones ``vw-logistic`` learns from (same namespaces, same past, media and
words read from the same store), so ``vw`` trained on the file with the printed flags
predicts what the plugin predicts after a full fit. The namespaces are the deployment's
``[recommender]`` settings when it runs ``vw-logistic``, the defaults otherwise.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from oleg.errors import OlegError

from oleg_recommender_vw.settings import VwSettings


@dataclass(frozen=True)
class ExportSummary:
    examples: int
    likes: int
    path: Path
    flags: list[str]


def write_examples(store: Any, settings: VwSettings, out: Path, *, seed: int = 0) -> ExportSummary:
    """Write every stored rating, in the order stored, to ``out``; returns what was written."""
    from oleg_recommender_vw.content import ContentCache
    from oleg_recommender_vw.examples import ExampleWriter
    from oleg_recommender_vw.portrait import Portrait

    feedback, _ = store.feedback()
    content = ContentCache(settings.max_words)
    content.attach(store.posts_by_id)
    text = ExampleWriter(settings, content).text(feedback, Portrait(settings.prior_weight))
    out.write_bytes(text)
    flags = [*settings.vw_flags(), "--random_seed", str(seed)]
    if settings.passes > 1:
        flags += ["-c", "-k"]
    return ExportSummary(len(feedback), int((feedback.value > 0.5).sum()), out, flags)


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
    from oleg.cli.main import console, open_existing_store
    from oleg.config import load_deployment
    from oleg.plugins import Plugins

    if not out.parent.is_dir():
        raise OlegError(f"--out {out}: the folder {out.parent} does not exist.")
    resolved = load_deployment(deployment, Plugins())
    comp = resolved.recommender
    settings = comp.settings if isinstance(comp.settings, VwSettings) else VwSettings()
    store = open_existing_store(deployment, resolved.deployment.database)
    try:
        summary = write_examples(store, settings, out, seed=resolved.deployment.seed)
    finally:
        store.close()
    if summary.examples == 0:
        raise OlegError(f"{deployment}: the store holds no feedback yet; {out} is empty.")
    console.print(
        f"Wrote {summary.examples} examples ({summary.likes} 👍) to {out}.\n"
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
