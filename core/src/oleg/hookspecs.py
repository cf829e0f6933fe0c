"""oleg's hook specifications, grouped by the phase in which they are called (as pytest's).

A plugin implements any subset of them with ``@oleg.hookimpl``; a misspelled hook name is
reported when the plugin is loaded (``PluginManager.check_pending``). The components a
plugin provides (sources, sinks, recommenders...) implement small interfaces of their own
(:mod:`oleg.components`); the engine calls the selected ones directly, never through hooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from oleg.registry import ComponentRegistry
    from oleg.run_info import RoundReport, RunInfo, RunSummary
    from oleg.types import Delivery, Feedback, Post
    from oleg.versions import ModelDecision, ModelVersion

hookspec = pluggy.HookspecMarker("oleg")


# -- registration: once per process, when a plugin is loaded --------------------------


@hookspec
def oleg_register_components(registry: ComponentRegistry) -> None:
    """Register the components this plugin provides, and the store tables it owns.

    Called once per plugin, when oleg collects what the loaded plugins provide (a deployment
    loads only the plugins it names). Example::

        @oleg.hookimpl
        def oleg_register_components(registry):
            from my_plugin.model import MyRecommender   # heavy imports stay inside

            registry.add_recommender(MyRecommender)     # named by MyRecommender.name

    The component's name must be the plugin's entry-point name (``[project.entry-points.oleg]
    my-name = "my_plugin"``): that is the name a deployment writes (``plugin = "my-name"``).
    A plugin that keeps state of its own adds its tables with ``registry.add_schema(...)``.
    """


@hookspec
def oleg_register_commands(cli: click.Group) -> None:
    """Add sub-commands to the ``oleg`` command: ``@cli.command() def login(): ...``.

    Called when the CLI is asked for a command it does not know itself, or for its help;
    every installed plugin is loaded then.
    """


# -- a running deployment: on the engine's thread, on every loaded plugin -------------
#
# Observers only: their return values are ignored. Keep them quick, since the engine waits.
# An exception in an observer propagates and stops the run: a broken observer fails loudly.


@hookspec
def oleg_started(run: RunInfo) -> None:
    """The deployment's components are started and the engine is about to run its jobs."""


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
def oleg_model_trained(version: ModelVersion) -> None:
    """A model version was trained and recorded (``version.kind``: full or incremental)."""


@hookspec
def oleg_model_judged(decision: ModelDecision) -> None:
    """The registry decided about a version: promoted, rejected, or ``collapsed`` (its
    figure fell below chance or dropped too far: never served, tell the deployer), or a
    promotion or rollback by hand. ``decision`` holds both figures and the reason."""


@hookspec
def oleg_model_promoted(version: ModelVersion) -> None:
    """A model version became the champion: the one whose scores are served."""


@hookspec
def oleg_round_finished(round: RoundReport) -> None:
    """A mailing round finished: its counts by status and how long it and its sending took."""


@hookspec
def oleg_stopped(run: RunInfo, summary: RunSummary) -> None:
    """The deployment stopped (end of a virtual run, or a signal) and is about to close."""
