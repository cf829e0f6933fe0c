"""Finding, loading and collecting plugins.

A plugin is an installed distribution that declares entry points in the group ``oleg``.
The entry-point *name* is the component name a deployment uses (``plugin = "popular"``);
its *value* is the module holding the plugin's ``@oleg.hookimpl`` functions. One module may
stand behind several names (a distribution registering two recommenders).

Only the entry points a deployment names are imported (``Plugins.load``); ``oleg plugins``
imports all of them (``Plugins.load_all``). Before importing, the distribution's declared
requirements are checked, so a missing dependency says what to install instead of failing
somewhere inside the plugin.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib.metadata as md
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pluggy
from packaging.requirements import InvalidRequirement, Requirement

from oleg import hookspecs
from oleg.components import ColdStartPolicy, Component, Recommender, Scheduler, Sink, Source
from oleg.errors import PluginError

GROUP = "oleg"

KINDS: dict[str, tuple[str, type[Component]]] = {
    # config section -> (registration hook, base class)
    "source": ("oleg_register_sources", Source),
    "sink": ("oleg_register_sinks", Sink),
    "recommender": ("oleg_register_recommenders", Recommender),
    "cold_start": ("oleg_register_cold_start_policies", ColdStartPolicy),
    "scheduler": ("oleg_register_schedulers", Scheduler),
}


@dataclass(frozen=True)
class Registered:
    """A component class and the plugin that registered it."""

    kind: str
    name: str
    cls: type[Component]
    plugin: str


@dataclass
class PluginInfo:
    """What ``oleg plugins`` shows for one plugin module."""

    module: str
    names: list[str]
    distribution: str | None
    version: str | None
    components: list[Registered] = field(default_factory=list)
    error: str | None = None


def _entry_points() -> dict[str, list[md.EntryPoint]]:
    found: dict[str, list[md.EntryPoint]] = {}
    for ep in md.entry_points(group=GROUP):
        found.setdefault(ep.name, []).append(ep)
    return found


def _dist_label(ep: md.EntryPoint) -> str:
    dist = ep.dist
    return f"{dist.name} {dist.version}" if dist is not None else ep.value


def missing_requirements(dist: md.Distribution | None) -> list[str]:
    """Declared (non-extra) requirements of ``dist`` that are absent or at a wrong version."""
    if dist is None:
        return []
    missing = []
    for line in dist.requires or []:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        try:
            installed = md.version(req.name)
        except md.PackageNotFoundError:
            missing.append(str(req))
            continue
        if req.specifier and not req.specifier.contains(installed, prereleases=True):
            missing.append(f"{req} (installed: {installed})")
    return missing


def _install_hint(requirements: list[str]) -> str:
    pins = " ".join(f"'{r.split(' (installed')[0]}'" for r in requirements)
    return f"Install it with: pip install {pins}"


def closest(name: str, choices: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return matches[0] if matches else None


class Plugins:
    """oleg's plugin manager: pluggy underneath, entry points on top, components collected.

    ``registered()`` adds an in-process plugin object (a module or any object with hook
    implementations) for tests and one-off scripts, as datasette and llm allow.
    """

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(GROUP)
        self.pm.add_hookspecs(hookspecs)
        self._loaded: dict[str, ModuleType | object] = {}  # plugin name -> module/object
        self._names: dict[str, list[str]] = {}  # plugin name -> entry-point names
        self._errors: dict[str, str] = {}
        self._registry: dict[str, dict[str, Registered]] | None = None

    # -- discovery and loading ------------------------------------------------------

    @staticmethod
    def available() -> dict[str, list[md.EntryPoint]]:
        """Installed entry points by name, without importing anything."""
        return _entry_points()

    def load(self, names: Iterable[str]) -> None:
        """Import the plugins behind these entry-point names (each once)."""
        eps = _entry_points()
        for name in names:
            if name in self._names_loaded():
                continue
            if name not in eps:
                suggestion = closest(name, eps)
                raise PluginError(
                    f"no installed plugin is named {name!r}.",
                    hint=(f"Did you mean {suggestion!r}? " if suggestion else "")
                    + f"Installed plugins: {', '.join(sorted(eps)) or 'none'}.",
                )
            candidates = eps[name]
            if len({ep.value for ep in candidates}) > 1:
                raise PluginError(
                    f"plugin name {name!r} is claimed by several distributions: "
                    + ", ".join(_dist_label(ep) for ep in candidates)
                    + ". Uninstall all but one."
                )
            self._load_entry_point(candidates[0])

    def load_all(self, *, strict: bool = False) -> None:
        """Import every installed plugin; a broken one is recorded, not raised (unless strict)."""
        for name, candidates in sorted(_entry_points().items()):
            if name in self._names_loaded() or candidates[0].value in self._errors:
                continue
            try:
                self._load_entry_point(candidates[0])
            except PluginError as exc:
                if strict:
                    raise
                self._errors[candidates[0].value] = str(exc)

    def _names_loaded(self) -> set[str]:
        return {n for key, names in self._names.items() if key in self._loaded for n in names}

    def _load_entry_point(self, ep: md.EntryPoint) -> None:
        key = ep.value
        self._names.setdefault(key, [])
        if ep.name not in self._names[key]:
            self._names[key].append(ep.name)
        if key in self._loaded:
            return
        missing = missing_requirements(ep.dist)
        if missing:
            raise PluginError(
                f"plugin {ep.name!r} ({_dist_label(ep)}) is installed but needs "
                f"{', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not installed.",
                hint=_install_hint(missing),
            )
        try:
            module = ep.load()
        except ModuleNotFoundError as exc:
            own = exc.name is not None and (ep.module == exc.name or ep.module.startswith(exc.name + "."))
            raise PluginError(
                f"plugin {ep.name!r} ({_dist_label(ep)}) failed to import: "
                f"module {exc.name!r} is missing.",
                hint=f"Reinstall {ep.dist.name if ep.dist else 'the plugin'}: its code is not where its entry point says."
                if own
                else f"Install it with: pip install {exc.name}",
            ) from exc
        except Exception as exc:
            raise PluginError(
                f"plugin {ep.name!r} ({_dist_label(ep)}) failed to import: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        self._register(key, module)
        # A plugin may implement all hooks of its distribution from one module: the other
        # entry-point names pointing at it count as loaded too.
        for name, others in _entry_points().items():
            if any(o.value == key for o in others) and name not in self._names[key]:
                self._names[key].append(name)

    def _register(self, key: str, plugin: ModuleType | object) -> None:
        if self.pm.is_registered(plugin):
            self._loaded[key] = plugin
            return
        self.pm.register(plugin, name=key)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(plugin)
            raise PluginError(f"plugin {key!r} implements an unknown hook: {exc}") from exc
        self._loaded[key] = plugin
        self._registry = None

    @contextlib.contextmanager
    def registered(self, plugin: object, name: str | None = None) -> Iterator[None]:
        """Register an in-process plugin for the duration of a ``with`` block."""
        key = name or getattr(plugin, "__name__", None) or f"plugin-{id(plugin)}"
        self._names[key] = []
        try:
            self._register(key, plugin)
        except PluginError:
            self._names.pop(key, None)
            raise
        try:
            yield
        finally:
            self.pm.unregister(plugin)
            self._loaded.pop(key, None)
            self._names.pop(key, None)
            self._registry = None

    def add(self, plugin: object, name: str | None = None) -> None:
        """Register an in-process plugin for good (scripts, notebooks)."""
        key = name or getattr(plugin, "__name__", None) or f"plugin-{id(plugin)}"
        self._names.setdefault(key, [])
        self._register(key, plugin)

    # -- components -------------------------------------------------------------------

    def collect(self) -> dict[str, dict[str, Registered]]:
        """Call every registration hook of the loaded plugins; components by kind and name."""
        if self._registry is not None:
            return self._registry
        registry: dict[str, dict[str, Registered]] = {kind: {} for kind in KINDS}
        for kind, (hook_name, base) in KINDS.items():
            caller = getattr(self.pm.hook, hook_name)
            for impl in caller.get_hookimpls():
                plugin_name = impl.plugin_name

                def register(
                    cls: type[Component],
                    name: str | None = None,
                    *,
                    _kind: str = kind,
                    _base: type[Component] = base,
                    _plugin: str = plugin_name,
                ) -> None:
                    if not (isinstance(cls, type) and issubclass(cls, _base)):
                        raise PluginError(
                            f"plugin {_plugin!r} registered {cls!r} as a {_kind}, "
                            f"but it is not a subclass of {_base.__module__}.{_base.__name__}."
                        )
                    component_name = name or cls.name
                    if not component_name:
                        raise PluginError(f"plugin {_plugin!r} registered {cls.__name__} without a name.")
                    previous = registry[_kind].get(component_name)
                    if previous is not None and previous.cls is not cls:
                        raise PluginError(
                            f"{_kind} {component_name!r} is registered twice: by "
                            f"{previous.plugin!r} and by {_plugin!r}."
                        )
                    registry[_kind][component_name] = Registered(_kind, component_name, cls, _plugin)

                impl.function(register=register)
        self._registry = registry
        return registry

    def component(self, kind: str, name: str) -> Registered:
        """The component ``name`` of ``kind``, loading its plugin if needed."""
        if kind not in KINDS:
            raise PluginError(f"unknown component kind {kind!r}; kinds: {', '.join(KINDS)}")
        label = kind.replace("_", "-")
        if name not in self.collect()[kind]:
            try:
                self.load([name])
            except PluginError:
                if name in _entry_points():
                    raise  # installed but broken: that message says what to do
                # Unknown name: look at every installed plugin to suggest one of this kind.
                self.load_all()
                names = sorted(self.collect()[kind])
                suggestion = closest(name, names)
                raise PluginError(
                    f"no installed plugin is named {name!r}.",
                    hint=(f"Did you mean {suggestion!r}? " if suggestion else "")
                    + f"Installed {label} plugins: {', '.join(names) or 'none'}.",
                ) from None
        registry = self.collect()
        if name not in registry[kind]:
            others = [f"{k.replace('_', '-')} {n!r}" for k, regs in registry.items() for n in regs if n == name]
            raise PluginError(
                f"plugin {name!r} provides no {label} named {name!r}"
                + (f"; it provides a {', '.join(others)}" if others else "")
                + f". A [{kind}] section needs a {label} plugin.",
            )
        return registry[kind][name]

    # -- introspection ----------------------------------------------------------------

    def info(self) -> list[PluginInfo]:
        """Every loaded (or failed) plugin with its distribution and components."""
        registry = self.collect()
        by_plugin: dict[str, list[Registered]] = {}
        for regs in registry.values():
            for reg in regs.values():
                by_plugin.setdefault(reg.plugin, []).append(reg)
        eps = {ep.value: ep for candidates in _entry_points().values() for ep in candidates}
        out = []
        for key in sorted(set(self._loaded) | set(self._errors)):
            ep = eps.get(key)
            dist = ep.dist if ep is not None else None
            out.append(
                PluginInfo(
                    module=key,
                    names=sorted(self._names.get(key, [])),
                    distribution=dist.name if dist else None,
                    version=dist.version if dist else None,
                    components=sorted(by_plugin.get(key, []), key=lambda r: (r.kind, r.name)),
                    error=self._errors.get(key),
                )
            )
        return out

    @property
    def hook(self) -> Any:
        return self.pm.hook
