"""The typed registry a plugin fills in through ``oleg_register_components``.

As tox hands its ``tox_register_tox_env`` hook a ``ToxEnvRegister``, oleg hands every plugin
one :class:`ComponentRegistry`: a method per kind of component, each checking that the class
is of that kind, so a plugin author's mistake is caught where it is made and reported with the
plugin's name. The registry also collects the store schemas that plugins own (their tables
and Alembic migrations, see :class:`oleg.store.schema.StoreSchema`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from oleg.components import ColdStartPolicy, Component, Recommender, Scheduler, Sink, Source
from oleg.errors import PluginError

if TYPE_CHECKING:
    from oleg.store.schema import StoreSchema

C = TypeVar("C", bound=Component)


class ComponentKind(StrEnum):
    """The kinds of component a deployment picks, by the name of their TOML section."""

    SOURCE = "source"
    SINK = "sink"
    RECOMMENDER = "recommender"
    COLD_START = "cold_start"
    SCHEDULER = "scheduler"

    @property
    def base(self) -> type[Component]:
        """The interface a component of this kind implements."""
        return _BASES[self]

    @property
    def label(self) -> str:
        """The kind as people write it: ``cold-start``."""
        return self.value.replace("_", "-")


_BASES: dict[ComponentKind, type[Component]] = {
    ComponentKind.SOURCE: Source,
    ComponentKind.SINK: Sink,
    ComponentKind.RECOMMENDER: Recommender,
    ComponentKind.COLD_START: ColdStartPolicy,
    ComponentKind.SCHEDULER: Scheduler,
}


@dataclass(frozen=True)
class Registered:
    """A component class, its name, and the plugin that registered it."""

    kind: ComponentKind
    name: str
    cls: type[Component]
    plugin: str


class ComponentRegistry:
    """Components by kind and name, and the plugins' store schemas.

    oleg calls ``oleg_register_components(registry)`` once per plugin, after setting
    :attr:`plugin` to that plugin's name, so each entry records who registered it.
    """

    def __init__(self) -> None:
        self._components: dict[ComponentKind, dict[str, Registered]] = {k: {} for k in ComponentKind}
        self._schemas: dict[str, tuple[StoreSchema, str]] = {}
        self.plugin = "<unknown>"
        """The plugin whose hook is being called (set by :class:`oleg.plugins.Plugins`)."""

    # -- what plugins call ------------------------------------------------------------

    def add_source(self, cls: type[Source], name: str | None = None) -> None:
        """Register a :class:`~oleg.components.Source`; ``name`` defaults to ``cls.name``."""
        self._add(ComponentKind.SOURCE, cls, name)

    def add_sink(self, cls: type[Sink], name: str | None = None) -> None:
        """Register a :class:`~oleg.components.Sink`."""
        self._add(ComponentKind.SINK, cls, name)

    def add_recommender(self, cls: type[Recommender], name: str | None = None) -> None:
        """Register a :class:`~oleg.components.Recommender`."""
        self._add(ComponentKind.RECOMMENDER, cls, name)

    def add_cold_start_policy(self, cls: type[ColdStartPolicy], name: str | None = None) -> None:
        """Register a :class:`~oleg.components.ColdStartPolicy`."""
        self._add(ComponentKind.COLD_START, cls, name)

    def add_scheduler(self, cls: type[Scheduler], name: str | None = None) -> None:
        """Register a :class:`~oleg.components.Scheduler`."""
        self._add(ComponentKind.SCHEDULER, cls, name)

    def add_schema(self, schema: StoreSchema) -> None:
        """Register tables a plugin owns; the store migrates them beside its own at open.

        Two plugins of one family (the TDLib source and bot) may register the same schema.
        """
        previous = self._schemas.get(schema.name)
        if previous is not None and previous[0] is not schema:
            raise PluginError(
                f"store schema {schema.name!r} is registered twice: by {previous[1]!r} and by "
                f"{self.plugin!r}."
            )
        self._schemas.setdefault(schema.name, (schema, self.plugin))

    def discard(self, plugin: str) -> None:
        """Drop everything ``plugin`` registered (its hook failed half-way)."""
        for by_name in self._components.values():
            for name in [n for n, reg in by_name.items() if reg.plugin == plugin]:
                del by_name[name]
        for name in [n for n, (_, who) in self._schemas.items() if who == plugin]:
            del self._schemas[name]

    # -- what oleg reads --------------------------------------------------------------

    def get(self, kind: ComponentKind, name: str) -> Registered | None:
        return self._components[kind].get(name)

    def names(self, kind: ComponentKind) -> list[str]:
        return sorted(self._components[kind])

    def all(self) -> list[Registered]:
        """Every component, by kind then name."""
        return [reg for kind in ComponentKind for _, reg in sorted(self._components[kind].items())]

    def kinds_of(self, name: str) -> list[ComponentKind]:
        """The kinds under which ``name`` is registered (a name may be a sink and a source)."""
        return [kind for kind in ComponentKind if name in self._components[kind]]

    @property
    def schemas(self) -> list[StoreSchema]:
        return [schema for schema, _ in self._schemas.values()]

    def _add(self, kind: ComponentKind, cls: type[Component], name: str | None) -> None:
        base = kind.base
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise PluginError(
                f"plugin {self.plugin!r} registered {cls!r} as a {kind.label}, "
                f"but it is not a subclass of {base.__module__}.{base.__name__}."
            )
        component_name = name or cls.name
        if not component_name:
            raise PluginError(f"plugin {self.plugin!r} registered {cls.__name__} without a name.")
        previous = self._components[kind].get(component_name)
        if previous is not None and previous.cls is not cls:
            raise PluginError(
                f"{kind.label} {component_name!r} is registered twice: by {previous.plugin!r} and "
                f"by {self.plugin!r}."
            )
        self._components[kind][component_name] = Registered(kind, component_name, cls, self.plugin)
