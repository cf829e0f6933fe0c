"""The ``oleg`` command.

Built-in commands import no plugin until they need one; a command the core does not know
(``oleg login``, added by the TDLib plugin) loads every installed plugin and asks them
through ``oleg_register_commands``. A user error (:class:`oleg.errors.OlegError`) prints
one paragraph and exits with code 2; nothing prints a traceback for those.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from oleg import __version__
from oleg.cli.models import models
from oleg.cli.render import wide_console
from oleg.cli.scaffold import new_plugin
from oleg.cli.stores import open_existing_store
from oleg.errors import ConfigError, OlegError

console = wide_console()
err_console = wide_console(stderr=True)


class OlegGroup(click.Group):
    """A group that turns OlegError into exit code 2 and finds plugin commands lazily."""

    _plugins_loaded = False

    def _load_plugin_commands(self) -> None:
        if self._plugins_loaded:
            return
        OlegGroup._plugins_loaded = True
        from oleg.plugins import Plugins

        plugins = Plugins()
        plugins.load_all()
        plugins.hook.oleg_register_commands(cli=self)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            self._load_plugin_commands()
            command = super().get_command(ctx, cmd_name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OlegError as exc:
            message = Text("Error: ", style="bold red")
            message.append(str(exc))
            err_console.print(message, highlight=False, soft_wrap=True)
            ctx.exit(exc.exit_code)


@click.group(cls=OlegGroup)
@click.version_option(__version__, prog_name="oleg")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug, other libraries' too).")
@click.option(
    "--log-format", type=click.Choice(["auto", "rich", "text", "json"]), default="auto",
    envvar="OLEG_LOG_FORMAT", show_default=True, show_envvar=True,
    help="auto: rich on a terminal, one line per record elsewhere; json: one JSON object per line.",
)
def cli(verbose: int, log_format: str) -> None:
    """oleg: a Telegram bot that builds each subscriber a personal feed of channel posts."""
    from oleg.logs import setup_logging

    setup_logging(logging.WARNING - 10 * verbose, log_format)


def main() -> None:
    cli(prog_name="oleg")


# -- commands --------------------------------------------------------------------------


@cli.command()
@click.argument("deployment", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the resolved deployment as JSON.")
def check(deployment: Path, as_json: bool) -> None:
    """Validate DEPLOYMENT (a TOML file) and print it resolved, secrets masked."""
    from oleg.config import load_deployment

    loaded = load_deployment(deployment)
    for comp in loaded.components.values():
        instance = comp.build(seed=loaded.deployment.seed)
        try:
            instance.check()
        except OlegError as exc:
            raise OlegError(f"{deployment}: [{comp.kind}] {exc.message}", hint=exc.hint) from None
    resolved = loaded.describe()
    if as_json:
        click.echo(json.dumps(resolved, indent=2, default=str))
        return
    from oleg.cli.render import deployment_tree

    console.print(deployment_tree(str(deployment), resolved))
    console.print("[green]OK[/]: the deployment is valid.")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def plugins(as_json: bool) -> None:
    """List installed plugins: distribution, version, components, problems."""
    from oleg.plugins import Plugins

    manager = Plugins()
    manager.load_all()
    infos = manager.info()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "module": i.module,
                        "names": i.names,
                        "distribution": i.distribution,
                        "version": i.version,
                        "components": [{"kind": c.kind.value, "name": c.name} for c in i.components],
                        "error": i.error,
                    }
                    for i in infos
                ],
                indent=2,
            )
        )
        return
    table = Table(title="Installed oleg plugins")
    for column in ("distribution", "version", "module", "components", "status"):
        table.add_column(column)
    for i in infos:
        comps = "\n".join(f"{c.kind.label}: {c.name}" for c in i.components) or "-"
        status = "[green]ok[/]" if i.error is None else f"[red]{i.error}[/]"
        table.add_row(i.distribution or "-", i.version or "-", i.module, comps, status)
    console.print(table)


@cli.command()
@click.argument("deployment", type=click.Path(path_type=Path))
def run(deployment: Path) -> None:
    """Run DEPLOYMENT until stopped (Ctrl-C), or to its end on a virtual clock."""
    from oleg.builtin.prometheus import exporting
    from oleg.config import load_deployment
    from oleg.engine import Engine
    from oleg.logs import redact_secrets
    from oleg.plugins import Plugins

    if logging.getLogger().getEffectiveLevel() > logging.INFO:  # a service logs its rounds
        logging.getLogger("oleg").setLevel(logging.INFO)
    plugins = Plugins()
    resolved = load_deployment(deployment, plugins)
    redact_secrets(resolved)
    engine = Engine(resolved, plugins)
    console.print(f"Running [bold]{resolved.deployment.name}[/] on {engine.store.display_url}")
    try:
        with exporting(resolved.metrics, plugins):
            engine.run()
    except ConfigError as exc:  # raised by a component while running: say which file
        raise ConfigError(f"{deployment}: {exc.message}", hint=exc.hint) from None
    except KeyboardInterrupt:  # a second Ctrl-C: stop at once
        err_console.print("Aborted: the job in progress did not finish; a restart resumes from the store.")
        sys.exit(130)
    console.print("Stopped: " + ", ".join(f"{k} {v}" for k, v in engine.stats.as_dict().items()))
    # A stop by signal is a normal end: the summary above, exit 0.


@cli.command()
@click.argument("deployment", type=click.Path(path_type=Path))
def train(deployment: Path) -> None:
    """Fit DEPLOYMENT's recommender from scratch on its store and record it as a candidate."""
    from oleg.config import load_deployment
    from oleg.engine.feedback_log import FeedbackLog
    from oleg.engine.lineage import Lineage
    from oleg.engine.model_files import ModelFiles
    from oleg.plugins import Plugins

    plugins = Plugins()
    resolved = load_deployment(deployment, plugins)
    comp = resolved.recommender
    store = open_existing_store(deployment, resolved.deployment.database)
    with store:
        ratings = FeedbackLog(
            inverse_propensity=resolved.engine.inverse_propensity,
            unanswered=resolved.engine.unanswered,
        )
        now = datetime.now(UTC)
        ratings.catch_up(store, now)
        if not len(ratings):
            raise OlegError(f"{deployment}: the store holds no feedback yet; nothing to train on.")
        line = Lineage(comp, comp.build(seed=resolved.deployment.seed), main=True)
        version = line.learn(
            ratings, now=now, full_every=1, store=store,
            files=ModelFiles(Path(resolved.deployment.data_dir)),
        )
    weak = version.metrics.get("n_unanswered", 0)
    console.print(
        f"Trained {comp.plugin} on {version.metrics['n_batch'] - weak} ratings"
        + (f" and {weak} unanswered posts (weak 👎)" if weak else "")
        + " in "
        f"{version.metrics['train_seconds']:.3f} s: model version {version.id}, a candidate. "
        f"Serve it with: oleg models promote {deployment} {version.id}"
    )


cli.add_command(models)
cli.add_command(new_plugin)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
