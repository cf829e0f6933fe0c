"""Engine tests build deployments in code: their relative ``data_dir`` (model files, plugin
folders) is taken from the working directory, so each test runs in its own."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
