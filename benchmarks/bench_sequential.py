"""Sequential recommendation on Amazon Video Games (SASRec's Video.txt): each user's last
item is the test, full ranking over every item (no sampled negatives), the user's earlier
items excluded. `popular` and `als` (when installed) now; sequential models join by
adding their spec to RECOMMENDERS. Compare with the literature's full-ranking figures,
not with its 100-sampled-negatives ones (those are several times higher).

Usage: .venv/bin/python benchmarks/bench_sequential.py [--data ../shared/data] [--k 10]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from results_file import write_results
from oleg_evaluation import EvalConfig, evaluate, leave_last_out, load_sequences, print_table
from oleg.plugins import Plugins

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"

# Adding a recommender is adding its spec; plugins not installed are skipped and said so.
RECOMMENDERS = ["popular", "als", "argus:pretrain_epochs=5"]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding amazon-video-games/")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=256, help="users scored at once")
    args = parser.parse_args(argv)
    console = Console(width=None if Console().is_terminal else 120)
    installed = Plugins.available()
    chosen = [r for r in RECOMMENDERS if r.split(":")[0] in installed]
    missing = [r for r in RECOMMENDERS if r not in chosen]
    data = load_sequences(args.data / "amazon-video-games" / "Video.txt", name="Amazon Video Games")
    config = EvalConfig(k=args.k, seed=args.seed, batch=args.batch)
    began = time.perf_counter()
    with Progress(console=console, transient=True) as progress:
        ev = evaluate(data, chosen, [leave_last_out(data)], config, progress=progress)
    total = time.perf_counter() - began
    print_table(ev, console)
    if missing:
        console.print(f"[yellow]not installed, skipped: {', '.join(missing)}[/]")
    out = write_results("sequential", {"total_seconds": total, "skipped": missing, **ev.to_json()})
    console.print(f"Total {total:.1f} s. written: {out}")


if __name__ == "__main__":
    main()
