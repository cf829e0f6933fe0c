"""Reading a deployment file: TOML → secrets from the environment → each section validated
by its plugin's settings model. Every error names the file, the key and what was expected.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel, SecretStr, ValidationError

from oleg.components import (
    ColdStartPolicy,
    Component,
    PluginSettings,
    Recommender,
    Scheduler,
    Sink,
    Source,
    build_component,
)
from oleg.config.messages import did_you_mean_hint, format_errors, kind_of
from oleg.config.sections import DeploymentSection, EngineSection, MetricsSection, PromotionSection
from oleg.errors import ConfigError, PluginError
from oleg.plugins import Plugins
from oleg.registry import ComponentKind
from oleg.urls import mask_url

REQUIRED_KINDS = (ComponentKind.SOURCE, ComponentKind.SINK, ComponentKind.RECOMMENDER)
DEFAULT_PLUGINS = {ComponentKind.COLD_START: "top-bias", ComponentKind.SCHEDULER: "apscheduler"}
CORE_SECTIONS = {
    "deployment": DeploymentSection, "engine": EngineSection, "metrics": MetricsSection,
    "promotion": PromotionSection,
}
CHALLENGERS = "challenger"
"""``[[challenger]]``: extra recommenders trained in shadow and judged like the main one."""

C = TypeVar("C", bound=Component)


@dataclass(frozen=True)
class ComponentConfig(Generic[C]):
    """One component section, resolved: the plugin's class and its validated settings."""

    kind: ComponentKind
    plugin: str
    cls: type[C]
    settings: PluginSettings
    secrets: dict[str, str] = field(default_factory=dict)  # dotted key -> env variable
    name: str | None = None
    """A ``[[challenger]]``'s own name (two challengers may share a plugin)."""

    @property
    def label(self) -> str:
        """The name its model versions are recorded under: ``name``, else the plugin's."""
        return self.name or self.plugin

    def build(self, *, seed: int = 0) -> C:
        """A new instance of the component, with these settings and ``seed``."""
        return build_component(self.cls, self.settings, seed=seed)

    def masked(self) -> dict[str, Any]:
        """Settings as plain values, with every secret shown as ``***`` and its variable."""
        data = self.settings.model_dump(mode="json")
        for key, env in self.secrets.items():
            _set_dotted(data, key, f"*** (from ${env})")
        return data


@dataclass(frozen=True)
class Deployment:
    """A validated deployment: what ``oleg run`` runs and ``oleg check`` prints."""

    source_file: Path | None
    deployment: DeploymentSection
    engine: EngineSection
    components: dict[ComponentKind, ComponentConfig[Any]]
    secrets: dict[str, str] = field(default_factory=dict)
    metrics: MetricsSection = field(default_factory=MetricsSection)
    promotion: PromotionSection = field(default_factory=PromotionSection)
    challengers: tuple[ComponentConfig[Recommender], ...] = ()

    @property
    def recommenders(self) -> tuple[ComponentConfig[Recommender], ...]:
        """The main recommender, then every challenger: the lines of models the registry
        trains and judges."""
        return (self.recommender, *self.challengers)

    # The components by kind, typed (the loader checked each class against its kind).
    @property
    def source(self) -> ComponentConfig[Source]:
        return cast(ComponentConfig[Source], self.components[ComponentKind.SOURCE])

    @property
    def sink(self) -> ComponentConfig[Sink]:
        return cast(ComponentConfig[Sink], self.components[ComponentKind.SINK])

    @property
    def recommender(self) -> ComponentConfig[Recommender]:
        return cast(ComponentConfig[Recommender], self.components[ComponentKind.RECOMMENDER])

    @property
    def cold_start(self) -> ComponentConfig[ColdStartPolicy]:
        return cast(ComponentConfig[ColdStartPolicy], self.components[ComponentKind.COLD_START])

    @property
    def scheduler(self) -> ComponentConfig[Scheduler]:
        return cast(ComponentConfig[Scheduler], self.components[ComponentKind.SCHEDULER])

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "deployment": self.deployment.model_dump(mode="json"),
            "engine": self.engine.model_dump(mode="json"),
            "metrics": self.metrics.model_dump(mode="json"),
            "promotion": self.promotion.model_dump(mode="json"),
        }
        out["deployment"]["database"] = mask_url(self.deployment.database)
        for key, env in self.secrets.items():
            _set_dotted(out, key, f"*** (from ${env})")
        for kind, comp in self.components.items():
            out[kind.value] = {"plugin": comp.plugin, **comp.masked()}
        if self.challengers:
            out[CHALLENGERS] = [
                {"name": c.label, "plugin": c.plugin, **c.masked()} for c in self.challengers
            ]
        return out


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


