"""vw-logistic against Vowpal Wabbit's own command line, and beside oleg's other models.

1. Training throughput: ``fit`` through oleg (examples built and learned by VW's driver;
   at 1M ratings streamed into VW's command line while they are built) against
   ``python -m vowpalwabbit`` on the same exported file with the same flags, alternated
   ``--rounds`` times on this shared machine: each round's ratio compares two runs made
   side by side under the same load, and the ratio reported is their median (the ratio of
   the median times is kept too). Target: at least 0.9x the command line's examples/s, at
   1M examples.
2. Scoring a 50,000-post pool for one subscriber: the vectorised pass against VW's
   ``predict`` per candidate, equal to 1e-6. Target: at most 5 ms median.
3. Quality on MovieLens latest-small likes (>= 4 stars = 👍, <= 2 = 👎, the 2.5-3.5 stars
   left out), temporal split, through oleg_evaluation: AUC and NDCG@10 of vw-logistic
   beside embedding-nn, als and popular in one run.
4. Model memory and file size against ``bits``: each ``bits`` fitted and scored in a fresh
   process, whose peak RSS growth over its state before the fit is reported.

Usage: .venv/bin/python benchmarks/bench_vw.py [--examples 1000000] [--data ../shared/data]
       [--rounds 5] [--skip-quality]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from oleg import Candidates, Interactions
from oleg_recommender_vw.model import VwLogisticRecommender, workspace
from oleg_recommender_vw.portrait import Portrait
from oleg_recommender_vw.settings import VwSettings
from results_file import write_results
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
POOL = 50_000
ANCHOR = (
    "anchors.md: the command line trains ~107k examples/s at -b 18 on these machines; "
    "predict 22 us at -b 18; Lamoda ~100 us per prediction"
)


def synthetic(n: int, seed: int = 0) -> Interactions:
    """Ratings of 20k subscribers on 200k posts of 300 channels and 30 categories, in time
    order, with tastes per (subscriber, channel) and (subscriber, category)."""
    rng = np.random.default_rng(seed)
    users = rng.integers(1, 20_001, n)
    posts = rng.integers(1, 200_001, n)
    channels = -1_001_000_000_000 - posts % 300
    categories = 1_000_003 + posts % 30
    logit = 0.8 * np.sin(users * 0.37 + posts % 300) + 0.6 * np.cos(users * 0.11 + posts % 30) - 0.3
    liked = rng.random(n) < 1 / (1 + np.exp(-logit))
    times = 1_730_000_000 + np.sort(rng.integers(0, 86_400 * 60, n))
    return Interactions.from_arrays(users, posts, channels, liked.astype(float), times, categories)


def throughput(
    data: Interactions, settings: VwSettings, folder: Path, rounds: int
) -> dict[str, float | str | bool]:
    model = VwLogisticRecommender(settings)
    began = time.perf_counter()
    text = model.writer.text(data, Portrait(settings.prior_weight))  # what `oleg export vw` writes
    exported = folder / "export.vw"
    exported.write_bytes(text)
    export_s = time.perf_counter() - began
    flags = model.flags(passes=None)
    cli = [sys.executable, "-m", "vowpalwabbit", *flags, "-d", str(exported), "--quiet"]
    oleg_times, cli_times, driver_times = [], [], []
    for _ in range(rounds):  # alternated, so that the machine's load falls on both alike
        model = VwLogisticRecommender(settings)
        began = time.perf_counter()
        model.fit(data)
        oleg_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        subprocess.run([*cli, "-f", str(folder / "cli.model")], check=True)
        cli_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        workspace([*flags, "-d", str(exported)])  # VW's driver alone, in this process
        driver_times.append(time.perf_counter() - began)
    oleg_s, cli_s = statistics.median(oleg_times), statistics.median(cli_times)
    ratios = [c / o for c, o in zip(cli_times, oleg_times, strict=True)]
    driver_s = statistics.median(driver_times)
    n = len(data)
    return {
        "examples": n,
        "rounds": rounds,
        "streamed": bool(model.fit_info.get("streamed")),
        "oleg_fit_s": oleg_s,
        "oleg_fit_s_each": oleg_times,
        "oleg_per_s": n / oleg_s,
        "cli_s": cli_s,
        "cli_s_each": cli_times,
        "cli_per_s": n / cli_s,
        "ratio": statistics.median(ratios),
        "ratio_each": ratios,
        "ratio_of_medians": cli_s / oleg_s,
        "driver_in_process_s": driver_s,
        "examples_build_s": oleg_s - driver_s,
        "export_s": export_s,
        "export_then_cli_ratio": (export_s + cli_s) / oleg_s,
        "driver_ratio": cli_s / driver_s,
        "flags": " ".join(flags),
    }


def pool_scoring(data: Interactions, settings: VwSettings) -> dict[str, float]:
    model = VwLogisticRecommender(settings)
    model.fit(data)
    rng = np.random.default_rng(1)
    post = rng.choice(np.arange(1, 400_001), POOL, replace=False)  # half never rated
    cands = Candidates.from_arrays(
        post,
        -1_001_000_000_000 - post % 300,
        data.time[-1] - rng.integers(0, 86_400 * 2, POOL),
        1_000_003 + post % 30,
    )
    user = int(data.user[0])
    began = time.perf_counter()
    model.score(user, cands)
    cold_ms = (time.perf_counter() - began) * 1e3
    times = []
    for other in range(50):
        began = time.perf_counter()
        model.score(user + other, cands)
        times.append((time.perf_counter() - began) * 1e3)
    model.partial_fit(data.take(slice(0, 200)))
    began = time.perf_counter()
    fast = model.score(user, cands)
    after_update_ms = (time.perf_counter() - began) * 1e3
    sample = cands.take(slice(0, 2000))
    began = time.perf_counter()
    reference = model.vw_predict(user, sample, now=int(cands.time.max()))
    predict_us = (time.perf_counter() - began) / len(sample) * 1e6
    # numpy's floor: one pass over as many float64 as the per-call features touch
    per_call = 4 * POOL  # u, uc, uk, and the context's age: one weight each per candidate
    values = np.random.default_rng(2).random(per_call)
    index = np.random.default_rng(3).integers(0, 1 << settings.bits, per_call)
    weights = np.random.default_rng(4).random(1 << settings.bits)
    floors = []
    for _ in range(20):
        began = time.perf_counter()
        float((weights[index] * values).sum())
        floors.append((time.perf_counter() - began) * 1e3)
    median = statistics.median(times)
    return {
        "pool": POOL,
        "median_ms": median,
        "p90_ms": float(np.percentile(times, 90)),
        "first_call_ms": cold_ms,
        "after_partial_fit_ms": after_update_ms,
        "predict_us_each": predict_us,
        "predict_pool_ms": predict_us * POOL / 1e3,
        "speedup": predict_us * POOL / 1e3 / median,
        "numpy_floor_ms": statistics.median(floors),
        "max_abs_diff_vs_predict": float(np.abs(fast[:2000] - reference).max()),
    }


def current_rss_mb() -> float:
    """This process's resident memory now (Linux), in MiB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def memory_probe(examples: int, bits: int, folder: Path, seed: int) -> dict[str, float]:
    """One ``bits`` in this (fresh) process: fit, score a pool, save; the peak RSS growth
    over the process before the fit (ru_maxrss only ever grows, so a process each: it
    includes the transient text of the fit and of ``json_weights``) and what stays."""
    data = synthetic(examples, seed)
    VwLogisticRecommender(VwSettings(bits=10))  # VW's library loaded: not the model's
    before = current_rss_mb()
    model = VwLogisticRecommender(VwSettings(bits=bits, passes=1))
    model.fit(data)
    model.score(int(data.user[0]), Candidates.from_arrays(data.post[:POOL], data.channel[:POOL]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    resident = current_rss_mb()
    path = folder / f"m{bits}.npz"
    model.save(path)
    return {
        "bits": bits,
        "table_mb": (1 << bits) * 4 * 4 / 2**20,
        "score_table_mb": (1 << bits) * 8 / 2**20,
        "peak_rss_growth_mb": peak - before,
        "rss_growth_after_mb": resident - before,
        "file_mb": path.stat().st_size / 2**20,
        "vw_file_mb": len(model.vw_model_bytes()) / 2**20,
    }


def memory_by_bits(
    examples: int, bits_list: Sequence[int], folder: Path, seed: int
) -> list[dict[str, float]]:
    out = []
    for bits in bits_list:
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--memory-probe",
                str(bits),
                "--examples",
                str(examples),
                "--seed",
                str(seed),
                "--probe-folder",
                str(folder),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def quality(data_dir: Path, seed: int) -> dict[str, dict[str, float]]:
    from oleg_evaluation import EvalConfig, evaluate, load_ratings, temporal
    from oleg_evaluation.dataset import Dataset

    ml = data_dir / "movielens-latest-small"
    stars = load_ratings(ml / "ratings.csv", items=ml / "movies.csv", name="MovieLens latest-small")
    lo, hi = stars.scale or (0.5, 5.0)
    original = lo + stars.interactions.value * (hi - lo)
    keep = (original >= 4.0) | (original <= 2.0)
    inter = stars.interactions.take(keep)
    inter = Interactions(
        inter.user,
        inter.post,
        inter.channel,
        (original[keep] >= 4.0).astype(float),
        inter.time,
        inter.category,
    )
    likes = Dataset(
        name="MovieLens likes",
        interactions=inter,
        kind="binary",
        channel_names=stars.channel_names,
        source=str(ml),
    )
    models = ["vw-logistic", "embedding-nn", "als", "popular"]
    ev = evaluate(likes, models, [temporal(likes, quantile=0.8)], EvalConfig(seed=seed))
    summary = ev.summary()
    return {
        label: {k: summary[label].get(k, float("nan")) for k in ("auc", "ndcg@10", "fit_s")}
        for label in ev.labels()
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--rounds", type=int, default=5, help="alternated fit / CLI rounds")
    parser.add_argument("--memory-probe", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--probe-folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_probe is not None:  # a child of memory_by_bits
        print(
            json.dumps(memory_probe(args.examples, args.memory_probe, args.probe_folder, args.seed))
        )
        return
    console = Console(width=None if Console().is_terminal else 130)
    data = synthetic(args.examples, args.seed)
    settings = VwSettings(
        passes=1, namespaces=["u", "c", "p", "k", "t", "h"], interactions=["uc", "uk"]
    )
    with tempfile.TemporaryDirectory(prefix="bench-vw-") as tmp:
        folder = Path(tmp)
        train = throughput(data, settings, folder, args.rounds)
        pool = pool_scoring(data.take(slice(0, min(len(data), 300_000))), settings)
        memory = memory_by_bits(min(len(data), 100_000), [18, 22, 24], folder, args.seed)
    scores = {} if args.skip_quality else quality(args.data, args.seed)

    how = "streamed into VW's command line" if train["streamed"] else "VW's driver in-process"
    t = Table(
        title=f"vw-logistic, {train['examples']:,} synthetic ratings ({how}; medians of "
        f"{train['rounds']} alternated rounds); flags: {train['flags']}",
        title_justify="left",
    )
    for col in ("measure", "oleg", "VW / reference", "ratio", "target"):
        t.add_column(col, justify="right" if col != "measure" else "left")
    t.add_row(
        "training examples/s",
        f"{train['oleg_per_s']:,.0f} (median)",
        f"{train['cli_per_s']:,.0f} (CLI, median)",
        f"{train['ratio']:.2f}x",
        ">= 0.9x",
    )
    t.add_row(
        "  each round's ratio (median above); ratio of median times",
        "",
        "",
        " ".join(f"{r:.2f}" for r in train["ratio_each"]) + f"; {train['ratio_of_medians']:.2f}x",
        "",
    )
    t.add_row(
        "  VW's driver alone: in oleg's process s / CLI s",
        f"{train['driver_in_process_s']:.2f}",
        f"{train['cli_s']:.2f}",
        f"{train['driver_ratio']:.2f}x",
        "",
    )
    t.add_row(
        "  rows to model: oleg fit s / export + CLI s",
        f"{train['oleg_fit_s']:.2f}",
        f"{train['export_s'] + train['cli_s']:.2f}",
        f"{train['export_then_cli_ratio']:.2f}x",
        "",
    )
    t.add_row(
        f"score {POOL:,}-post pool, median ms",
        f"{pool['median_ms']:.2f}",
        f"{pool['predict_pool_ms']:.0f} (predict each, {pool['predict_us_each']:.1f} us)",
        f"{pool['speedup']:.0f}x faster",
        "<= 5 ms",
    )
    t.add_row(
        "  p90 / first call (hashing, all weights) / after partial_fit ms",
        f"{pool['p90_ms']:.2f} / {pool['first_call_ms']:.0f} / {pool['after_partial_fit_ms']:.1f}",
        "",
        "",
        "",
    )
    t.add_row(
        "  numpy floor (one gather-sum of 4 x pool) ms",
        "",
        f"{pool['numpy_floor_ms']:.2f}",
        f"{pool['median_ms'] / pool['numpy_floor_ms']:.1f}x floor",
        "",
    )
    t.add_row(
        "  max |fast - VW predict|", f"{pool['max_abs_diff_vs_predict']:.1e}", "", "", "<= 1e-6"
    )
    console.print(t)
    m = Table(
        title="Model memory and file size against bits (100k ratings, a fresh process each)",
        title_justify="left",
    )
    for col in (
        "bits",
        "VW table MB (4 floats/weight)",
        "oleg's scoring copy MB",
        "peak RSS growth MB (fit + score)",
        "RSS growth after MB",
        "model file MB",
        "VW's own file MB",
    ):
        m.add_column(col, justify="right")
    for row in memory:
        m.add_row(
            str(row["bits"]),
            f"{row['table_mb']:.0f}",
            f"{row['score_table_mb']:.0f}",
            f"{row['peak_rss_growth_mb']:.0f}",
            f"{row['rss_growth_after_mb']:.0f}",
            f"{row['file_mb']:.2f}",
            f"{row['vw_file_mb']:.2f}",
        )
    console.print(m)
    if scores:
        q = Table(
            title="MovieLens latest-small likes (>=4 vs <=2 stars), temporal split (last 20%)",
            title_justify="left",
        )
        for col in ("model", "AUC", "NDCG@10", "fit s"):
            q.add_column(col, justify="right" if col != "model" else "left")
        for label, row in scores.items():
            q.add_row(label, f"{row['auc']:.4f}", f"{row['ndcg@10']:.4f}", f"{row['fit_s']:.2f}")
        console.print(q)
    console.print(ANCHOR)
    out = write_results(
        "vw",
        {
            "training": train,
            "pool_scoring": pool,
            "memory_by_bits": memory,
            "movielens_likes": scores,
            "reference": ANCHOR,
        },
    )
    console.print(f"written: {out}")


if __name__ == "__main__":
    main()
