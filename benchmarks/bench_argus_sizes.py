"""Quality against model size: argus's three presets (small / medium / large) with the same
passes on the feedback benchmark's data (MovieLens latest-small, >= 4 stars 👍, <= 2 👎,
the rest shown; global temporal split, last 20% the test): PairAccuracy, AUC and NDCG@10
against the number of parameters, as a table and a plot (benchmarks/results/argus_sizes.png).
Yandex reports quality growing with size from 3.2M to 1B parameters, on histories of
thousands of events from millions of users; here a few hundred users decide how much a
larger network can learn.

Usage: .venv/bin/python benchmarks/bench_argus_sizes.py [--users 0.5] [--epochs 5,2]
       [--presets small,medium,large] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from argus_data import movielens_feedback, sample_users
from oleg.plugins import Plugins
from oleg_evaluation import EvalConfig, evaluate, temporal
from results_file import RESULTS, write_results
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
METRICS = {"pair_acc": "PairAccuracy", "auc": "AUC", "ndcg@10": "NDCG@10"}


def plot(rows: list[dict[str, float | str]], out: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.6), dpi=110, layout="constrained")
    axes = fig.subplots(1, len(METRICS))
    x = [float(r["parameters"]) for r in rows]
    for ax, (key, name) in zip(axes, METRICS.items(), strict=True):
        ax.plot(x, [float(r[key]) for r in rows], marker="o")
        for r in rows:
            ax.annotate(
                str(r["preset"]),
                (float(r["parameters"]), float(r[key])),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=8,
            )
        ax.set_xscale("log")
        ax.set_xlabel("parameters")
        ax.set_title(name, fontsize=10)
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.savefig(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--users", type=float, default=0.5, help="share of users kept (1: all)")
    parser.add_argument("--epochs", default="5,2", help="pretrain,finetune passes of every preset")
    parser.add_argument("--presets", default="small,medium,large")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    console = Console()
    pre, fine = (int(e) for e in args.epochs.split(","))
    data = sample_users(
        movielens_feedback(args.data / "movielens-latest-small"), args.users, args.seed
    )
    presets = args.presets.split(",")
    specs = [
        f"argus:preset={p},pretrain_epochs={pre},finetune_epochs={fine},threads=1" for p in presets
    ]
    began = time.perf_counter()
    ev = evaluate(data, specs, [temporal(data, quantile=0.8)], EvalConfig(seed=args.seed))
    total = time.perf_counter() - began
    summary = ev.summary()
    plugins = Plugins()
    rows: list[dict[str, float | str]] = []
    for preset, spec in zip(presets, specs, strict=True):
        from oleg_evaluation import RecommenderSpec

        params = RecommenderSpec.parse(spec).build(args.seed, plugins).n_parameters()  # type: ignore[attr-defined]
        rows.append(
            {
                "preset": preset,
                "parameters": params,
                **{m: summary[spec].get(m, float("nan")) for m in METRICS},
                "fit_s": summary[spec].get("fit_s", float("nan")),
            }
        )
    table = Table(title=f"argus by size: {data.name}, {pre} + {fine} passes", title_justify="left")
    for col in ("preset", "parameters", *METRICS.values(), "fit s"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            str(r["preset"]),
            f"{int(r['parameters']):,}",
            *(f"{float(r[m]):.4f}" for m in METRICS),
            f"{float(r['fit_s']):.0f}",
        )
    console.print(table)
    for label, error in ev.errors().items():
        console.print(f"[red]{label}: {error}[/]")
    png = plot(
        rows,
        RESULTS / "argus_sizes.png",
        f"argus quality against size ({data.name}, temporal split)",
    )
    out = write_results(
        "argus_sizes",
        {
            "total_seconds": total,
            "users_share": args.users,
            "epochs": [pre, fine],
            "rows": rows,
            "plot": png.name,
            **ev.to_json(),
        },
    )
    console.print(f"Total {total:.0f} s. written: {out}, {png}")


if __name__ == "__main__":
    main()
