"""The dashboard in a real headless browser (Debian's chromium): every page loads on a
simulated store, its charts have data, the console stays clean, and without the token the
browser is refused."""

from __future__ import annotations

import pytest

from .conftest import TOKEN

pytestmark = pytest.mark.browser

CHARTED = {"/": 3, "/models": 3, "/channels": 1}


def _watch(page):
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    return problems


def test_every_page_loads_with_charts_and_a_clean_console(served, chromium):
    context = chromium.new_context()
    page = context.new_page()
    problems = _watch(page)
    first = page.goto(f"{served}/?token={TOKEN}")
    assert first is not None and first.status == 200 and "token" not in page.url
    for path in ("/", "/models", "/channels", "/subscribers"):
        response = page.goto(served + path)
        assert response is not None and response.status == 200, path
        charts = page.locator("svg.chart")
        assert charts.count() == CHARTED.get(path, 0), path
        for i in range(charts.count()):
            assert int(charts.nth(i).get_attribute("data-points")) > 0, (
                f"{path}: chart {i} is empty"
            )
    page.click("text=sim-3")  # from the list to one subscriber
    assert "/subscribers/" in page.url
    assert page.locator("#feed tr").count() > 5
    assert page.locator("h1").inner_text().startswith("Subscriber sim-3")
    assert problems == []
    context.close()


def test_the_browser_without_the_token_is_refused(served, chromium):
    context = chromium.new_context()
    page = context.new_page()
    response = page.goto(served + "/")
    assert response is not None and response.status == 401
    assert "needs its token" in page.content()
    context.close()
