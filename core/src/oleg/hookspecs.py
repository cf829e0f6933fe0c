"""oleg's hook specifications.

Two families, as in datasette and llm:

* **Registration hooks** (``oleg_register_*``) receive a ``register`` callback. A plugin calls
  it once per component class it provides. They are called once per process, when oleg
  collects the components of the plugins it loaded (``oleg.plugins.Plugins.collect``).
* **Lifecycle hooks** observe a running deployment. They are called on every loaded plugin,
  synchronously on the engine's thread, so keep them quick; their return values are ignored.
  An exception in an observer propagates: a broken observer should fail loudly.

A plugin implements any subset of these with ``@oleg.hookimpl``; a misspelled hook name is
reported when plugins are loaded (``PluginManager.check_pending``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from oleg.components import ColdStartPolicy, Recommender, Scheduler, Sink, Source
    from oleg.types import Delivery, Feedback, Post

hookspec = pluggy.HookspecMarker("oleg")

Register = Callable[..., None]
"""``register(cls, name=None)``: record a component class; ``name`` defaults to ``cls.name``."""


# -- registration -----------------------------------------------------------------------


@hookspec
def oleg_register_sources(register: Callable[[type[Source]], None]) -> None:
    """Register source classes (subclasses of :class:`oleg.components.Source`).

    Called once when plugins are collected. Example::

        @oleg.hookimpl
        def oleg_register_sources(register):
            register(ReplaySource)
    """


@hookspec
def oleg_register_sinks(register: Callable[[type[Sink]], None]) -> None:
    """Register sink classes (subclasses of :class:`oleg.components.Sink`)."""


@hookspec
def oleg_register_recommenders(register: Callable[[type[Recommender]], None]) -> None:
    """Register recommender classes (subclasses of :class:`oleg.components.Recommender`).

    Import heavy dependencies inside the class's methods, not at module level: every
    installed plugin module is imported by ``oleg plugins``.
    """


@hookspec
def oleg_register_cold_start_policies(
    register: Callable[[type[ColdStartPolicy]], None],
) -> None:
    """Register cold-start policy classes (:class:`oleg.components.ColdStartPolicy`)."""


@hookspec
def oleg_register_schedulers(register: Callable[[type[Scheduler]], None]) -> None:
    """Register scheduler classes (:class:`oleg.components.Scheduler`)."""


@hookspec
def oleg_register_commands(cli: click.Group) -> None:
    """Add sub-commands to the ``oleg`` command: ``@cli.command() def login(): ...``.

    Called when the CLI is asked for a command it does not know itself, or for its help.
    """


# -- lifecycle --------------------------------------------------------------------------


@hookspec
def oleg_started(runtime: Any) -> None:
    """The deployment's components are started and the engine is about to run.

    ``runtime`` is the engine (:class:`oleg.components.Runtime`): store, components, clock.
    """


@hookspec
def oleg_post_ingested(post: Post) -> None:
    """A post was stored for the first time (a repeated post does not call this again)."""


@hookspec
def oleg_delivered(delivery: Delivery) -> None:
    """A post was handed to the sink successfully for one subscriber."""


@hookspec
def oleg_feedback_received(feedback: Feedback) -> None:
    """A 👍/👎 was stored for the first time (a repeated press does not call this again)."""


@hookspec
def oleg_model_trained(version: dict[str, Any]) -> None:
    """A model version was trained and recorded (``kind`` is ``full`` or ``incremental``)."""


@hookspec
def oleg_model_promoted(version: dict[str, Any]) -> None:
    """A model version became the champion: the one whose scores are served."""


@hookspec
def oleg_stopped(runtime: Any) -> None:
    """The deployment stopped (end of a virtual run, or a signal) and is about to close."""
