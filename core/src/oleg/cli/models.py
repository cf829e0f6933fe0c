"""``oleg models``: the model registry of a deployment's store — the champion, each line's
latest version, the recent versions and decisions — and ``promote`` / ``rollback`` by hand.

A running engine follows a change made here at its next training round."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from oleg.cli.render import wide_console
from oleg.errors import OlegError
from oleg.versions import DecisionOutcome, ModelDecision, ModelStatus, ModelVersion

console = wide_console()


class DefaultGroup(click.Group):
    """A group whose first argument is a subcommand when it names one, else the argument
    of ``list``: ``oleg models DEPLOYMENT`` and ``oleg models promote DEPLOYMENT ID``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup)
def models() -> None:
    """The model registry: champion, challengers and decisions (oleg models DEPLOYMENT)."""


def _open(deployment: Path) -> tuple[Any, Any]:
    from oleg.cli.stores import open_existing_store
    from oleg.config import load_deployment

    resolved = load_deployment(deployment)
    return resolved, open_existing_store(deployment, resolved.deployment.database)


def _figure(version: ModelVersion, key: str = "auc") -> str:
    value = (version.metrics.get("holdout") or {}).get(key)
    return f"{value:.3f}" if isinstance(value, float) else "-"


@models.command("list")
@click.argument("deployment", type=click.Path(path_type=Path))
@click.option(
    "--limit", default=20, show_default=True, help="How many versions and decisions to show."
)
def list_models(deployment: Path, limit: int) -> None:
    """Show DEPLOYMENT's champion, its lines of models, recent versions and decisions."""
    resolved, store = _open(deployment)
    with store:
        champion = store.champion()
        versions = store.model_versions(limit=limit)
        decisions = store.decisions(limit=limit)
        lines = {c.label: store.latest_version(c.label) for c in resolved.recommenders}
        line_of = {
            d.version_id: (v.lineage if (v := store.model_version(d.version_id)) else "?")
            for d in decisions
        }
    name = resolved.deployment.name
    if champion is None:
        console.print(f"[bold]{name}[/]: no champion yet (nothing trained).")
    else:
        console.print(
            f"[bold]{name}[/]: version [bold]{champion.id}[/] of [bold]{champion.lineage}[/] "
            f"({champion.plugin}) serves, trained on {champion.n_feedback} ratings up to "
            f"{str(champion.trained_to)[:16]}; held-out AUC {_figure(champion)}."
        )
    table = Table(title="Lines of models (the configured recommenders)")
    for column in ("line", "plugin", "latest version", "status", "ratings", "held-out AUC"):
        table.add_column(column)
    for label, latest in lines.items():
        plugin = next(c.plugin for c in resolved.recommenders if c.label == label)
        if latest is None:
            table.add_row(label, plugin, "-", "not trained yet", "-", "-")
        else:
            table.add_row(
                label,
                plugin,
                str(latest.id),
                latest.status,
                str(latest.n_feedback),
                _figure(latest),
            )
    console.print(table)
    console.print(_versions_table(versions, name))
    console.print(_decisions_table(decisions, line_of))


def _versions_table(versions: list[ModelVersion], name: str) -> Table:
    table = Table(title=f"Model versions of {name}, newest first")
    for column in (
        "id",
        "created",
        "line",
        "kind",
        "status",
        "ratings",
        "cutoff",
        "prequential AUC",
        "held-out AUC",
        "file",
    ):
        table.add_column(column)
    for v in versions:
        auc = (v.metrics.get("prequential") or {}).get("auc")
        table.add_row(
            str(v.id),
            str(v.created_at)[:16],
            v.lineage,
            v.kind,
            v.status,
            str(v.n_feedback),
            str(v.cutoff_id),
            f"{auc:.3f}" if isinstance(auc, float) else "-",
            _figure(v),
            "kept" if v.file else "-",
        )
    return table


def _decisions_table(decisions: list[ModelDecision], line_of: dict[int, str]) -> Table:
    table = Table(title="Decisions, newest first")
    for column in (
        "at",
        "version",
        "line",
        "outcome",
        "against",
        "challenger",
        "champion",
        "held out",
        "reason",
    ):
        table.add_column(column)
    style = {DecisionOutcome.COLLAPSED: "bold red", DecisionOutcome.PROMOTED: "green"}
    for d in decisions:
        table.add_row(
            str(d.at)[:16],
            str(d.version_id),
            line_of.get(d.version_id, "?"),
            f"[{style.get(d.outcome, '')}]{d.outcome}[/]" if d.outcome in style else str(d.outcome),
            str(d.champion_id or "-"),
            f"{d.challenger_value:.4f}" if d.challenger_value is not None else "-",
            f"{d.champion_value:.4f}" if d.champion_value is not None else "-",
            str(d.n_ratings or "-"),
            d.reason,
        )
    return table


def _version_with_file(store: Any, version: ModelVersion, data_dir: Path) -> None:
    if version.file is None or not (data_dir / version.file).exists():
        raise OlegError(
            f"version {version.id} has no model file any more (only the champion, each line's "
            "latest version and the last [promotion] keep_champions former champions keep "
            "theirs): it cannot serve."
        )


@models.command()
@click.argument("deployment", type=click.Path(path_type=Path))
@click.argument("version_id", metavar="ID", type=int)
def promote(deployment: Path, version_id: int) -> None:
    """Make version ID the champion by hand (a running engine serves it at its next round)."""
    resolved, store = _open(deployment)
    with store:
        version = store.model_version(version_id)
        if version is None:
            known = [v.id for v in store.model_versions(limit=5)]
            raise OlegError(f"{deployment}: no model version {version_id}; the latest are {known}.")
        champion = store.champion()
        if champion is not None and champion.id == version_id:
            raise OlegError(f"{deployment}: version {version_id} is the champion already.")
        _version_with_file(store, version, Path(resolved.deployment.data_dir))
        store.add_decision(
            at=datetime.now(UTC),
            version_id=version_id,
            champion_id=champion.id if champion else None,
            outcome=DecisionOutcome.MANUAL,
            reason="promoted by hand (oleg models promote)",
            status=ModelStatus.CHAMPION,
        )
    console.print(f"Version {version_id} of {version.lineage} is the champion.")


@models.command()
@click.argument("deployment", type=click.Path(path_type=Path))
def rollback(deployment: Path) -> None:
    """Bring back the previous champion; the current one is marked rejected."""
    resolved, store = _open(deployment)
    with store:
        champion = store.champion()
        if champion is None:
            raise OlegError(f"{deployment}: there is no champion to roll back.")
        data_dir = Path(resolved.deployment.data_dir)
        previous = next(
            (
                v
                for v in store.versions_with_status(ModelStatus.RETIRED)
                if v.file and (data_dir / v.file).exists()
            ),
            None,
        )
        if previous is None:
            raise OlegError(f"{deployment}: no former champion with a model file to roll back to.")
        store.set_model_status(champion.id, ModelStatus.REJECTED)
        store.add_decision(
            at=datetime.now(UTC),
            version_id=previous.id,
            champion_id=champion.id,
            outcome=DecisionOutcome.ROLLBACK,
            reason=f"rolled back by hand from version {champion.id} (oleg models rollback)",
            status=ModelStatus.CHAMPION,
        )
    console.print(
        f"Version {previous.id} of {previous.lineage} is the champion again (version {champion.id} rejected)."
    )
