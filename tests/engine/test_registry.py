"""The model registry in a running engine: challengers judged on held-out ratings, a broken
one never served, decisions recorded with their figures, files kept and pruned, the recorded
champion served after a restart, manual changes followed."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import numpy as np
import oleg
import pytest
from oleg.config import load_deployment_dict
from oleg.engine import Engine
from oleg.errors import ConfigError
from oleg.store import Store
from oleg.versions import DecisionOutcome, ModelStatus

from .test_engine import deployment, rows


def with_challengers(
    url: str, *challengers: dict, recommender: str = "popular", **promotion
) -> dict:
    raw = deployment(url, recommender=recommender, run_for="2d")
    raw["challenger"] = list(challengers)
    raw["promotion"] = {"min_ratings": 6, **promotion}
    return raw


def run(plugins, raw, store) -> Engine:
    engine = Engine(load_deployment_dict(raw, plugins=plugins), plugins, store=store)
    engine.run()
    return engine


def served_lineages(store: Store) -> Counter:
    """Recommender deliveries by the line of the version that scored them."""
    return Counter(
        lineage
        for (lineage,) in rows(
            store,
            "select m.lineage from delivery d join model_version m on m.id = d.model_version_id",
        )
    )


def test_a_random_challenger_is_judged_and_never_served(plugins, tmp_path, caplog):
    store = Store.open(f"sqlite:///{tmp_path / 'r.db'}")
    with caplog.at_level(logging.WARNING, logger="oleg.engine.registry"):
        run(plugins, with_challengers(store.url, {"plugin": "random"}), store)
    decisions = store.decisions(limit=1000)
    about_random = [d for d in decisions if store.model_version(d.version_id).lineage == "random"]
    assert len(about_random) >= 5
    assert {d.outcome for d in about_random} <= {
        DecisionOutcome.REJECTED,
        DecisionOutcome.COLLAPSED,
    }
    assert any(d.outcome is DecisionOutcome.COLLAPSED for d in about_random)
    assert "collapsed" in caplog.text and "it is not served" in caplog.text
    judged = [d for d in about_random if "undefined" not in d.reason]  # both classes held out
    assert len(judged) >= 3
    for d in judged:  # both figures, on the same held-out ratings, after both cutoffs
        assert d.metric == "auc" and d.champion_value is not None and d.challenger_value is not None
        assert d.n_ratings >= 6 and d.first_feedback_id is not None
        version, champion = store.model_version(d.version_id), store.model_version(d.champion_id)
        assert d.first_feedback_id > max(version.cutoff_id, champion.cutoff_id)
        assert d.details["challenger"]["auc"] == pytest.approx(d.challenger_value)
        assert len(d.details["roc"]["challenger"]["tpr"]) == 41
    # a judged version's held-out figures are its successor's prequential ones (one scoring)
    by_line = [v for v in reversed(store.model_versions(1000)) if v.lineage == "popular"]
    pairs = [
        (before, after) for before, after in zip(by_line, by_line[1:], strict=False)
        if before.metrics.get("holdout", {}).get("auc") is not None
    ]
    assert pairs and all(
        after.metrics["prequential"]["auc"] == before.metrics["holdout"]["auc"] for before, after in pairs
    )
    # popular serves every recommender delivery; random none
    served = served_lineages(store)
    assert served["popular"] > 50 and served["random"] == 0
    assert store.champion().lineage == "popular"
    assert all(
        v.status is ModelStatus.REJECTED
        for v in store.model_versions(1000)
        if v.lineage == "random" and v.status is not ModelStatus.CANDIDATE
    )
    store.close()


def test_a_better_challenger_takes_over(plugins, tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'b.db'}")
    run(plugins, with_challengers(store.url, {"plugin": "popular"}, recommender="random"), store)
    promoted = [d for d in store.decisions(limit=1000) if d.outcome is DecisionOutcome.PROMOTED]
    assert any(store.model_version(d.version_id).lineage == "popular" for d in promoted)
    for d in promoted:
        assert d.challenger_value >= d.champion_value and "better" in d.reason
    served = served_lineages(store)
    assert served["popular"] > served["random"]
    assert store.champion().lineage == "popular"
    store.close()


def test_files_are_kept_for_the_champion_the_lines_and_rollbacks_only(plugins, tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'f.db'}")
    engine = run(
        plugins, with_challengers(store.url, {"plugin": "random"}, keep_champions=2), store
    )
    kept = store.versions_with_files()
    retired = [v for v in kept if v.status is ModelStatus.RETIRED]
    assert len(retired) <= 2
    assert {v.id for v in kept} - {v.id for v in retired} <= {
        engine.models.champion.id,
        *(line.latest.id for line in engine.models.lineages),
    }
    on_disk = sorted(p.name for p in (engine.data_dir / "models").iterdir())
    assert on_disk == sorted(Path(v.file).name for v in kept)
    assert len(store.model_versions(limit=1000)) > len(kept)  # the others were pruned
    store.close()


def test_a_restart_serves_the_recorded_champion_and_a_lost_file_is_told(plugins, tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 's.db'}"
    store = Store.open(url)
    raw = with_challengers(url, {"plugin": "random"})
    raw["scheduler"]["run_for"] = "1d"
    engine = run(plugins, raw, store)
    champion = store.champion()
    served_by = {}

    class Observer:
        @oleg.hookimpl
        def oleg_started(self, run):
            served_by["version"] = engine.models.serving_version_id
            served_by["versions"] = len(store.model_versions(limit=1000))

    before = len(store.model_versions(limit=1000))
    with plugins.registered(Observer(), name="observer"):
        engine = Engine(load_deployment_dict(raw, plugins=plugins), plugins, store=store)
        engine.run()
    assert served_by == {"version": champion.id, "versions": before}  # from its file, no refit
    # the champion's file lost: the restart says so and serves a refit of the main line
    (engine.data_dir / store.champion().file).unlink()
    lost = store.champion().id
    with caplog.at_level(logging.WARNING, logger="oleg.engine.registry"):
        engine = Engine(load_deployment_dict(raw, plugins=plugins), plugins, store=store)
        engine.run()
    assert f"version {lost}" in caplog.text and "cannot be served from its file" in caplog.text
    restored = [d for d in store.decisions(limit=1000) if d.outcome is DecisionOutcome.RESTORED]
    assert len(restored) == 1 and f"champion {lost}'s file" in restored[0].reason
    # every file lost: each line is fitted again, and the main line's refit is told as restored
    for version in store.versions_with_files():
        (engine.data_dir / version.file).unlink(missing_ok=True)
    lost = store.champion().id
    newest = store.model_versions(limit=1)[0].id
    engine = Engine(load_deployment_dict(raw, plugins=plugins), plugins, store=store)
    engine.run()
    restored = [d for d in store.decisions(limit=1000) if d.outcome is DecisionOutcome.RESTORED]
    assert len(restored) == 2 and f"champion {lost}'s file" in restored[0].reason
    assert restored[0].version_id > newest  # a refit, not a file
    assert not [d for d in store.decisions(limit=1000) if d.outcome is DecisionOutcome.FIRST][1:]
    store.close()


def test_a_champion_changed_by_hand_is_served_at_the_next_round(plugins, tmp_path):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    store = Store.open(url)
    raw = with_challengers(url, {"plugin": "random"})
    engine = Engine(load_deployment_dict(raw, plugins=plugins), plugins, store=store)
    engine.run()
    rejected = next(v for v in store.model_versions(1000) if v.lineage == "random" and v.file)
    store.add_decision(
        at=engine.now(),
        version_id=rejected.id,
        champion_id=store.champion().id,
        outcome=DecisionOutcome.MANUAL,
        reason="by hand",
        status=ModelStatus.CHAMPION,
    )
    engine.models.follow_store()
    assert engine.models.serving_version_id == rejected.id
    assert type(engine.recommender).__name__ == "RandomRecommender"
    store.close()


def test_challenger_sections_are_checked(plugins, tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    raw = with_challengers(url, {"plugin": "popular"})
    with pytest.raises(
        ConfigError, match=r"\[challenger #1\] is named 'popular' like \[recommender\]"
    ):
        load_deployment_dict(raw, plugins=plugins)
    raw["challenger"] = [{"plugin": "popular", "name": "popular-2"}, {"plugin": "nope"}]
    with pytest.raises(ConfigError, match=r"\[challenger #2\] plugin = 'nope'"):
        load_deployment_dict(raw, plugins=plugins)
    raw["challenger"] = [{"plugin": "popular", "name": "popular-2", "post_prior": -1}]
    with pytest.raises(ConfigError, match=r"\[challenger #1\] post_prior"):
        load_deployment_dict(raw, plugins=plugins)
    raw["challenger"] = {"plugin": "popular"}
    with pytest.raises(ConfigError, match=r"one \[\[challenger\]\] each"):
        load_deployment_dict(raw, plugins=plugins)
    raw["challenger"] = [{"plugin": "popular", "name": "popular-2"}]
    raw["promotion"] = {"metric": "ndcg"}
    with pytest.raises(ConfigError, match=r"\[promotion\] metric"):
        load_deployment_dict(raw, plugins=plugins)
    raw["promotion"] = {}
    resolved = load_deployment_dict(raw, plugins=plugins)
    assert [c.label for c in resolved.recommenders] == ["popular", "popular-2"]
    assert resolved.describe()["challenger"][0]["name"] == "popular-2"


def answers_likes_only(external_id: str, post) -> int | None:
    """Likes even channels; never answers a post it would not like (at module level: the
    rule is part of the sink's settings)."""
    return 1 if post.channel_id % 2 == 0 else None


def test_unanswered_posts_are_learned_as_weak_dislikes_and_never_judged_on(plugins, tmp_path):
    url = f"sqlite:///{tmp_path / 'u.db'}"
    store = Store.open(url)
    raw = with_challengers(url)
    raw["sink"]["rule"] = answers_likes_only
    raw["engine"]["unanswered"] = {"after": "2h", "weight": 0.25}
    engine = run(plugins, raw, store)
    versions = store.model_versions(limit=1000)
    unanswered = rows(
        store,
        "select count(*) from delivery d left join feedback f on f.delivery_id = d.id "
        "where f.id is null and d.status = 'sent'",
    )[0][0]
    assert unanswered > 20 and rows(store, "select count(distinct value) from feedback")[0][0] == 1
    full = [v for v in versions if v.kind is oleg.ModelKind.FULL]
    assert full and all(v.metrics.get("n_unanswered", 0) > 0 for v in full[:-1])
    assert max(v.weak_cutoff_id for v in versions) > 0
    # popular counts each unanswered post as a quarter of a 👎: odd channels score lower
    model = engine.models.serving
    odd, even = -1000000000001, -1000000000000
    assert model.channels.lookup(np.array([odd]))[1][0] == pytest.approx(
        0.25 * rows(store, "select count(*) from delivery d join post p on p.id = d.post_id "
                           "left join feedback f on f.delivery_id = d.id "
                           f"where f.id is null and p.channel_id = {odd} and d.id <= "
                           f"{store.champion().weak_cutoff_id}")[0][0]
    )
    assert model.channels.lookup(np.array([odd]))[0][0] == 0
    assert model.channels.lookup(np.array([even]))[0][0] > 0
    # only real ratings are held out: every decision's count is of feedback rows
    for d in store.decisions(limit=1000):
        if d.first_feedback_id is not None:
            stored = rows(
                store,
                f"select count(*) from feedback where id >= {d.first_feedback_id} "
                f"and id <= {d.last_feedback_id}",
            )[0][0]
            assert d.n_ratings == stored
    store.close()


def test_inverse_propensity_weighs_each_rating_by_how_unlikely_its_post_was(plugins, tmp_path):
    from oleg.engine.feedback_log import FeedbackLog

    url = f"sqlite:///{tmp_path / 'p.db'}"
    store = Store.open(url)
    raw = with_challengers(url)
    raw["engine"]["inverse_propensity"] = True
    engine = run(plugins, raw, store)
    logged = rows(
        store,
        "select d.propensity from feedback f join delivery d on d.id = f.delivery_id order by f.id",
    )
    expected = np.array([1.0 / p if p else 1.0 for (p,) in logged])
    ratings = FeedbackLog(inverse_propensity=True)
    ratings.read(store)
    assert np.allclose(ratings.data.weights(), expected) and expected.max() > 1.5
    plain = FeedbackLog()
    plain.read(store)
    assert plain.data.weight is None  # off: no weight column, every model as before
    # popular learned the weighted counts: its total is the sum of the weights it was handed
    champion = store.champion()
    assert engine.models.serving.total == pytest.approx(
        expected[: len(ratings.after(0)) - len(ratings.after(champion.cutoff_id))].sum()
    )
    store.close()
