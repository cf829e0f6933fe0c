"""A simulated store, the dashboard served over it, and Debian's chromium driven by
Playwright. In CI a missing browser fails the browser tests (they must not silently
shrink); locally it skips them, naming scripts/install-chromium.sh."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from oleg_dashboard.app import create_app
from oleg_dashboard.sample import simulate
from oleg_dashboard.server import serving
from oleg_dashboard.source import ReadOnlyStore, open_readonly

ROOT = Path(__file__).resolve().parents[3]
INSTALL_CHROMIUM = ROOT / "scripts" / "install-chromium.sh"
CHROMIUM = "/usr/bin/chromium"
TOKEN = "dashboard-test-token-5e8f"


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run: {reason}")
    pytest.skip(f"browser tests skipped: {reason} (run scripts/install-chromium.sh)")


@pytest.fixture(scope="session")
def sample_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("dashboard") / "sample.db"
    url = f"sqlite:///{path}"
    simulate(url)
    return url


@pytest.fixture(scope="session")
def sample_store(sample_url: str) -> Iterator[ReadOnlyStore]:
    store = open_readonly(sample_url)
    yield store
    store.close()


@pytest.fixture(scope="session")
def served(sample_store: ReadOnlyStore) -> Iterator[str]:
    with serving(create_app(sample_store, token=TOKEN, title="sample")) as base:
        yield base


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and os.geteuid() == 0 and INSTALL_CHROMIUM.exists():
        subprocess.run(["bash", str(INSTALL_CHROMIUM)], check=False)
    if not Path(CHROMIUM).exists():
        _unavailable(f"no {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (scripts/setup.sh --test)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium") or CHROMIUM,
            headless=True,
            args=["--no-sandbox"],
        )
        yield browser
        browser.close()
