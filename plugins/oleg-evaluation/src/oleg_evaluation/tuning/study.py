"""Searching a recommender's settings with Optuna on a validation split cut from the
training period, never from the test part.

The outer split (a temporal cut, or given train and test files) is the one ``oleg
evaluate`` would use. The search sees only its train part: the last ``validation_share``
of it by time is the validation, the rest the tuning's train. Every trial is one fit and one
measurement by the harness's own runner (same metrics, same seed), the plugin's defaults are
measured the same way first, and at the end the best settings and the defaults are fitted
on the whole train part and measured on the test part, so the report says what the tuning
bought on data it never saw.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from oleg.errors import ConfigError, OlegError
from oleg.plugins import Plugins

from oleg_evaluation.dataset import Dataset
from oleg_evaluation.results import FoldResult
from oleg_evaluation.runner import evaluate
from oleg_evaluation.specs import RecommenderSpec
from oleg_evaluation.splits import Split, temporal
from oleg_evaluation.tuning.objective import Objective
from oleg_evaluation.tuning.space import (
    Choice,
    FloatRange,
    IntRange,
    SearchSpace,
    defaults_in,
    plain_settings,
    search_space,
)

DEFAULTS = "defaults"


@dataclass(frozen=True)
class Budget:
    """At most ``trials`` trials and/or no new trial after ``timeout`` seconds of search."""

    trials: int | None = None
    timeout: float | None = None

    def __post_init__(self) -> None:
        if self.trials is None and self.timeout is None:
            raise ConfigError("a tuning budget needs --trials N, --timeout SECONDS or both.")


@dataclass(frozen=True)
class TrialRecord:
    """One measured set of settings: ``params`` the tuned ones (the fixed ones are the
    run's), ``value`` the objective (None when it failed), ``metrics`` all the runner gave."""

    number: int | str
    params: dict[str, Any]
    value: float | None
    metrics: dict[str, float]
    seconds: float
    error: str | None = None


@dataclass(frozen=True)
class TuneRequest:
    """What to tune and how: the recommender (a spec; its settings are fixed), the space's
    command-line overrides, the objective, the budget, the seed, the validation share."""

    spec: RecommenderSpec
    objective: Objective
    budget: Budget
    overrides: Mapping[str, str] = field(default_factory=dict)
    only_overrides: bool = False
    seed: int = 0
    validation_share: float = 0.2
    batch: int = 256
    catalog: str = "train"


@dataclass
class TuneResult:
    """Everything the report shows; ``best`` is the defaults' record when no trial beat them."""

    plugin: str
    dataset: dict[str, Any]
    objective: Objective
    space: SearchSpace
    budget: Budget
    seed: int
    validation: dict[str, Any]
    test_split: dict[str, Any]
    defaults: TrialRecord
    trials: list[TrialRecord]
    best: TrialRecord
    test: dict[str, dict[str, float]]
    search_seconds: float
    stopped_by: str

    @property
    def best_settings(self) -> dict[str, Any]:
        """The settings to deploy: the fixed ones and the best trial's tuned ones."""
        return {**self.space.fixed, **self.best.params}

    @property
    def improved(self) -> bool:
        return self.best.number != DEFAULTS


ProgressCallback = Callable[[TrialRecord, TrialRecord], None]
"""Called after every trial with that trial and the best so far."""


def tune(
    data: Dataset,
    outer: Split,
    request: TuneRequest,
    *,
    plugins: Plugins | None = None,
    on_trial: ProgressCallback | None = None,
) -> TuneResult:
    """Search ``request.spec``'s plugin's settings on a validation split of ``outer``'s
    train part, then measure the best and the defaults on ``outer``'s test part."""
    import optuna

    plugins = plugins or Plugins()
    spec, objective = request.spec, request.objective
    cls = plugins.recommender(spec.name)  # an unknown plugin is a PluginError, exit 2
    space = search_space(
        cls.Settings,
        request.overrides,
        only_overrides=request.only_overrides,
        fixed=spec.settings,
        owner=spec.name,
    )
    if not space.domains:
        raise ConfigError(
            f"{spec.name}: nothing to tune: every setting is fixed or skipped.",
            hint="Name a setting with --param NAME=LOW:HIGH (or NAME=A|B).",
        )
    defaults_values = _validated(spec.name, space.fixed, plugins)
    train_part = replace(data, interactions=outer.train(data), name=f"{data.name} (train part)")
    validation = temporal(train_part, quantile=1 - request.validation_share)
    validation = replace(
        validation, name=f"the last {request.validation_share:.0%} of the training period by time"
    )
    config = objective.config(data, seed=request.seed, batch=request.batch, catalog=request.catalog)

    def measure(number: int | str, params: dict[str, Any]) -> TrialRecord:
        settings = {**space.fixed, **params}
        started = time.perf_counter()
        result = _measure(train_part, spec.name, settings, validation, config, plugins)
        seconds = time.perf_counter() - started
        value = result.metrics.get(objective.key) if result.error is None else None
        error = result.error
        if error is None and (value is None or math.isnan(value)):
            error, value = f"no {objective.title} (NaN)", None
        return TrialRecord(number, params, value, _quality(result.metrics), seconds, error)

    started = time.perf_counter()
    default_params = {name: defaults_values[name] for name in space.domains}
    defaults = measure(DEFAULTS, default_params)
    if defaults.value is None:
        raise OlegError(
            f"{spec.name}: its defaults cannot be measured on the validation split: "
            f"{defaults.error}"
        )
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    sampler = optuna.samplers.TPESampler(seed=request.seed)
    study = optuna.create_study(direction=objective.direction, sampler=sampler)
    distributions = {name: _distribution(domain) for name, domain in space.domains.items()}
    if defaults_in(space, default_params):  # the sampler learns from the defaults' figure too
        study.add_trial(
            optuna.trial.create_trial(
                params=default_params,
                distributions=distributions,
                value=defaults.value,
                user_attrs={"defaults": True},
            )
        )
    trials: list[TrialRecord] = []
    best = defaults

    def run_trial(trial: optuna.Trial) -> float:
        nonlocal best
        params = {name: _suggest(trial, name, domain) for name, domain in space.domains.items()}
        record = measure(len(trials) + 1, params)
        trials.append(record)
        if record.value is not None and objective.better(record.value, best.value):  # type: ignore[arg-type]
            best = record
        if on_trial is not None:
            on_trial(record, best)
        if record.value is None:
            raise _TrialFailed(record.error)
        return record.value

    search_started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=optuna.exceptions.ExperimentalWarning)
        study.optimize(
            run_trial,
            n_trials=request.budget.trials,
            timeout=request.budget.timeout,
            catch=(_TrialFailed,),
        )
    search_seconds = time.perf_counter() - search_started
    stopped_by = (
        "trials"
        if request.budget.trials is not None and len(trials) >= request.budget.trials
        else "timeout"
    )
    test = _test(data, outer, spec.name, space.fixed, best, config, plugins)
    return TuneResult(
        plugin=spec.name,
        dataset=data.describe(),
        objective=objective,
        space=space,
        budget=request.budget,
        seed=request.seed,
        validation={
            "name": validation.name,
            "train_rows": len(validation.train_rows),
            "validation_rows": len(validation.test_rows),
        },
        test_split={
            "name": outer.name,
            "train_rows": len(outer.train_rows),
            "test_rows": len(outer.test_rows),
        },
        defaults=defaults,
        trials=trials,
        best=best,
        test=test,
        search_seconds=search_seconds + (search_started - started),
        stopped_by=stopped_by,
    )


