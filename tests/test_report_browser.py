"""The report opened in real headless Chromium: it shows the figures, runs no script, loads nothing.

Needs Debian's Chromium at /usr/bin/chromium. Without it the test is skipped, unless
HARNESS_REQUIRE_BROWSER=1 (as in CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.run import RunOutcome
from tests.test_report import extra_cases, run_world
from tests.world import default_cases

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    """A failed gate (apr below 90%) over the default cases, an XSS payload and more."""
    return run_world(
        tmp_path_factory.mktemp("browser"),
        cases=default_cases() + extra_cases(),
        thresholds={"default": 0.3, "criteria": {"apr": 0.9}},
    )


@pytest.fixture(scope="module")
def browser(failing_run: RunOutcome) -> Iterator[Any]:
    """A headless Chromium, shared by this module's tests.

    Playwright's sync API keeps an event loop running in this thread while the browser is
    open, and a run calls ``asyncio.run``: so the run happens first, through the fixture.
    """
    required = os.environ.get("HARNESS_REQUIRE_BROWSER") == "1"
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found; install Debian's chromium package to run browser tests"
        if required:
            pytest.fail(f"HARNESS_REQUIRE_BROWSER=1 but {message}", pytrace=False)
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            pytest.fail("HARNESS_REQUIRE_BROWSER=1 but playwright is not installed", pytrace=False)
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_report_in_chromium_shows_figures_runs_no_script_and_loads_nothing(
    browser: Any, failing_run: RunOutcome, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    dialogs: list[str] = []
    console_errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    url = failing_run.report_path.resolve().as_uri()
    page.goto(url, wait_until="load")

    # The verdict and the per-disclosure table are on the first screen, in words.
    verdict = page.locator("#verdict")
    assert verdict.is_visible()
    assert verdict.locator("h2").inner_text() == "Verdict: FAILED"
    assert verdict.bounding_box()["y"] < 900
    table = page.locator("table#criteria")
    assert table.is_visible()
    rows = [
        [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
        for row in table.locator("tbody tr").all()
    ]
    assert rows == [
        ["broker_status", "37.5%", "13.7%\u201369.4%", "3 / 8", "0", "30%", "Pass"],
        ["apr", "57.1%", "25.0%\u201384.2%", "4 / 7", "0", "90%", "Fail below threshold"],
    ]

    # Nothing ran: no marker, no dialog; nothing loaded but the file itself; no CSP complaint.
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == []
    assert requests == [url]
    assert console_errors == []
    payload = page.locator("#case-case-xss-t1 .turn-text")
    assert payload.inner_text().startswith("<script>alert(1)</script><img src=x onerror=alert(1)>")
    assert page.locator("script, img").count() == 0

    # The stylesheet applied (its CSP hash matched) and the print stylesheet hides navigation.
    assert page.locator("#verdict").evaluate("e => getComputedStyle(e).borderLeftWidth") == "10px"
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    page.emulate_media(media="print")
    assert page.locator("nav.contents").is_hidden()
    page.close()
