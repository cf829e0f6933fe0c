"""Save a screenshot of every dashboard page, to look at them.

    .venv/bin/python scripts/dashboard_screenshots.py OUT_DIR [STORE_URL]

Without STORE_URL a small simulated store is made first (oleg_dashboard.sample). Drives
Debian's chromium (scripts/install-chromium.sh) with Playwright; downloads nothing.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from oleg_dashboard.app import create_app
from oleg_dashboard.sample import simulate
from oleg_dashboard.server import serving
from oleg_dashboard.source import open_readonly
from playwright.sync_api import sync_playwright

PAGES = {
    "overview": "/",
    "models": "/models",
    "channels": "/channels",
    "subscribers": "/subscribers",
    "subscriber": "/subscribers/sim-3",
}


def main(out: Path, url: str | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'sample.db'}"
        simulate(url)
    store = open_readonly(url)
    with serving(create_app(store, token=None, title="sample")) as base, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for name, path in PAGES.items():
            page.goto(base + path)
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            print(out / f"{name}.png")
        browser.close()
    store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None)