# -- reading -----------------------------------------------------------------------------


def load_deployment(path: str | Path, plugins: Plugins | None = None) -> Deployment:
    """Read and validate ``path``; raises :class:`ConfigError` naming the file and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: malformed TOML: {exc}.") from None
    return load_deployment_dict(raw, plugins=plugins, source_file=path)


def load_deployment_dict(
    raw: Mapping[str, Any],
    *,
    plugins: Plugins | None = None,
    source_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Deployment:
    """Validate an already parsed deployment (the demo builds one in code)."""
    plugins = plugins or Plugins()
    where = str(source_file) if source_file else "<deployment>"
    base_dir = source_file.parent.resolve() if source_file else Path.cwd()
    context = {"base_dir": base_dir}
    env = os.environ if environ is None else environ

    known = set(CORE_SECTIONS) | {k.value for k in ComponentKind} | {CHALLENGERS}
    for section, value in raw.items():
        if section not in known:
            raise ConfigError(
                f"{where}: unknown section [{section}]."
                + did_you_mean_hint(section, known)
                + f" Sections: {', '.join(sorted(known))}."
            )
        if section == CHALLENGERS:
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise ConfigError(
                    f"{where}: challengers are an array of tables, one [[challenger]] each "
                    f"(with plugin = \"...\"), got {kind_of(value)}."
                )
        elif not isinstance(value, dict):
            raise ConfigError(f"{where}: {section} must be a table ([{section}]), got {kind_of(value)}.")
    secrets: dict[str, str] = {}
    unset: list[str] = []
    resolved = {
        name: _resolve_env(dict(raw[name]), name, where, env, secrets, unset)
        for name in raw if name != CHALLENGERS
    }
    challenger_tables = [
        _resolve_env(dict(table), f"challenger #{i}", where, env, secrets, unset)
        for i, table in enumerate(raw.get(CHALLENGERS, []), start=1)
    ]
    if unset:  # all of them at once, not one per run
        raise ConfigError(
            f"{where}: " + ("the environment variable " if len(unset) == 1 else "these environment variables ")
            + ("is" if len(unset) == 1 else "are") + " not set: " + "; ".join(unset)
            + ". Export them before running (secrets never go in the file)."
        )

    if "deployment" not in resolved:
        raise ConfigError(f"{where}: missing section [deployment] (with at least name = \"...\").")
    deployment_data = dict(resolved["deployment"])
    db = deployment_data.setdefault("database", DeploymentSection.model_fields["database"].default)
    if isinstance(db, str) and db.startswith("sqlite:///") and not db.startswith("sqlite:////"):
        rel = db.removeprefix("sqlite:///")
        if rel and rel != ":memory:":
            deployment_data["database"] = f"sqlite:///{(base_dir / rel).resolve()}"
    deployment = _validate(DeploymentSection, deployment_data, "deployment", where, context, secrets)
    engine = _validate(EngineSection, resolved.get("engine", {}), "engine", where, context, secrets)
    metrics = _validate(MetricsSection, resolved.get("metrics", {}), "metrics", where, context, secrets)
    promotion = _validate(PromotionSection, resolved.get("promotion", {}), "promotion", where, context, secrets)
    if deployment.plugins:
        try:
            plugins.load(deployment.plugins)
        except PluginError as exc:
            raise ConfigError(f"{where}: [deployment] plugins: {exc}") from None

    components: dict[ComponentKind, ComponentConfig[Any]] = {}
    for kind in ComponentKind:
        section = dict(resolved.get(kind, {}))
        if kind not in resolved and kind in REQUIRED_KINDS:
            raise ConfigError(
                f"{where}: missing section [{kind}]; it names the {kind.label} "
                f"plugin, e.g.\n[{kind}]\nplugin = \"...\""
            )
        name = section.pop("plugin", DEFAULT_PLUGINS.get(kind) if kind not in resolved else None)
        components[kind] = _component(kind, str(kind), name, section, where, context, secrets, plugins)
    challengers = tuple(
        _challenger(i, table, where, context, secrets, plugins)
        for i, table in enumerate(challenger_tables, start=1)
    )
    _check_distinct_names(components[ComponentKind.RECOMMENDER], challengers, where)
    core_secrets = {k: v for k, v in secrets.items() if k.split(".")[0] in CORE_SECTIONS}
    return Deployment(
        source_file, deployment, engine, components, core_secrets, metrics, promotion, challengers
    )


def _component(
    kind: ComponentKind,
    label: str,
    name: Any,
    section: dict[str, Any],
    where: str,
    context: dict[str, Any],
    secrets: dict[str, str],
    plugins: Plugins,
) -> ComponentConfig[Any]:
    """One component section resolved: its plugin found, its settings validated, its
    secrets checked; ``label`` names the section in errors (``recommender``, ``challenger #2``)."""
    if name is None:
        raise ConfigError(f"{where}: missing key [{label}] plugin: expected the name of a plugin.")
    if not isinstance(name, str):
        raise ConfigError(f"{where}: [{label}] plugin: expected a plugin name (a string), got {kind_of(name)}.")
    try:
        reg = plugins.component(kind, name)
    except PluginError as exc:
        raise ConfigError(f"{where}: [{label}] plugin = {name!r}: {exc}") from None
    settings = _validate(reg.cls.Settings, section, label, where, context, secrets)
    comp_secrets = {
        k.removeprefix(f"{label}."): v for k, v in secrets.items() if k.startswith(f"{label}.")
    }
    for key in _secret_fields(reg.cls.Settings):
        if key in section and key not in comp_secrets:
            raise ConfigError(
                f"{where}: [{label}] {key} is a secret: it must come from the environment, "
                f"e.g. {key} = {{ env = \"OLEG_{key.upper()}\" }}, never be written in the file."
            )
    return ComponentConfig(kind, name, reg.cls, settings, comp_secrets)


def _challenger(
    index: int,
    table: dict[str, Any],
    where: str,
    context: dict[str, Any],
    secrets: dict[str, str],
    plugins: Plugins,
) -> ComponentConfig[Recommender]:
    label = f"challenger #{index}"
    section = dict(table)
    plugin = section.pop("plugin", None)
    name = section.pop("name", None)
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ConfigError(f"{where}: [{label}] name: expected a short name (a string), got {name!r}.")
    comp = _component(ComponentKind.RECOMMENDER, label, plugin, section, where, context, secrets, plugins)
    return ComponentConfig(comp.kind, comp.plugin, comp.cls, comp.settings, comp.secrets, name)


def _check_distinct_names(
    main: ComponentConfig[Any], challengers: tuple[ComponentConfig[Any], ...], where: str
) -> None:
    seen = {main.label: "[recommender]"}
    for i, comp in enumerate(challengers, start=1):
        if comp.label in seen:
            raise ConfigError(
                f"{where}: [challenger #{i}] is named {comp.label!r} like {seen[comp.label]}: "
                f"model versions are recorded by name; give it its own, name = \"...\"."
            )
        seen[comp.label] = f"[challenger #{i}]"


def _secret_fields(model: type[BaseModel]) -> list[str]:
    """Names of the settings declared as secrets (``SecretStr``, optional or not)."""
    out = []
    for name, info in model.model_fields.items():
        ann = info.annotation
        if ann is SecretStr or SecretStr in getattr(ann, "__args__", ()):
            out.append(name)
    return out


def _resolve_env(
    data: dict[str, Any],
    prefix: str,
    where: str,
    env: Mapping[str, str],
    secrets: dict[str, str],
    unset: list[str],
) -> dict[str, Any]:
    """Replace every ``{ env = "NAME" }`` by the variable's value, remembering it as secret;
    a variable that is not set is added to ``unset`` (as ``NAME for [section] key``)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}.{key}"
        if isinstance(value, dict) and set(value) == {"env"}:
            var = value["env"]
            if not isinstance(var, str) or not var:
                raise ConfigError(f"{where}: [{prefix}] {key}: env must name a variable, got {var!r}.")
            if var not in env:
                unset.append(f"{var} (for [{prefix}] {key})")
                continue
            out[key] = env[var]
            secrets[dotted] = var
        elif isinstance(value, dict):
            out[key] = _resolve_env(value, dotted, where, env, secrets, unset)
        else:
            out[key] = value
    return out


def _validate(
    model: type[BaseModel],
    data: Mapping[str, Any],
    section: str,
    where: str,
    context: dict[str, Any],
    secrets: Mapping[str, str],
) -> Any:
    try:
        return model.model_validate(dict(data), context=context)
    except ValidationError as exc:
        raise ConfigError(format_errors(exc, model, section, where, secrets)) from None
