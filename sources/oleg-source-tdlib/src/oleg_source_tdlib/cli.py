"""``oleg login`` and ``oleg channels``: the interactive half of the tdlib source.

A deployment runs unattended, so each listener account is logged in once, by a person,
with ``oleg login`` (the session then lives in the account's files folder); ``oleg
channels`` shows and feeds the join queue in the deployment's store.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from oleg.errors import OlegError

from oleg_source_tdlib.settings import TdlibSettings, phone_digits, read_channels_file

if TYPE_CHECKING:
    from oleg_tdlib.listening import ListeningStore

WRONG = {"PHONE_CODE_INVALID": "Wrong code", "PASSWORD_HASH_INVALID": "Wrong password"}
MAX_TRIES = 5

deployment_option = click.option(
    "-d", "--deployment", type=click.Path(path_type=Path), default="oleg.toml", show_default=True,
    envvar="OLEG_DEPLOYMENT", help="The deployment file (TOML) whose [source] is tdlib.",
)


def load_tdlib(path: Path) -> tuple[TdlibSettings, Path, str]:
    """The tdlib source's settings, its own data folder (``<data_dir>/tdlib``, as the engine
    gives it), and the deployment's database URL."""
    from oleg.config import load_deployment

    loaded = load_deployment(path)
    source = loaded.components["source"]
    if source.plugin != "tdlib":
        raise OlegError(
            f"{path}: [source] plugin is {source.plugin!r}; these commands need a deployment "
            "whose source is \"tdlib\"."
        )
    settings = source.settings
    assert isinstance(settings, TdlibSettings)
    return settings, Path(loaded.deployment.data_dir) / source.plugin, loaded.deployment.database


def console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console()


# -- oleg login ----------------------------------------------------------------------


@click.command("login")
@deployment_option
@click.option("--account", "only", metavar="PHONE", help="Log in only this account of the deployment.")
def login(deployment: Path, only: str | None) -> None:
    """Log the deployment's Telegram accounts in (phone, code, 2FA password), once."""
    settings, data_dir, _ = load_tdlib(deployment)
    phones = settings.accounts
    if only is not None:
        phones = [p for p in phones if phone_digits(p) == phone_digits(only)]
        if not phones:
            raise OlegError(f"{only} is not one of the deployment's accounts: {', '.join(settings.accounts)}.")
    for phone in phones:
        login_account(settings, phone, data_dir)


def login_account(settings: TdlibSettings, phone: str, data_dir: Path | None = None) -> bool:
    """Walk one account through TDLib's login; True if it had to log in, False if it was."""
    from oleg_tdlib.errors import TdError, TdTimeout

    from oleg_source_tdlib.accounts import new_client

    out = console()
    asked = []

    def code() -> str:
        asked.append("code")
        return str(click.prompt(f"Login code Telegram sent to {phone}", type=str)).strip()

    def password() -> str:
        asked.append("password")
        return str(click.prompt(f"Two-step verification password of {phone}", hide_input=True, type=str))

    client = new_client(settings, phone, data_dir)
    wait = max(30.0, client.settings.request_timeout)
    out.print(f"{phone}: connecting to Telegram (giving up after {wait:.0f} s without an answer)...", highlight=False)
    try:
        for _ in range(MAX_TRIES):
            try:
                client.authorize(code=code, password=password, timeout=wait)
                break
            except TdError as exc:
                if exc.message not in WRONG:
                    raise OlegError(f"{phone}: Telegram refused the login: {exc.code} {exc.message}") from None
                out.print(f"[yellow]{WRONG[exc.message]}[/], try again.")
            except TdTimeout as exc:
                raise OlegError(
                    f"{phone}: no answer from Telegram within {wait:.0f} s ({exc}): check the network "
                    f"and api_id/api_hash; TDLib's own log is {client.settings.log_path}."
                ) from None
        else:
            raise OlegError(f"{phone}: too many wrong attempts; run `oleg login` again later.")
    finally:
        client.close()
    if asked:
        out.print(f"[green]{phone}[/]: logged in.")
    else:
        out.print(f"[green]{phone}[/]: already logged in.")
    return bool(asked)


# -- oleg channels -------------------------------------------------------------------


@click.group("channels", invoke_without_command=True)
@deployment_option
@click.pass_context
def channels(ctx: click.Context, deployment: Path) -> None:
    """Show the channels queued for joining, and which account follows which."""
    ctx.obj = deployment  # ``oleg channels -d x add ...`` means x for ``add`` too
    if ctx.invoked_subcommand is not None:
        return
    _, _, database = load_tdlib(deployment)
    with _open(database) as tables:
        requests = tables.channel_requests()
        assignments = tables.assignments()
        counts = tables.joined_counts()
    console().print(channels_table(requests, assignments))
    if counts:
        console().print("Joined per account: " + ", ".join(f"{a} {n}" for a, n in sorted(counts.items())))


def channels_table(requests: list[dict], assignments: list[dict]):  # type: ignore[no-untyped-def]
    """Requests first (in queue order), then channels followed without a request."""
    from rich.table import Table

    table = Table("username", "status", "account", "attempts", "next attempt", "error", title="Channels")
    requested = set()
    for r in requests:
        if r.get("channel_id") is not None:
            requested.add(r["channel_id"])
        nxt = r.get("next_attempt_at")
        table.add_row(
            "@" + r["username"], _status(r["status"]), r.get("account") or "", str(r.get("attempts") or 0),
            nxt.strftime("%Y-%m-%d %H:%M:%S") if nxt else "", r.get("error") or "",
        )
    for a in assignments:
        if a["channel_id"] not in requested:
            name = "@" + a["username"] if a.get("username") else str(a["channel_id"])
            table.add_row(name, _status(a["status"]), a.get("account") or "", "", "", "")
    return table


def _status(status: str) -> str:
    color = {"joined": "green", "failed": "red", "queued": "yellow"}.get(status, "white")
    return f"[{color}]{status}[/]"


@channels.command("add")
@click.option("-d", "--deployment", type=click.Path(path_type=Path), default=None,
              help="The deployment file (default: the one given to `channels`, else oleg.toml).")
@click.argument("names", nargs=-1)
@click.option("--file", "file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="A file of usernames, one a line (# comments).")
@click.pass_context
def add(ctx: click.Context, deployment: Path | None, names: tuple[str, ...], file: Path | None) -> None:
    """Queue channels (@name, name or https://t.me/name) for joining."""
    deployment = deployment or ctx.obj or Path("oleg.toml")

    wanted = list(names) + (read_channels_file(file) if file is not None else [])
    if not wanted:
        raise click.UsageError("name at least one channel, or --file.")
    _, _, database = load_tdlib(deployment)
    with _open(database) as tables:
        added = tables.queue_channels(wanted, datetime.now(UTC))
    out = console()
    out.print(f"Queued {len(added)} new channel(s)" + (": " + ", ".join("@" + n for n in added) if added else "."))
    if len(added) < len(set(wanted)):
        out.print(f"{len(set(wanted)) - len(added)} already known (queued, joined or failed before).")


@contextlib.contextmanager
def _open(database: str) -> Iterator[ListeningStore]:
    """The deployment's store with the TDLib tables (migrated if needed)."""
    from oleg.store import Store
    from oleg_tdlib.listening import ListeningStore
    from oleg_tdlib.tables import SCHEMA

    with Store.open(database, schemas=[SCHEMA]) as store:
        yield ListeningStore(store.database)
