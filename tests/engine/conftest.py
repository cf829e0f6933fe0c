"""Shared by the engine tests: the plugins with the fakes, and a working directory per test
(deployments built in code take their relative ``data_dir``, model files and plugin
folders, from it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from oleg.plugins import Plugins
from oleg.testing.fakes import fakes_plugin


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def plugins() -> Iterator[Plugins]:
    """The installed plugins and the in-process fakes (``list`` source, ``rule`` sink)."""
    p = Plugins()
    with p.registered(fakes_plugin()):
        yield p
