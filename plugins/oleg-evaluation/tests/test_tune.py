"""`oleg tune` on small data: reproducible, never worse than the defaults on validation,
never looking at the test part, and its TOML loads back as the plugin's settings."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
from oleg.errors import ConfigError, OlegError, PluginError
from oleg.plugins import Plugins
from oleg_evaluation import RecommenderSpec, load_ratings, temporal
from oleg_evaluation.tuning import report
from oleg_evaluation.tuning.objective import Objective
from oleg_evaluation.tuning.study import DEFAULTS, Budget, TuneRequest, tune


@pytest.fixture
def data(ratings_csv, movies_csv):
    return load_ratings(ratings_csv, items=movies_csv)


def _tune(data, spec="popular", *, seed=0, trials=12, metric=None, **kw):
    request = TuneRequest(
        RecommenderSpec.parse(spec),
        Objective.choose(data, metric),
        Budget(trials=trials),
        seed=seed,
        **kw,
    )
    return tune(data, temporal(data), request)


def test_same_seed_same_trials_and_best_another_seed_other_trials(data):
    first, again, other = _tune(data, seed=3), _tune(data, seed=3), _tune(data, seed=4)
    assert [t.params for t in first.trials] == [t.params for t in again.trials]
    assert [t.value for t in first.trials] == [t.value for t in again.trials]
    assert first.best_settings == again.best_settings and first.test == _without_timings(
        again.test, first.test
    )
    assert [t.params for t in other.trials] != [t.params for t in first.trials]
    assert len(first.trials) == 12 and first.stopped_by == "trials"


def _without_timings(test, like):
    """The test figures but ``fit_s`` (a timing) taken from ``like``, for equality."""
    return {label: {**m, "fit_s": like[label]["fit_s"]} for label, m in test.items()}


def test_the_best_beats_or_equals_the_defaults_on_validation(data):
    result = _tune(data)
    assert result.objective.key == "rmse_orig" and result.objective.direction == "minimize"
    values = [t.value for t in result.trials if t.value is not None]
    assert result.best.value == min([result.defaults.value, *values])
    assert result.best.value <= result.defaults.value
    assert result.improved  # three priors on a popularity model: some trial does better
    ndcg = _tune(data, metric="ndcg")
    assert ndcg.objective.key == "ndcg@10" and ndcg.best.value >= ndcg.defaults.value
    assert ndcg.best.value == max([ndcg.defaults.value, *(t.value for t in ndcg.trials)])
    assert "ndcg@10" in ndcg.test[DEFAULTS] and "ndcg@10" in ndcg.test["best"]


def test_validation_is_the_end_of_the_training_period_never_the_test(data):
    result = _tune(data, trials=2, validation_share=0.25)
    outer = temporal(data)
    assert result.validation["train_rows"] + result.validation["validation_rows"] == len(
        outer.train_rows
    )
    assert result.validation["validation_rows"] == pytest.approx(
        0.25 * len(outer.train_rows), abs=20
    )
    assert result.test_split["test_rows"] == len(outer.test_rows)
    assert "last 25% of the training period" in result.validation["name"]
    # the figures differ: validation and test are different rows
    assert result.defaults.value != result.test[DEFAULTS][result.objective.key]


def test_the_toml_written_loads_back_as_the_plugins_settings(data, tmp_path):
    result = _tune(data, "popular:global_prior=0.3", trials=6)
    files = report.write(result, tmp_path)
    section = tomllib.loads(files["toml"].read_text())["recommender"]
    assert section.pop("plugin") == "popular"
    settings = Plugins().recommender("popular").Settings.model_validate(section)
    assert settings.global_prior == 0.3  # the fixed setting is written too
    assert settings.post_prior == result.best.params["post_prior"]
    assert settings.channel_prior == result.best.params["channel_prior"]
    assert "global_prior" not in result.space.domains
    json_text = files["json"].read_text()
    assert '"stopped_by": "trials"' in json_text and len(result.trials) == 6
    assert files["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = files["markdown"].read_text()
    assert (
        "## Best against the defaults" in md
        and "| defaults |" in md
        and "![optimisation history](history.png)" in md
    )


def test_trials_the_plugin_refuses_are_recorded_as_failed_and_the_search_goes_on(data):
    # dot refuses loss = bce with output = clamp: those trials fail, the others count
    result = _tune(
        data,
        "dot:epochs=2,dim=4,threads=1",
        trials=6,
        overrides={"loss": "bce|mse", "output": "clamp|sigmoid"},
        only_overrides=True,
    )
    failed = [t for t in result.trials if t.value is None]
    done = [t for t in result.trials if t.value is not None]
    assert failed and done
    assert all(t.params == {"loss": "bce", "output": "clamp"} for t in failed)
    assert all("invalid settings" in t.error for t in failed)
    assert result.best.params != {"loss": "bce", "output": "clamp"}


def test_refusals(data):
    with pytest.raises(PluginError, match="Did you mean 'popular'"):
        _tune(data, "populer")
    with pytest.raises(ConfigError, match="nothing to tune"):
        _tune(data, "random")
    with pytest.raises(ConfigError, match="needs --trials N, --timeout SECONDS"):
        Budget()
    implicit = load_ratings_implicit(data)
    with pytest.raises(ConfigError, match="positives only"):
        Objective.choose(implicit, "rmse")
    assert Objective.choose(implicit, None).key == "ndcg@10"
    with pytest.raises(OlegError, match="post_prior"):
        _tune(data, "popular:post_prior=-1")


def load_ratings_implicit(data):
    from dataclasses import replace

    inter = data.interactions
    keep = np.flatnonzero(inter.value >= 0.75)
    return replace(
        data, interactions=inter.take(keep), kind="implicit", scale=None, positive_at=None
    )


def test_a_timeout_budget_stops_the_search(data):
    request = TuneRequest(
        RecommenderSpec.parse("popular"),
        Objective.choose(data, None),
        Budget(trials=None, timeout=0.3),
    )
    result = tune(data, temporal(data), request)
    assert result.stopped_by == "timeout" and len(result.trials) >= 1
    assert result.search_seconds < 5
