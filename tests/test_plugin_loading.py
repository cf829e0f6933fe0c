"""Plugins are found through entry points and only those a deployment names are imported."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parents[1]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)


def test_only_named_plugins_are_imported_and_no_heavy_dependency():
    out = run_python(
        f"""
        import sys
        from oleg.config import load_deployment
        from oleg.engine import Engine
        load_deployment({str(ROOT / "examples" / "demo.toml")!r})
        loaded = sorted(m for m in sys.modules if m.startswith("oleg_"))
        heavy = sorted(m for m in ("torch", "vowpalwabbit", "implicit", "telegram", "apscheduler", "matplotlib") if m in sys.modules)
        print(loaded, heavy)
        """
    )
    assert out.returncode == 0, out.stderr
    loaded, heavy = out.stdout.strip().split("] [")
    assert "oleg_recommender_baseline" in loaded and "oleg_source_replay" in loaded
    assert "oleg_example_fresh" not in loaded and "oleg_sink_console" not in loaded
    assert "oleg_scheduler_apscheduler" not in loaded
    assert heavy == "]"


def test_plugins_command_lists_builtins_and_the_example():
    out = subprocess.run(
        [sys.executable, "-m", "oleg.cli", "plugins", "--json"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    listing = json.loads(out.stdout)
    components = {(c["kind"], c["name"]): p["distribution"] for p in listing for c in p["components"]}
    assert components[("recommender", "fresh")] == "oleg-example-fresh"
    assert components[("recommender", "popular")] == "oleg-recommender-baseline"
    assert components[("recommender", "random")] == "oleg-recommender-baseline"
    assert components[("cold_start", "top-bias")] == "oleg-coldstart-topbias"
    assert components[("scheduler", "virtual")] == "oleg-core"
    assert components[("scheduler", "apscheduler")] == "oleg-scheduler-apscheduler"
    assert components[("source", "replay")] == "oleg-source-replay"
    assert components[("sink", "simulated")] == "oleg-sink-simulated"
    assert components[("sink", "console")] == "oleg-sink-console"
    assert all(p["error"] is None for p in listing)
    table = subprocess.run([sys.executable, "-m", "oleg.cli", "plugins"], capture_output=True, text=True, timeout=120,
                           env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert "oleg-example-fresh" in table.stdout and "0.1.0" in table.stdout


def test_temporary_plugin_registration_and_misspelled_hooks():
    import oleg
    import pytest
    from oleg.errors import PluginError
    from oleg.plugins import Plugins
    from oleg.registry import ComponentKind
    from oleg_recommender_baseline import PopularRecommender

    class Mine(PopularRecommender):
        name = "mine"

    class Plugin:
        @oleg.hookimpl
        def oleg_register_components(self, registry):
            registry.add_recommender(Mine)

    plugins = Plugins()
    with plugins.registered(Plugin(), name="mine-plugin"):
        assert plugins.component("recommender", "mine").cls is Mine
        assert plugins.component("recommender", "mine").plugin == "mine-plugin"
    assert "mine" not in plugins.collect().names(ComponentKind.RECOMMENDER)

    class Typo:
        @oleg.hookimpl
        def oleg_register_component(self, registry):  # missing "s"
            registry.add_recommender(Mine)

    with pytest.raises(PluginError, match="unknown hook"), plugins.registered(Typo()):
        pass

    class NotAComponent:
        @oleg.hookimpl
        def oleg_register_components(self, registry):
            registry.add_recommender(dict)

    with plugins.registered(NotAComponent(), name="not-a-component"):
        plugins.collect()  # does not raise: the broken plugin is recorded, the others work
        (info,) = [i for i in plugins.info() if i.module == "not-a-component"]
        assert info.error is not None and "not a subclass" in info.error and info.components == []
        assert plugins.component("recommender", "popular").cls is PopularRecommender


def test_a_registration_hook_that_fails_breaks_only_its_plugin():
    import oleg
    from oleg.plugins import Plugins
    from oleg_recommender_baseline import PopularRecommender

    class Lazy:
        @oleg.hookimpl
        def oleg_register_components(self, registry):
            registry.add_recommender(PopularRecommender, "half-way")  # then the lazy import fails
            import oleg_no_such_module  # noqa: F401

    plugins = Plugins()
    with plugins.registered(Lazy(), name="lazy"):
        registry = plugins.collect()
        assert "half-way" not in registry.names("recommender")  # nothing of it is kept
        (info,) = [i for i in plugins.info() if i.module == "lazy"]
        assert "failed to register its components" in info.error and "oleg_no_such_module" in info.error
        assert plugins.component("recommender", "popular").cls is PopularRecommender
