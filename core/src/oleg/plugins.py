"""Finding, loading and collecting plugins.

A plugin is an installed distribution that declares entry points in the group ``oleg``. The
entry-point *name* is the component name a deployment uses (``plugin = "popular"``); its
*value* is the module holding the plugin's ``@oleg.hookimpl`` functions. One module may stand
behind several names (a distribution registering two recommenders).

The core's own components (the ``virtual`` scheduler, the ``none`` cold-start policy) are
listed in :data:`INTERNAL_PLUGINS` and registered by every :class:`Plugins`, as tox does with
its ``internal_plugins``: they need no entry point. Other plugins are imported only when a
deployment names them (``Plugins.load``); ``oleg plugins`` imports all (``Plugins.load_all``).
Before importing, the distribution's declared requirements are checked, so a missing
dependency says what to install instead of failing somewhere inside the plugin.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata as md
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pluggy
from packaging.requirements import InvalidRequirement, Requirement

from oleg import __version__, hookspecs
from oleg.components import Recommender
from oleg.errors import PluginError, did_you_mean
from oleg.registry import ComponentKind, ComponentRegistry, Registered

GROUP = "oleg"

INTERNAL_PLUGINS = (
    "oleg.builtin.virtual_scheduler",
    "oleg.builtin.no_cold_start",
)
"""Modules of the core that register components, always loaded (they import nothing heavy)."""


@dataclass
class PluginInfo:
    """One plugin module: the entry-point names behind it, its distribution, what it
    registered, and why it failed to load, if it did."""

    module: str
    names: list[str] = field(default_factory=list)
    distribution: str | None = None
    version: str | None = None
    components: list[Registered] = field(default_factory=list)
    error: str | None = None
    plugin: object | None = None


def _entry_points() -> dict[str, list[md.EntryPoint]]:
    """Installed entry points of the group by name (several if distributions clash)."""
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


class Plugins:
    """oleg's plugin manager: pluggy underneath, entry points on top, components collected.

    ``registered()`` adds an in-process plugin object (a module or any object with hook
    implementations) for tests and one-off scripts, as datasette and llm allow.
    """

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(GROUP)
        self.pm.add_hookspecs(hookspecs)
        self._plugins: dict[str, PluginInfo] = {}
        """Plugin key (the entry point's module, or an in-process name) -> what we know."""
        self._registry: ComponentRegistry | None = None
        self._broken: dict[str, PluginError] = {}
        """Plugin key -> why its registration hook failed (see :meth:`collect`)."""
        for module in INTERNAL_PLUGINS:
            self._register(
                PluginInfo(module, distribution="oleg-core", version=__version__),
                importlib.import_module(module),
            )

    # -- discovery and loading ------------------------------------------------------

    @staticmethod
    def available() -> dict[str, list[md.EntryPoint]]:
        """Installed entry points by name, without importing anything."""
        return _entry_points()

    def load(self, names: Iterable[str]) -> None:
        """Import the plugins behind these entry-point names (each once)."""
        eps = _entry_points()
        for name in names:
            if self._loaded_name(name):
                continue
            if name not in eps:
                raise PluginError(
                    f"no installed plugin is named {name!r}.",
                    hint=did_you_mean(name, eps) + f"Installed plugins: {', '.join(sorted(eps)) or 'none'}.",
                )
            candidates = eps[name]
            if len({ep.value for ep in candidates}) > 1:
                raise PluginError(
                    f"plugin name {name!r} is claimed by several distributions: "
                    + ", ".join(_dist_label(ep) for ep in candidates)
                    + ". Uninstall all but one."
                )
            self._load_entry_point(candidates[0], eps)

    def load_all(self, *, strict: bool = False) -> None:
        """Import every installed plugin; a broken one is recorded, not raised (unless strict)."""
        eps = _entry_points()
        for name, candidates in sorted(eps.items()):
            known = self._plugins.get(candidates[0].value)
            if known is not None and (known.plugin is not None or known.error is not None):
                continue
            try:
                if len({ep.value for ep in candidates}) > 1:
                    self.load([name])  # raises: a name claimed twice is never silently taken
                self._load_entry_point(candidates[0], eps)
            except PluginError as exc:
                if strict:
                    raise
                info = self._info_for(candidates[0], eps)
                info.error = str(exc)

    def _loaded_name(self, name: str) -> bool:
        return any(name in p.names and p.plugin is not None for p in self._plugins.values())

    def _info_for(self, ep: md.EntryPoint, eps: dict[str, list[md.EntryPoint]]) -> PluginInfo:
        """The record of ``ep``'s module, with every entry-point name that points at it."""
        info = self._plugins.get(ep.value)
        if info is None:
            dist = ep.dist
            info = self._plugins[ep.value] = PluginInfo(
                ep.value, distribution=dist.name if dist else None, version=dist.version if dist else None
            )
        for name, others in eps.items():
            if any(o.value == ep.value for o in others) and name not in info.names:
                info.names.append(name)
        info.names.sort()
        return info

    def _load_entry_point(self, ep: md.EntryPoint, eps: dict[str, list[md.EntryPoint]]) -> None:
        info = self._info_for(ep, eps)
        if info.plugin is not None:
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
        self._register(info, module)

    def _register(self, info: PluginInfo, plugin: object) -> None:
        if not self.pm.is_registered(plugin):
            self.pm.register(plugin, name=info.module)
            try:
                self.pm.check_pending()
            except pluggy.PluginValidationError as exc:
                self.pm.unregister(plugin)
                raise PluginError(f"plugin {info.module!r} implements an unknown hook: {exc}") from exc
        info.plugin = plugin
        info.error = None
        self._plugins[info.module] = info
        self._broken.pop(info.module, None)
        self._registry = None

    @contextlib.contextmanager
    def registered(self, plugin: object, name: str | None = None) -> Iterator[None]:
        """Register an in-process plugin for the duration of a ``with`` block."""
        key = self.add(plugin, name)
        try:
            yield
        finally:
            self.pm.unregister(plugin)
            self._plugins.pop(key, None)
            self._registry = None

    def add(self, plugin: object, name: str | None = None) -> str:
        """Register an in-process plugin for good (scripts, notebooks); returns its key."""
        key = name or getattr(plugin, "__name__", None) or f"plugin-{id(plugin)}"
        self._register(PluginInfo(key), plugin)
        return key

    # -- components -------------------------------------------------------------------

    def collect(self) -> ComponentRegistry:
        """Call every loaded plugin's ``oleg_register_components`` once; the registry.

        A plugin whose hook fails (a lazy import that is missing, a class of the wrong kind)
        is recorded as broken, with what went wrong, and the others are collected anyway:
        ``oleg plugins`` shows it, and a deployment that names it gets that error.
        """
        if self._registry is not None:
            return self._registry
        registry = ComponentRegistry()
        for impl in self.pm.hook.oleg_register_components.get_hookimpls():
            registry.plugin = impl.plugin_name
            try:
                impl.function(registry=registry)
            except Exception as exc:
                error = exc if isinstance(exc, PluginError) else PluginError(
                    f"plugin {impl.plugin_name!r} failed to register its components: "
                    f"{type(exc).__name__}: {exc}"
                )
                registry.discard(impl.plugin_name)
                info = self._plugins.get(impl.plugin_name)
                if info is not None:
                    info.error = str(error)
                self._broken[impl.plugin_name] = error
        registry.plugin = "<unknown>"
        self._registry = registry
        return registry

    def component(self, kind: ComponentKind | str, name: str) -> Registered:
        """The component ``name`` of ``kind``, loading its plugin if needed."""
        kind = ComponentKind(kind)
        found = self.collect().get(kind, name)
        if found is not None:
            return found
        eps = _entry_points()
        if name not in eps:
            # Unknown name: look at every installed plugin to suggest one of this kind.
            self.load_all()
            registry = self.collect()
            found = registry.get(kind, name)
            if found is not None:
                raise PluginError(
                    f"{kind.label} {name!r} is registered by plugin {found.plugin!r}, but no "
                    f"entry point is named {name!r}.",
                    hint=f"A plugin's entry-point name must be its component's name: declare "
                    f'{name} = "{found.plugin}" under [project.entry-points.oleg] in its pyproject.toml.',
                )
            names = registry.names(kind)
            raise PluginError(
                f"no installed plugin is named {name!r}.",
                hint=did_you_mean(name, names) + f"Installed {kind.label} plugins: {', '.join(names) or 'none'}.",
            )
        self.load([name])
        registry = self.collect()
        found = registry.get(kind, name)
        if found is not None:
            return found
        broken = self._broken.get(eps[name][0].value)
        if broken is not None:
            raise broken
        other_kinds = registry.kinds_of(name)
        if other_kinds:
            raise PluginError(
                f"plugin {name!r} provides no {kind.label} named {name!r}; it provides a "
                + ", ".join(f"{k.label} {name!r}" for k in other_kinds)
                + f". A [{kind.value}] section needs a {kind.label} plugin."
            )
        ep = eps[name][0]
        own = [f"{r.kind.label} {r.name!r}" for r in registry.all() if r.plugin == ep.value]
        raise PluginError(
            f"the entry point {name!r} ({_dist_label(ep)}) registers no component named {name!r}"
            + (f": it registers {', '.join(own)}." if own else ": it registers no component at all."),
            hint="An entry point's name must be the name of the component it registers "
            "(the class's `name`, or the name given to registry.add_...).",
        )

    def recommender(self, name: str) -> type[Recommender]:
        """The recommender class registered as ``name`` (typed, for code that builds one)."""
        cls = self.component(ComponentKind.RECOMMENDER, name).cls
        assert issubclass(cls, Recommender)  # the registry checked it
        return cls

    # -- introspection ----------------------------------------------------------------

    def info(self) -> list[PluginInfo]:
        """Every loaded (or failed) plugin with its distribution and components."""
        registry = self.collect()
        out = []
        for key, info in sorted(self._plugins.items()):
            components = [r for r in registry.all() if r.plugin == key]
            out.append(PluginInfo(
                key, list(info.names), info.distribution, info.version, components, info.error
            ))
        return out

    @property
    def hook(self) -> Any:
        return self.pm.hook
