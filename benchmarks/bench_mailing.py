"""A mailing round of the `telegram-bot` sink to 10,000 subscribers through the fake TDLib
(`oleg_tdlib.fake.FakeTelegram`, Telegram's limits enforced: 30 messages/s overall, about 1/s
per chat), with a flood ("retry after 5") scripted half-way: throughput, 429s caused by our
own pacing, RSS over the round, and that nothing is lost (every delivery ends sent, the
flooded one after one retry).

The sink runs as in a deployment: real store (SQLite in a temporary folder), a listener
account forwarding the post to the bot, `deliver()` with the engine's `Outgoing` objects,
the chat of every subscriber opened with `createPrivateChat` as after a restart.

Usage: .venv/bin/python benchmarks/bench_mailing.py [--subscribers 10000] [--quick]
(~6 minutes at 30 messages/s; --quick: 300 subscribers, ~15 s)
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oleg.testing.runtime import static_runtime
from oleg.types import Delivery, Outgoing, Policy, PolicyKind, Post
from oleg_tdlib.testing import TdlibTestStore
from results_file import write_results
from rich.console import Console
from rich.table import Table

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "1000:bench-bot-token"
API_ID, API_HASH = 12345, "0123456789abcdef0123456789abcdef"
FLOOD_WAIT = 5


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Sampler(threading.Thread):
    """RSS every half second while the round runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            self.samples.append(rss_mb())


def held_by_oleg_mb(snapshot: tracemalloc.Snapshot) -> float:
    """Memory allocated by the sink and the gateway and still held: the fake's world (which
    keeps every message it delivered, as Telegram's servers would) is left out."""
    keep = snapshot.filter_traces([tracemalloc.Filter(False, "*/oleg_tdlib/fake/*")])
    stats = keep.statistics("filename")
    return sum(s.size for s in stats if "oleg" in s.traceback[0].filename) / 2**20


