"""Feedback that is not missing at random, in the demo's simulation where the truth is known
(issue 11).

1. Unanswered posts as weak negatives. The simulated subscribers answer mostly what they
   like (`[sink] answer_bias = 1`: a post they surely dislike goes unanswered, as in a real
   feed). `embedding-nn` and `popular` with and without `[engine.unanswered]` (a post
   unanswered after 6 h handed over as a 👎 of weight 0.3), like rate over days 8-14.
   Target: each at least as high with the weak negatives as without.
2. Inverse-propensity weighting. A deployment's logged feedback is what its policy chose
   to show (Boltzmann exploration over embedding-nn's scores). `embedding-nn` is fitted on
   that log with `ips = "off"`, `"logged"` (weight 1 / the logged propensity of each
   delivery, `[engine] inverse_propensity`) and `"popularity"`, and tested on posts the
   simulator shows at random (a random-exposure sample: random posts of days 8-14 for every
   subscriber, 👍 drawn from their true P(like)): AUC beside `popular` and the oracle (the
   true P(like) as score). Reported as measured; the target is the direction: logged IPS
   not below no weighting.

Usage: .venv/bin/python benchmarks/bench_feedback_bias.py [--subscribers 200] [--days 14] [--seed 0]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
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


def biased_config() -> DemoConfig:
    """The bundled demo in a world whose subscribers answer mostly what they like, with the
    weak-negative variants of embedding-nn and popular."""
    bundled = DemoConfig.load()
    base = {**bundled.base, "sink": {**bundled.base["sink"], "answer_bias": 1.0}}
    policies = dict(bundled.policies)
    for name in ("embedding-nn", "popular"):
        policy = bundled.policy(name)
        recommender = {"plugin": name, **policy.tables.get("recommender", {})}
        policies[name] = Policy(name, {**policy.tables, "recommender": recommender}, policy.plot)
        engine = {**bundled.base.get("engine", {}), "unanswered": UNANSWERED}
        policies[f"{name}+unanswered"] = Policy(
            f"{name}+unanswered", {**policies[name].tables, "engine": engine}, policy.plot
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
        chosen = rng.choice(len(posts), size=min(EXPOSURE_PER_SUBSCRIBER, len(posts)), replace=False)
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


def logged_feedback(store: Store) -> tuple[Interactions, np.ndarray]:
    batch = store.feedback_batch()
    return batch.data, batch.propensity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    console = Console()
    config = biased_config()
    began = time.perf_counter()
    names = ["embedding-nn", "embedding-nn+unanswered", "popular", "popular+unanswered", "oracle"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        result = run_demo(
            config=config, recommender=names[0], compare=names[1:], seed=args.seed,
            subscribers=args.subscribers, days=args.days, out=out, console=Console(quiet=True),
        )
        week = result.last_week()
        size = RunSize(args.subscribers, args.days, args.seed, out)
        with Store.open(size.database(config.policy("embedding-nn"))) as store:
            users, posts, p_true, labels = random_exposure(config, size, store, args.seed)
            feedback, propensity = logged_feedback(store)
    answered_share = {
        n: sum(d["likes"] + d["dislikes"] for d in r.days) / max(1, sum(d["deliveries"] for d in r.days))
        for n, r in result.runs.items()
    }

    table = Table(title=f"1. Weak negatives: like rate over {result.last_week_label}, answer_bias = 1")
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
    weights = 1.0 / np.where(np.isfinite(propensity) & (propensity > 0), propensity, 1.0)
    weighted = Interactions.from_arrays(
        feedback.user, feedback.post, feedback.channel, feedback.value, feedback.time,
        feedback.category, weight=weights,
    )
    exposure = exposure_rows(users, posts)
    figures = {"oracle (true P(like))": auc(labels, p_true)}
    fit_seconds = {}
    for label, ips, data in (
        ("embedding-nn, ips off", "off", feedback),
        ("embedding-nn, ips logged", "logged", weighted),
        ("embedding-nn, ips popularity", "popularity", feedback),
    ):
        model = EmbeddingNNRecommender(EmbeddingNNSettings(**base_settings, ips=ips), seed=args.seed)
        started = time.perf_counter()
        model.fit(data)
        fit_seconds[label] = time.perf_counter() - started
        figures[label] = auc(labels, score_pairs(model, exposure))
    popular = PopularRecommender()
    popular.fit(feedback)
    figures["popular"] = auc(labels, score_pairs(popular, exposure))

    ips_table = Table(
        title=f"2. Random exposure: AUC on {len(labels)} random (subscriber, post) pairs of the "
        f"last 7 days, trained on embedding-nn's logged feedback ({len(feedback)} ratings)"
    )
    ips_table.add_column("model")
    ips_table.add_column("AUC", justify="right")
    for label, value in figures.items():
        ips_table.add_row(label, f"{value:.4f}")
    console.print(ips_table)

    checks = {
        "embedding-nn with weak negatives >= without": week["embedding-nn+unanswered"] >= week["embedding-nn"],
        "popular with weak negatives >= without": week["popular+unanswered"] >= week["popular"],
        "logged IPS AUC >= no weighting": figures["embedding-nn, ips logged"] >= figures["embedding-nn, ips off"],
    }
    console.print(targets_table(checks))
    console.print(f"{time.perf_counter() - began:.0f} s in all")
    write_results(
        "feedback_bias",
        {
            "subscribers": args.subscribers, "days": args.days, "seed": args.seed,
            "window": result.last_week_label, "unanswered": UNANSWERED,
            "like_rate": {n: week[n] for n in names}, "answered_share": answered_share,
            "random_exposure_auc": figures, "pairs": len(labels), "logged_ratings": len(feedback),
            "fit_seconds": fit_seconds, "checks": checks,
        },
    )


if __name__ == "__main__":
    main()