class _TrialFailed(Exception):
    """A trial whose settings did not fit or measure; Optuna records it as failed."""


def _validated(name: str, fixed: Mapping[str, Any], plugins: Plugins) -> dict[str, Any]:
    """The plugin's defaults with the fixed settings, validated (a bad one is the harness's
    ConfigError naming it), as plain values."""
    model = RecommenderSpec(name, dict(fixed)).build(0, plugins)
    return plain_settings(dict(model.settings))


def _measure(
    data: Dataset, name: str, settings: dict[str, Any], split: Split, config: Any, plugins: Plugins
) -> FoldResult:
    spec = RecommenderSpec(name, settings, label=name)
    try:
        return evaluate(data, [spec], [split], config, plugins=plugins).results[0]
    except ConfigError as exc:  # settings the plugin's validators refuse (e.g. bce with clamp)
        return FoldResult(name, split.name, {}, error=f"invalid settings: {exc.message}")


def _test(
    data: Dataset,
    outer: Split,
    name: str,
    fixed: Mapping[str, Any],
    best: TrialRecord,
    config: Any,
    plugins: Plugins,
) -> dict[str, dict[str, float]]:
    """The defaults' and the best settings' figures on the test part (fitted on all of train)."""
    specs = [RecommenderSpec(name, dict(fixed), label=DEFAULTS)]
    if best.number != DEFAULTS:
        specs.append(RecommenderSpec(name, {**fixed, **best.params}, label="best"))
    ev = evaluate(data, specs, [outer], config, plugins=plugins)
    out = {r.recommender: _quality(r.metrics) for r in ev.results}
    if errors := ev.errors():
        raise OlegError(
            "fitting on the whole train part failed: "
            + "; ".join(f"{k}: {v}" for k, v in errors.items())
        )
    out.setdefault("best", out[DEFAULTS])
    return out


def _quality(metrics: Mapping[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if k != "eval_s"}


def _distribution(domain: Any) -> Any:
    import optuna

    if isinstance(domain, Choice):
        return optuna.distributions.CategoricalDistribution(domain.choices)
    if isinstance(domain, IntRange):
        return optuna.distributions.IntDistribution(domain.low, domain.high, log=domain.log)
    return optuna.distributions.FloatDistribution(domain.low, domain.high, log=domain.log)


def _suggest(trial: Any, name: str, domain: FloatRange | IntRange | Choice) -> Any:
    if isinstance(domain, Choice):
        return trial.suggest_categorical(name, domain.choices)
    if isinstance(domain, IntRange):
        return trial.suggest_int(name, domain.low, domain.high, log=domain.log)
    return trial.suggest_float(name, domain.low, domain.high, log=domain.log)
