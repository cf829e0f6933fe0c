"""What ``oleg tune`` writes: the best settings as a ``[recommender]`` section to paste into
a deployment file, and a report (markdown and JSON: every trial, the best against the
defaults on validation and on the test part, the budget used, the optimisation history)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oleg_evaluation.names import title
from oleg_evaluation.results import TIMINGS, json_ready
from oleg_evaluation.tuning.study import DEFAULTS, TrialRecord, TuneResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TOML_FILE = "best.toml"
JSON_FILE = "tune.json"
MARKDOWN_FILE = "report.md"
HISTORY_FILE = "history.png"


def toml_section(result: TuneResult) -> str:
    """``[recommender]`` with the plugin's name and the best settings (the fixed ones and
    the tuned ones; a setting left at ``None`` cannot be written in TOML and stays out)."""
    lines = [
        f"# oleg tune: {result.objective.title} {fmt(result.best.value)} on validation "
        f"(defaults {fmt(result.defaults.value)}), {result.dataset['name']}",
        "[recommender]",
        f"plugin = {_toml_value(result.plugin)}",
    ]
    lines += [
        f"{name} = {_toml_value(v)}" for name, v in result.best_settings.items() if v is not None
    ]
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (
            repr(value)
            if math.isfinite(value)
            else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
        )
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as a TOML value")


def to_json(result: TuneResult) -> dict[str, Any]:
    obj = result.objective
    return json_ready(
        {
            "plugin": result.plugin,
            "dataset": result.dataset,
            "objective": {"metric": obj.key, "direction": obj.direction, "title": obj.title},
            "seed": result.seed,
            "budget": {"trials": result.budget.trials, "timeout_s": result.budget.timeout},
            "used": {
                "trials": len(result.trials),
                "failed": sum(t.value is None for t in result.trials),
                "seconds": result.search_seconds,
                "stopped_by": result.stopped_by,
            },
            "space": result.space.describe(),
            "fixed": result.space.fixed,
            "skipped": result.space.skipped,
            "validation": result.validation,
            "test_split": result.test_split,
            "defaults": _record(result.defaults),
            "best": _record(result.best),
            "best_settings": result.best_settings,
            "improved": result.improved,
            "test": result.test,
            "trials": [_record(t) for t in result.trials],
        }
    )


def _record(t: TrialRecord) -> dict[str, Any]:
    return {
        "number": t.number,
        "params": t.params,
        "value": t.value,
        "metrics": t.metrics,
        "seconds": t.seconds,
        "error": t.error,
    }


def markdown(result: TuneResult, *, plot: str | None = None) -> str:
    obj, scale = result.objective, result.dataset.get("scale")
    used = to_json(result)["used"]
    budget = " and ".join(
        p
        for p in (
            f"{result.budget.trials} trials" if result.budget.trials is not None else "",
            f"{result.budget.timeout:g} s" if result.budget.timeout is not None else "",
        )
        if p
    )
    way = "lower" if obj.direction == "minimize" else "higher"
    val = result.validation
    which = f"trial {result.best.number}" if result.improved else "the defaults: no trial beat them"
    lines = [
        f"# oleg tune: {result.plugin} on {result.dataset['name']}",
        "",
        f"- Objective: {obj.title} ({way} is better)",
        f"- Validation: {val['name']} ({val['train_rows']:,} rows to fit, "
        f"{val['validation_rows']:,} to measure); the test part is never seen by the search",
        f"- Test: {result.test_split['name']} ({result.test_split['train_rows']:,} train rows, "
        f"{result.test_split['test_rows']:,} test rows)",
        f"- Budget: {budget}; used {used['trials']} trials ({used['failed']} failed) in "
        f"{used['seconds']:.1f} s, stopped by {used['stopped_by']}; seed {result.seed}",
        "",
        "## Best against the defaults",
        "",
        f"| settings | {obj.title} validation | {obj.title} test |",
        "|---|---:|---:|",
        f"| defaults | {fmt(result.defaults.value)} | {fmt(result.test[DEFAULTS].get(obj.key))} |",
        f"| best ({which}) | {fmt(result.best.value)} | {fmt(result.test['best'].get(obj.key))} |",
        "",
        "Every metric on the test part:",
        "",
    ]
    names = [n for n in result.test[DEFAULTS] if n not in TIMINGS]
    lines += [
        "| settings | "
        + " | ".join(title(n, tuple(scale) if scale else None) for n in names)
        + " |",
        "|---|" + "---:|" * len(names),
    ]
    for label in (DEFAULTS, "best"):
        lines.append(
            f"| {label} | " + " | ".join(fmt(result.test[label].get(n)) for n in names) + " |"
        )
    lines += [
        "",
        "## Best settings",
        "",
        "```toml",
        toml_section(result).rstrip(),
        "```",
        "",
        "## Search space",
        "",
        "| setting | domain | default |",
        "|---|---|---|",
    ]
    lines += [
        f"| {n} | {d} | {fmt(result.defaults.params.get(n))} |"
        for n, d in result.space.describe().items()
    ]
    if result.space.fixed:
        lines += ["", "Fixed: " + ", ".join(f"{k} = {v!r}" for k, v in result.space.fixed.items())]
    if result.space.skipped:
        lines += [
            "",
            "Not tuned: " + "; ".join(f"{k} ({why})" for k, why in result.space.skipped.items()),
        ]
    if plot:
        lines += ["", "## Optimisation history", "", f"![optimisation history]({plot})"]
    params = list(result.space.domains)
    lines += [
        "",
        "## Trials",
        "",
        f"| trial | {obj.title} | s | " + " | ".join(params) + " |",
        "|---:|---:|---:|" + "---|" * len(params),
    ]
    for t in [result.defaults, *result.trials]:
        value = fmt(t.value) if t.error is None else f"failed: {t.error}"
        lines.append(
            f"| {t.number} | {value} | {t.seconds:.1f} | "
            + " | ".join(fmt(t.params.get(p)) for p in params)
            + " |"
        )
    return "\n".join(lines) + "\n"


def history_figure(result: TuneResult) -> Figure:
    """Optuna's optimisation history (every trial's figure and the best so far), with the
    defaults' figure as a line, drawn with matplotlib without pyplot."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    done = [t for t in result.trials if t.value is not None]
    xs = [int(t.number) for t in done]
    ys = [float(t.value) for t in done]  # type: ignore[arg-type]
    ax.scatter(xs, ys, s=18, color="tab:blue", label="trial")
    best, best_line = float(result.defaults.value), []  # type: ignore[arg-type]
    for t in result.trials:
        if t.value is not None and result.objective.better(t.value, best):
            best = t.value
        best_line.append(best)
    ax.step(
        [int(t.number) for t in result.trials],
        best_line,
        where="post",
        color="tab:red",
        label="best so far",
    )
    ax.axhline(float(result.defaults.value), color="grey", linestyle="--", label="defaults")  # type: ignore[arg-type]
    ax.set_xlabel("trial")
    ax.set_ylabel(f"{result.objective.title} (validation)")
    ax.set_title(f"Optimisation history: {result.plugin} on {result.dataset['name']}")
    ax.legend(loc="best")
    return fig


def write(result: TuneResult, out: Path, *, plot: bool = True) -> dict[str, Path]:
    """``best.toml``, ``tune.json``, ``report.md`` and (with ``plot``) ``history.png``
    in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    files = {"toml": out / TOML_FILE, "json": out / JSON_FILE, "markdown": out / MARKDOWN_FILE}
    if plot and result.trials:
        files["plot"] = out / HISTORY_FILE
        history_figure(result).savefig(files["plot"], dpi=110)
    files["toml"].write_text(toml_section(result))
    files["json"].write_text(json.dumps(to_json(result), indent=2, ensure_ascii=False))
    files["markdown"].write_text(markdown(result, plot=HISTORY_FILE if "plot" in files else None))
    return files


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else f"{value:.4g}"
            if abs(value) < 1e-3 or abs(value) >= 1e4
            else f"{value:.4f}"
        )
    return str(value)
