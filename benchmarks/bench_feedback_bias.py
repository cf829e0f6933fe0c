"""Feedback that is not missing at random, in the demo's simulation where the truth is known
(issue 11).

1. Unanswered posts as weak negatives. The simulated subscribers answer mostly what they
   like (`[sink] answer_bias = 1`: a post they surely dislike goes unanswered, as in a real
   feed), and some answer much less than others (`engagement_spread = 1`). `embedding-nn`
   and `popular` with and without `[engine.unanswered]` (a post unanswered after 6 h
   handed over as a 👎 of weight 0.3), like rate over days 8-14.
   Target: each at least as high with the weak negatives as without.
2. Inverse-propensity weighting. A deployment's logged feedback is what its policy chose
   to show: Boltzmann exploration over embedding-nn's scores, at the demo's temperature
   (0.01, nearly greedy) and at a softer one (0.2, `embedding-nn explore`). `embedding-nn`
   is fitted on each log with `ips = "off"` and `"logged"` (weight 1 / the logged
   propensity of each delivery, as `[engine] inverse_propensity` hands it), on the answers
   alone and on the answers plus the unanswered deliveries (weak 👎 of weight 0.3, as
   `[engine.unanswered]` hands them), and tested on posts the simulator shows at random (a
   random-exposure sample: random posts of days 8-14 for every subscriber, 👍 drawn from
   their true P(like)): AUC beside `popular` and the oracle (the true P(like) as score).
   Targets: the unanswered deliveries raise the AUC at both temperatures (answers alone are
   a sample the subscribers chose); with them and the softer exploration, logged IPS at
   least as high as no weighting. Weighting the answers alone corrects the exposure but not
   the subscribers' choice of what to answer, and lowered the AUC at every temperature tried
   (0.01, 0.05, 0.2, epsilon 0.2).

Usage: .venv/bin/python benchmarks/bench_feedback_bias.py [--subscribers 200] [--days 14] [--seed 0]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from oleg.config.sections import UnansweredSettings
from oleg.engine.feedback_log import FeedbackLog
from oleg.metrics import auc
from oleg.plugins import Plugins
from oleg.scoring import score_pairs
from oleg.store import Store
from oleg.types import Candidates, Interactions
from oleg_demo import run_demo
from oleg_demo.config import DemoConfig, Policy
from oleg_demo.runner import RunSize, resolve
from results_file import targets_table, write_results
from rich.console import Console
from rich.table import Table

UNANSWERED = {"after": "6h", "weight": 0.3}
EXPOSURE_PER_SUBSCRIBER = 60
EXPLORE = {"kind": "boltzmann", "temperature": 0.2}
EXPLORE_POLICY = "embedding-nn explore"
LOGGING_POLICIES = ("embedding-nn", EXPLORE_POLICY)
IPS_CLIP = 3.0
SET_ORDER = ("answers", "answers, ips", "+ unanswered", "+ unanswered, ips")


def biased_config() -> DemoConfig:
    """The bundled demo in a world whose subscribers answer mostly what they like, some far
    less than others, with the weak-negative variants of embedding-nn and popular."""
    bundled = DemoConfig.load()
    sink = {**bundled.base["sink"], "answer_bias": 1.0, "engagement_spread": 1.0}
    base = {**bundled.base, "sink": sink}
    policies = dict(bundled.policies)
    for name in ("embedding-nn", "popular"):
        policy = bundled.policy(name)
        recommender = {"plugin": name, **policy.tables.get("recommender", {})}
        policies[name] = Policy(name, {**policy.tables, "recommender": recommender}, policy.plot)
        engine = {**bundled.base.get("engine", {}), "unanswered": UNANSWERED}
        policies[f"{name}+unanswered"] = Policy(
            f"{name}+unanswered", {**policies[name].tables, "engine": engine}, policy.plot
        )
    explore = {**bundled.base.get("engine", {}), "exploration": EXPLORE}
    base_nn = policies["embedding-nn"]
    policies[EXPLORE_POLICY] = Policy(
        EXPLORE_POLICY, {**base_nn.tables, "engine": explore}, base_nn.plot
    )
    return DemoConfig(bundled.path, bundled.demo, base, policies)


def random_exposure(config: DemoConfig, size: RunSize, store: Store, seed: int):
    """Random (subscriber, post) pairs of the last 7 days with 👍 drawn from the truth."""
    plugins = Plugins()
    deployment = resolve(config, config.policy("embedding-nn"), size, plugins)
    truth = deployment.sink.build(seed=deployment.deployment.seed).truth
    end = config.start(size.days) + timedelta(days=size.days)
    posts = store.recent_posts(end - timedelta(days=7), 100_000)
    posts = [p for p in posts if p.date < end]
    subscribers = store.subscribers(active_only=False)
    rng = np.random.default_rng(seed)
    users, picked, p_true = [], [], []
    for sub in subscribers:
        chosen = rng.choice(
            len(posts), size=min(EXPOSURE_PER_SUBSCRIBER, len(posts)), replace=False
        )
        chosen_posts = [posts[i] for i in chosen]
        p = truth.like_probability([sub.external_id], chosen_posts)[0]
        users += [sub.id] * len(chosen_posts)
        picked += chosen_posts
        p_true.append(p)
    p_true = np.concatenate(p_true)
    labels = (rng.random(len(p_true)) < p_true).astype(float)
    return np.array(users), picked, p_true, labels


def exposure_rows(users: np.ndarray, posts) -> Interactions:
    """The random-exposure pairs as rows ``oleg.scoring.score_pairs`` scores (the harness's
    and the registry's scoring), each post at its own date."""
    cands = Candidates.from_posts(list(posts))
    return Interactions.from_arrays(
        users, cands.post, cands.channel, np.zeros(len(users)), cands.time, cands.category
    )


@dataclass(frozen=True)
class TrainingSet:
    """One way of reading a deployment's log, and whether the model weighs it by IPS."""

    data: Interactions
    ips: bool


def logged_training_sets(store: Store) -> dict[str, TrainingSet]:
    """What a deployment's log teaches, four ways, read as the engine reads it
    (:class:`~oleg.engine.feedback_log.FeedbackLog`, once unweighted and once weighted by 1 /
    each delivery's propensity, `[engine] inverse_propensity`): the answers alone, or with
    the unanswered deliveries (weak 👎, `[engine.unanswered]`)."""
    end_of_time = datetime(9999, 1, 1, tzinfo=UTC)
    sets = {}
    for ips, suffix in ((False, ""), (True, ", ips")):
        log = FeedbackLog(inverse_propensity=ips, unanswered=UnansweredSettings(**UNANSWERED))
        log.catch_up(store, end_of_time)
        sets[f"answers{suffix}"] = TrainingSet(log.data, ips)
        sets[f"+ unanswered{suffix}"] = TrainingSet(log.training(), ips)
    return {label: sets[label] for label in SET_ORDER}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    console = Console()
    config = biased_config()
    began = time.perf_counter()
    names = [
        "embedding-nn",
        "embedding-nn+unanswered",
        "popular",
        "popular+unanswered",
        EXPLORE_POLICY,
        "oracle",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        result = run_demo(
            config=config,
            recommender=names[0],
            compare=names[1:],
            seed=args.seed,
            subscribers=args.subscribers,
            days=args.days,
            out=out,
            console=Console(quiet=True),
        )
        week = result.last_week()
        size = RunSize(args.subscribers, args.days, args.seed, out)
        logs: dict[str, dict[str, TrainingSet]] = {}
        for name in LOGGING_POLICIES:
            with Store.open(size.database(config.policy(name))) as store:
                if name == LOGGING_POLICIES[0]:
                    users, posts, p_true, labels = random_exposure(config, size, store, args.seed)
                logs[name] = logged_training_sets(store)
    answered_share = {
        n: sum(d["likes"] + d["dislikes"] for d in r.days)
        / max(1, sum(d["deliveries"] for d in r.days))
        for n, r in result.runs.items()
    }

    table = Table(
        title=f"1. Weak negatives: like rate over {result.last_week_label}, answer_bias = 1, "
        "engagement_spread = 1"
    )
    for column in ("policy", "like rate", "answered share"):
        table.add_column(column, justify="right")
    for name in names:
        table.add_row(name, f"{week[name]:.1%}", f"{answered_share[name]:.0%}")
    console.print(table)

    from oleg_recommender_baseline import PopularRecommender
    from oleg_recommender_embedding import EmbeddingNNRecommender
    from oleg_recommender_embedding.settings import EmbeddingNNSettings

    bundled = config.policy("embedding-nn").tables.get("recommender", {})
    base_settings = {k: v for k, v in bundled.items() if k != "plugin"}
    exposure = exposure_rows(users, posts)
    auc_by_log: dict[str, dict[str, float]] = {}
    fit_seconds: dict[str, float] = {}
    for policy, sets in logs.items():
        auc_by_log[policy] = {}
        for label, training in sets.items():
            ips = "logged" if training.ips else "off"
            settings = EmbeddingNNSettings(**base_settings, ips=ips, ips_clip=IPS_CLIP)
            model = EmbeddingNNRecommender(settings, seed=args.seed)
            started = time.perf_counter()
            model.fit(training.data)
            fit_seconds[f"{policy}: {label}"] = time.perf_counter() - started
            auc_by_log[policy][label] = auc(labels, score_pairs(model, exposure))
        popular = PopularRecommender()
        popular.fit(sets["answers"].data)
        auc_by_log[policy]["popular (answers)"] = auc(labels, score_pairs(popular, exposure))
    oracle = auc(labels, p_true)

    ips_table = Table(
        title=f"2. Random exposure: AUC on {len(labels)} random (subscriber, post) pairs of the "
        f"last 7 days, embedding-nn trained on a deployment's log (ips_clip {IPS_CLIP:g})"
    )
    ips_table.add_column("trained on")
    for policy in logs:
        temperature = EXPLORE["temperature"] if policy == EXPLORE_POLICY else 0.01
        ips_table.add_column(f"{policy} (T={temperature:g})", justify="right")
    for label in auc_by_log[LOGGING_POLICIES[0]]:
        ips_table.add_row(label, *(f"{auc_by_log[p][label]:.4f}" for p in logs))
    ips_table.add_row("oracle (true P(like))", *(f"{oracle:.4f}" for _ in logs))
    console.print(ips_table)

    greedy, soft = (auc_by_log[p] for p in LOGGING_POLICIES)
    checks = {
        "embedding-nn with weak negatives >= without": week["embedding-nn+unanswered"]
        >= week["embedding-nn"],
        "popular with weak negatives >= without": week["popular+unanswered"] >= week["popular"],
        "unanswered raise random-exposure AUC (T=0.01)": greedy["+ unanswered"] > greedy["answers"],
        "unanswered raise random-exposure AUC (T=0.2)": soft["+ unanswered"] > soft["answers"],
        "logged IPS >= no weighting (T=0.2, with unanswered)": soft["+ unanswered, ips"]
        >= soft["+ unanswered"],
    }
    console.print(targets_table(checks))
    console.print(f"{time.perf_counter() - began:.0f} s in all")
    write_results(
        "feedback_bias",
        {
            "subscribers": args.subscribers,
            "days": args.days,
            "seed": args.seed,
            "window": result.last_week_label,
            "unanswered": UNANSWERED,
            "explore": EXPLORE,
            "ips_clip": IPS_CLIP,
            "like_rate": {n: week[n] for n in names},
            "answered_share": answered_share,
            "random_exposure_auc": auc_by_log,
            "oracle_auc": oracle,
            "pairs": len(labels),
            "logged_rows": {
                p: {k: len(v.data) for k, v in sets.items()} for p, sets in logs.items()
            },
            "fit_seconds": fit_seconds,
            "checks": checks,
        },
    )


if __name__ == "__main__":
    main()
