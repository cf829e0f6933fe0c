"""``oleg dashboard``, ``oleg stats`` and ``oleg feed``: each opens the store read-only."""

from __future__ import annotations

import ipaddress
import os

import click
from oleg.cli.render import wide_console
from oleg.errors import OlegError
from rich.table import Table

from oleg_dashboard import queries as q
from oleg_dashboard.source import open_readonly

TARGET_HELP = "a deployment file, or a store URL (sqlite:///demo-report/demo-popular.db)"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command()
@click.argument("target", metavar="DEPLOYMENT")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--token-env",
    default="OLEG_DASHBOARD_TOKEN",
    show_default=True,
    help="The environment variable holding the access token.",
)
@click.option("--no-token", is_flag=True, help="Serve without a token; only on a loopback address.")
def dashboard(target: str, host: str, port: int, token_env: str, no_token: bool) -> None:
    """Serve a read-only web dashboard of DEPLOYMENT's store (a deployment file or a URL).

    It runs beside `oleg run` on the same store and never writes it. Open
    http://HOST:PORT/?token=... once; the token comes from $OLEG_DASHBOARD_TOKEN.
    """
    import uvicorn

    from oleg_dashboard.app import create_app

    token = os.environ.get(token_env) or None
    if no_token:
        if not _loopback(host):
            raise OlegError(
                f"--no-token serves only on a loopback address (127.0.0.1, ::1), not {host}."
            )
        token = None
    elif token is None:
        raise OlegError(
            f"the dashboard needs a token: export {token_env}=... (any long random string), "
            "or pass --no-token to serve on 127.0.0.1 without one."
        )
    store = open_readonly(target)
    title = target if "://" not in target else "store"
    app = create_app(store, token=token, title=title)
    click.echo(
        f"Dashboard of {store.display_url} on http://{host}:{port}/"
        + ("?token=..." if token else "")
    )
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        store.close()


@click.command()
@click.argument("target", metavar="DEPLOYMENT")
def stats(target: str) -> None:
    """Like rate by day and policy, and deliveries by status, of DEPLOYMENT's store."""
    store = open_readonly(target)
    try:
        rates = q.like_rates(store)
        sent = q.deliveries_by_day(store)
        totals = q.status_totals(store)
    finally:
        store.close()
    console = wide_console()
    table = Table(title=f"Like rate by day of sending ({store.display_url})")
    table.add_column("day")
    for policy in rates.policies:
        table.add_column(policy, justify="right")
    table.add_column("deliveries", justify="right")
    for i, d in enumerate(rates.days):
        cells = []
        for policy in rates.policies:
            n, liked = rates.rated[policy][i], rates.liked[policy][i]
            cells.append(f"{liked / n:.1%} of {n}" if n else "-")
        day_sent = sum(v[sent.days.index(d)] for v in sent.values.values()) if d in sent.days else 0
        table.add_row(d, *cells, str(day_sent))
    console.print(table)
    by_status = Table(title="Deliveries by status")
    by_status.add_column("status")
    by_status.add_column("deliveries", justify="right")
    for status, n in sorted(totals.items()):
        by_status.add_row(status, str(n))
    by_status.add_row("all", str(sum(totals.values())), style="bold")
    console.print(by_status)


@click.command()
@click.argument("target", metavar="DEPLOYMENT")
@click.argument("subscriber")
@click.option("--limit", default=50, show_default=True, help="How many deliveries, newest first.")
def feed(target: str, subscriber: str, limit: int) -> None:
    """What SUBSCRIBER (a store id or a sink id: sim-3, a Telegram user id) got and pressed."""
    store = open_readonly(target)
    try:
        sub_id = q.find_subscriber(store, subscriber)
        got = q.feed(store, sub_id, limit=limit) if sub_id is not None else None
    finally:
        store.close()
    if got is None:
        raise OlegError(f"{target}: no subscriber {subscriber!r} (give a store id or a sink id).")
    s = got.subscriber
    rate = f"{s.liked / s.rated:.1%}" if s.rated else "-"
    console = wide_console()
    console.print(
        f"[bold]{s.external_id}[/] (id {s.id}{', ' + s.name if s.name else ''}): "
        f"{'active' if s.active else 'left'}, joined {s.joined_at:%Y-%m-%d %H:%M}; "
        f"received {s.deliveries}, rated {s.rated}, like rate {rate}",
        highlight=False,
    )
    table = Table()
    for column in (
        "sent (UTC)",
        "channel",
        "post",
        "policy",
        "score",
        "propensity",
        "model",
        "status",
        "pressed",
    ):
        table.add_column(
            column,
            justify="right" if column in ("post", "score", "propensity", "model") else "left",
        )
    for i in got.items:
        table.add_row(
            f"{i.sent_at:%Y-%m-%d %H:%M}",
            i.channel,
            str(i.message_id),
            i.policy,
            "-" if i.score is None else f"{i.score:.3f}",
            "-" if i.propensity is None else f"{i.propensity:.3f}",
            str(i.model_version_id or "-"),
            i.status,
            {1: "like", 0: "dislike"}.get(i.vote, "") if i.vote is not None else "",
        )
    console.print(table)