def wait_until(cond: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError("setup did not converge")
        time.sleep(0.01)


def setup(
    tg: Any, store: TdlibTestStore, tmp: Path, n: int, rate: float
) -> tuple[Any, Any, int, list[Outgoing]]:
    from oleg_sink_telegram_bot.settings import BotSettings
    from oleg_sink_telegram_bot.sink import TelegramBotSink
    from oleg_tdlib import requests as rq
    from oleg_tdlib.transport import TdClient, TdSettings

    bot_id = tg.add_bot(TOKEN, "oleg_bench_bot")
    tg.add_user("+15550100", code="12345")
    listener = TdClient(
        TdSettings(
            api_id=API_ID,
            api_hash=API_HASH,
            database_encryption_key="k",
            files_directory=tmp / "listener",
            phone="+15550100",
            name="listener",
        )
    )
    listener.authorize(code=lambda: "12345")
    bot_chat = listener.request("searchPublicChat", rq.search_public_chat("oleg_bench_bot"))
    listener.request("sendBotStartMessage", rq.send_bot_start(bot_id, int(bot_chat["id"])))
    chan = tg.add_channel("benchnews")
    listener.request("searchPublicChat", rq.search_public_chat("benchnews"))
    listener.request("joinChat", rq.join_chat(chan))
    sink = TelegramBotSink(
        BotSettings(
            api_id=API_ID,
            api_hash=API_HASH,
            bot_token=TOKEN,
            database_encryption_key="bench",
            files_directory=tmp / "bot",
            rate=rate,
        )
    )
    sink.start(static_runtime(store, tmp, plugin="telegram-bot", at=T0))
    ids = tg.publish(chan, "The post everybody gets")
    listener.request("forwardMessages", rq.forward_messages(bot_id, chan, ids))
    wait_until(lambda: store.message_ref("telegram-bot", chan, ids[0]) is not None)
    (post,) = store.add_posts([Post(chan, ids[0], T0)])
    # subscribers write /start (so the bot may write to them); the welcome replies are
    # switched off here, they are not what is measured
    assert sink.inbox is not None
    reply, sink.inbox.reply = sink.inbox.reply, lambda chat, text: None
    users = [tg.add_subscriber() for _ in range(n)]
    for uid in users:
        tg.user_sends(uid, bot_id, "/start")
    want, seen = {str(u) for u in users}, set()
    wait_until(lambda: seen.update(e.external_id for e in sink.poll(T0)) or want <= seen, 120)
    sink.inbox.reply = reply
    subs = [store.upsert_subscriber(str(u), active=True, at=T0) for u in users]
    deliveries = store.add_deliveries([Delivery(s.id, post.id, T0, Policy(PolicyKind.RECOMMENDER, "bench")) for s in subs])
    batch = [Outgoing(d, post, s) for d, s in zip(deliveries, subs, strict=True)]
    assert sink.mailer is not None
    sink.mailer.known_chats.clear()  # as after a restart: every chat opened with createPrivateChat
    return sink, listener, bot_id, batch


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument(
        "--quick", action="store_true", help="300 subscribers, a smoke run (writes nothing)"
    )
    parser.add_argument(
        "--rate", type=float, default=30.0, help="the sink's rate setting (messages/s)"
    )
    args = parser.parse_args(argv)
    n = 300 if args.quick else args.subscribers
    console = Console(width=None if Console().is_terminal else 120)
    from oleg_tdlib.fake import FakeTelegram

    with (
        tempfile.TemporaryDirectory(prefix="oleg-bench-mailing-") as tmpdir,
        FakeTelegram(api_id=API_ID, api_hash=API_HASH, enforce_limits=True) as tg,
    ):
        tmp = Path(tmpdir)
        store = TdlibTestStore.open("sqlite:///" + str(tmp / "bench.db"))
        console.print(f"setting up {n} subscribers ...")
        sink, listener, bot_id, batch = setup(tg, store, tmp, n, args.rate)
        sent0, rejected0 = tg.stats["sent"], tg.stats["rejected_429"]
        violations0 = tg.stats["limit_violations"]
        flooded = threading.Event()

        snapshots: dict[str, float] = {}

        def flood_half_way() -> None:
            while tg.stats["sent"] - sent0 < n // 4 and not flooded.is_set():
                time.sleep(0.005)
            snapshots["quarter"] = held_by_oleg_mb(tracemalloc.take_snapshot())
            while tg.stats["sent"] - sent0 < n // 2 and not flooded.is_set():
                time.sleep(0.005)
            if not flooded.is_set():
                tg.flood("sendMessage", retry_after=FLOOD_WAIT, account=bot_id)
                flooded.set()

        watcher = threading.Thread(target=flood_half_way, daemon=True)
        sampler = Sampler()
        rss_start = rss_mb()
        tracemalloc.start()
        watcher.start()
        sampler.start()
        began = time.monotonic()
        results = sink.deliver(batch)
        round_s = time.monotonic() - began
        snapshots["end"] = held_by_oleg_mb(tracemalloc.take_snapshot())
        flooded.set()
        retry = [
            o
            for o in batch
            if o.delivery.id in {r.delivery_id for r in results if r.retry_after is not None}
        ]
        retry_results = sink.deliver(retry) if retry else []
        tracemalloc.stop()
        sampler.stop.set()
        sampler.join()
        rss_end = rss_mb()
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ok1 = sum(r.ok for r in results)
        n_retry = len(retry)
        ok2 = sum(r.ok for r in retry_results)
        other_fail = [r for r in results if not r.ok and r.retry_after is None]
        rejected = tg.stats["rejected_429"] - rejected0  # ours and the scripted one
        own_429 = tg.stats["limit_violations"] - violations0  # the scripted flood is not one
        delivered_msgs = tg.stats["sent"] - sent0
        pause = FLOOD_WAIT if n_retry else 0.0
        thr_all = ok1 / round_s
        thr_excl = ok1 / max(1e-9, round_s - pause)
        samples = sampler.samples or [rss_end]
        quarter = samples[len(samples) // 4] if len(samples) >= 4 else samples[0]
        growth = samples[-1] - quarter
        lost = n - ok1 - ok2
        held_q, held_end = snapshots.get("quarter", float("nan")), snapshots["end"]
        sink.close()
        listener.close()
        store.close()

    target_thr = 0.95 * 30.0
    rows = [
        (
            "throughput, flood wait excluded",
            f">= {target_thr:.1f} msg/s",
            f"{thr_excl:.2f} msg/s",
            thr_excl >= target_thr,
        ),
        ("throughput, flood wait included", "(reported)", f"{thr_all:.2f} msg/s", None),
        ("429s from our own pacing", "0", str(own_429), own_429 == 0),
        ("429s in all (the scripted flood included)", "(reported)", str(rejected), None),
        ("deliveries the scripted flood sent back for a retry", ">= 1", str(n_retry), n_retry >= 1),
        ("deliveries lost", "0", str(lost), lost == 0 and not other_fail),
        ("messages delivered (fake's count)", str(n), str(delivered_msgs), delivered_msgs == n),
        (
            "memory the sink and gateway hold, quarter to end of round",
            "<= 5 MB growth (flat)",
            f"{held_q:.1f} -> {held_end:.1f} MB ({held_end - held_q:+.1f})",
            held_end - held_q <= 5,
        ),
        (
            "RSS growth of the process, quarter to end (the fake keeps every message)",
            "(reported)",
            f"{growth:+.1f} MB",
            None,
        ),
        (
            "RSS start / end / peak",
            "(reported)",
            f"{rss_start:.0f} / {rss_end:.0f} / {peak_rss:.0f} MB",
            None,
        ),
        ("round wall time", "(reported)", f"{round_s:.1f} s", None),
    ]
    table = Table(title=f"Mailing round, {n} subscribers, fake TDLib with Telegram's limits")
    for col in ("measure", "target", "measured", "met"):
        table.add_column(col)
    for name, target, measured, met in rows:
        table.add_row(
            name,
            target,
            measured,
            "" if met is None else ("[green]yes[/]" if met else "[red]no[/]"),
        )
    console.print(table)
    payload = {
        "subscribers": n,
        "rate_setting": args.rate,
        "round_seconds": round_s,
        "throughput_excluding_flood": thr_excl,
        "throughput_including_flood": thr_all,
        "target_throughput": target_thr,
        "own_429": own_429,
        "all_429": rejected,
        "scripted_429_hit": n_retry,
        "sent_first_round": ok1,
        "sent_after_retry": ok2,
        "other_failures": len(other_fail),
        "lost": lost,
        "messages_delivered": delivered_msgs,
        "rss_start_mb": rss_start,
        "rss_end_mb": rss_end,
        "rss_peak_mb": peak_rss,
        "rss_growth_quarter_to_end_mb": growth,
        "held_by_sink_and_gateway_quarter_mb": held_q,
        "held_by_sink_and_gateway_end_mb": held_end,
        "fake_limit_violations": tg.stats.get("limit_violations"),
    }
    if args.quick:
        console.print("--quick: nothing written")
    else:
        out = write_results("mailing", payload)
        console.print(f"written: {out}")


if __name__ == "__main__":
    main()
