"""The report in real headless Chromium: its figures show, only its own script runs, nothing loads.

Needs Debian's Chromium at /usr/bin/chromium. Without it the test is skipped, unless
HARNESS_REQUIRE_BROWSER=1 (as in CI), where a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from harness.outputs.report import FailingCase, ReportData, render_report
from harness.outputs.report.pdf import CHROMIUM, CHROMIUM_ARGS
from harness.run.finish import RunOutcome
from harness.store.database import RunStore
from tests.test_report import PERSONAL, extra_cases, run_compared, run_world
from tests.world import default_cases

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    """A failed gate (apr below 90%) over the default cases, an XSS payload and more."""
    return run_world(
        tmp_path_factory.mktemp("browser"),
        cases=default_cases() + extra_cases(),
        thresholds={"default": 0.3, "criteria": {"apr": 0.9}},
    )


# Each would run script if it reached the DOM as markup; the marker says whether any did.
XSS_ANSWER = (
    "<script>window.__xss = 'script'; alert(1)</script>"
    "<img src=x onerror=\"window.__xss = 'img'\">"
    "<a href=\"javascript:window.__xss = 'link'\">click</a>"
    "<svg onload=\"window.__xss = 'svg'\"></svg>"
)


@dataclass(frozen=True)
class Reports:
    """One candidate run against its baseline, rendered three ways."""

    full: Path  # as finish_run wrote it: every failing case as HTML
    lazy: Path  # one case as HTML, the others embedded for the script
    many: Path  # 40 copies of each failing case (160), one as HTML: pages of 25


@pytest.fixture(scope="module")
def compared_runs(tmp_path_factory: pytest.TempPathFactory) -> Reports:
    root = tmp_path_factory.mktemp("compared-browser")
    runs = run_compared(root, answers={"case-006": XSS_ANSWER})
    manifest = json.loads(runs.cand.manifest_path.read_text(encoding="utf-8"))
    with RunStore(runs.db) as store:
        rows = store.report_cases(runs.cand.run_id, runs.base.run_id)
        cases = [FailingCase.from_store_row(r) for r in rows]
        data = ReportData(
            gate=runs.cand.gate,
            manifest=manifest,
            failing_cases=cases,
            failing_cases_total=len(cases),
            call_totals=store.call_totals(runs.cand.run_id),
            baseline_call_totals=store.call_totals(runs.base.run_id),
            html_cases=1,
        )
    copies = [
        replace(case, case_id=f"copy{k:02d}-{case.case_id}") for k in range(40) for case in cases
    ]
    many = replace(data, failing_cases=copies, failing_cases_total=len(copies))
    return Reports(
        full=runs.cand.report_path,
        lazy=render_report(data, root / "lazy" / "report.html"),
        many=render_report(many, root / "many" / "report.html"),
    )


@pytest.fixture(scope="module")
def browser(failing_run: RunOutcome, compared_runs: Reports) -> Iterator[Any]:
    """A headless Chromium, shared by this module's tests.

    Playwright's sync API keeps an event loop running in this thread while the browser is
    open, and a run calls ``asyncio.run``: so the runs happen first, through the fixtures.
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
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        yield chromium
        chromium.close()


def test_report_in_chromium_shows_figures_runs_only_its_script_and_loads_nothing(
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
        [
            "broker_status",
            "37.5%",
            "13.7%\u201369.4%",
            "3 / 8",
            "0",
            "30%",
            "Pass",
            "wrong pass 0 of 0, wrong fail 5 of 8 (8 labelled)",
            "0.0% to 100.0%",
        ],
        [
            "apr",
            "57.1%",
            "25.0%\u201384.2%",
            "4 / 7",
            "0",
            "90%",
            "Fail below threshold",
            "not measured",
            "n/a",
        ],
    ]

    # Nothing ran: no marker, no dialog; nothing loaded but the file itself; no CSP complaint.
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == []
    assert requests == [url]
    assert console_errors == []
    payload = page.locator("#case-case-xss-t1 .turn-text")
    assert payload.inner_text().startswith("<script>alert(1)</script><img src=x onerror=alert(1)>")
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 2  # the JSON data block and the report's own

    # The stylesheet applied (its CSP hash matched) and the print stylesheet hides navigation.
    assert page.locator("#verdict").evaluate("e => getComputedStyle(e).borderLeftWidth") == "10px"
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    page.emulate_media(media="print")
    assert page.locator("nav.contents").is_hidden()
    page.close()


# ---------------------------------------------------------------- against a baseline: filter,
# search, pages of embedded cases, and untrusted answers that must stay inert


@dataclass
class Watched:
    """A page, and what it did: requests, dialogs (dismissed), console and script errors."""

    page: Any
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_inert(self, url: str) -> None:
        assert self.page.evaluate("typeof window.__xss") == "undefined"
        assert self.dialogs == []
        assert self.requests == [url]
        assert self.errors == []


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = Watched(page)
    page.on("request", lambda request: seen.requests.append(request.url))

    def on_dialog(dialog: Any) -> None:
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    yield seen
    page.close()


def visible_cases(page: Any) -> list[str]:
    return [
        str(a.get_attribute("id"))
        for a in page.locator("#failing-cases article.case:visible").all()
    ]


def settle(page: Any) -> None:
    """Wait until the filter has applied: the script marks the form aria-busy until then.

    (Playwright's wait_for_function evaluates a string, which this page's CSP refuses.)
    """
    page.wait_for_selector("#case-filter:not([aria-busy])", state="attached")
    page.wait_for_selector(
        "#more-list:not([aria-busy]), body:not(:has(#more-list))", state="attached"
    )


def test_filters_and_search_change_the_visible_cases(
    watched: Watched, compared_runs: Reports
) -> None:
    page = watched.page
    report = compared_runs.full
    url = report.resolve().as_uri()
    page.goto(url, wait_until="load")
    everything = ["case-case-002", "case-case-005", "case-case-006", "case-case-000"]
    assert visible_cases(page) == everything
    assert page.locator("#case-filter").is_visible()
    assert page.locator("label[for=filter-criterion]").inner_text() == "Disclosure"

    page.select_option("#filter-criterion", "apr")
    settle(page)
    assert visible_cases(page) == ["case-case-005", "case-case-006", "case-case-000"]
    assert page.locator("#failing-index tbody tr:visible").count() == 3
    assert page.locator("#filter-summary").inner_text() == "3 of 4 failing cases match."

    page.select_option("#filter-flip", "new")
    settle(page)
    assert visible_cases(page) == ["case-case-005", "case-case-006"]

    page.select_option("#filter-criterion", "")
    page.select_option("#filter-segment", label="channel = phone")
    page.select_option("#filter-flip", "")
    settle(page)
    assert visible_cases(page) == ["case-case-000"]

    page.click("#filter-reset")
    settle(page)
    assert visible_cases(page) == everything
    # Search reads what the reader sees: redacted text, so the email itself finds nothing.
    page.fill("#filter-text", "[email] or call")
    settle(page)
    assert visible_cases(page) == ["case-case-002"]
    page.fill("#filter-text", "alan@example.com")
    settle(page)
    assert visible_cases(page) == []
    assert page.locator("#filter-summary").inner_text() == "0 of 4 failing cases match."
    page.fill("#filter-text", "")
    settle(page)
    assert visible_cases(page) == everything

    # The focused control shows where it is; print leaves the controls out.
    page.focus("#filter-text")
    outline = page.locator("#filter-text").evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"
    page.emulate_media(media="print")
    assert page.locator("#case-filter").is_hidden()
    watched.assert_inert(url)


def test_embedded_cases_render_page_by_page_and_stay_inert(
    watched: Watched, compared_runs: Reports
) -> None:
    page = watched.page
    lazy = compared_runs.lazy
    url = lazy.resolve().as_uri()
    page.goto(url, wait_until="load")
    assert visible_cases(page) == ["case-case-002"]
    assert page.locator("#more-cases .nojs").is_hidden()
    page.click("#more-show")
    page.wait_for_selector("#more-list article")
    assert visible_cases(page) == [
        "case-case-002",
        "case-case-005",
        "case-case-006",
        "case-case-000",
    ]
    assert page.locator("#more-page").inner_text() == "Page 1 of 1 (3 cases)"

    # The payloads are shown as the text the agent said, and nothing ran or loaded.
    answer = page.locator("#case-case-006-t1 .turn-now .turn-text")
    assert answer.inner_text() == "Hello [NAME], how can I help? " + XSS_ANSWER
    assert page.locator("#more-list img, #more-list svg, #more-list script").count() == 0
    assert page.locator("#more-list a[href^='javascript']").count() == 0
    baseline = page.locator("#case-case-006-b1 .turn-text")
    assert "credit broker" in baseline.inner_text()
    assert page.locator("#case-case-006-b1 mark").all_inner_texts() == [
        "We are a credit broker",
        "not a lender",
        "9.9% APR",
    ]
    verdicts = page.locator("#case-case-006 table.verdicts tbody tr").all_inner_texts()
    assert [" ".join(v.split()) for v in verdicts] == [
        "apr \u2713 passed \u2717 failed \u2717 newly failing",
        "broker_status \u2713 passed \u2717 failed \u2717 newly failing",
        "greeting \u2713 passed \u2713 passed no change",
    ]

    # Filters apply to the embedded cases too.
    page.select_option("#filter-flip", "new")
    settle(page)
    assert visible_cases(page) == ["case-case-002", "case-case-005", "case-case-006"]
    page.select_option("#filter-flip", "")
    page.fill("#filter-text", "window.__xss")
    settle(page)
    assert visible_cases(page) == ["case-case-006"]
    assert page.locator("#filter-summary").inner_text() == (
        "1 of 4 failing cases match: 0 shown in full above, 1 in the list below."
    )
    page.click("#filter-reset")
    settle(page)

    # A link from the flipped-cases table to an embedded case shows that case.
    page.click("#flips a[href='#case-case-005']")
    page.wait_for_selector("#case-case-005")
    assert page.locator("#case-case-005").is_visible()
    assert page.locator("#case-case-005 nav.case-nav a").all_inner_texts() == [
        "\u2190 Previous case",
        "\u2191 Back to the list",
        "\u2191 Back to flipped cases",
        "Next case \u2192",
    ]

    # Redacted in the file and on the page, embedded cases included.
    text = page.locator("body").inner_text()
    html = lazy.read_text(encoding="utf-8")
    for secret in PERSONAL:
        assert secret not in text and secret not in html, secret
    assert "Email [EMAIL] or call [PHONE]" in page.locator("#case-case-002").inner_text()

    # Trusted Types: a string never becomes HTML on this page, whoever tries.
    with pytest.raises(Exception, match="TrustedHTML"):
        page.evaluate("document.body.innerHTML = '<b>x</b>'")
    watched.errors = [e for e in watched.errors if "TrustedHTML" not in e]
    watched.assert_inert(url)


def test_without_javascript_the_page_is_complete_and_the_controls_hidden(
    browser: Any, compared_runs: Reports
) -> None:
    lazy = compared_runs.lazy
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(lazy.resolve().as_uri(), wait_until="load")
    assert page.locator("#verdict h2").inner_text() == "Verdict: PASSED"
    assert page.locator("#case-filter").is_hidden()
    assert page.locator("#more-cases .withjs").is_hidden()
    note = page.locator("#more-cases .nojs").inner_text()
    assert note.startswith("3 more failing cases are not shown in this page.")
    assert "results.parquet" in note and "harness corpus sql" in note
    assert visible_cases(page) == ["case-case-002"]
    context.close()


def test_pages_follow_one_another_and_a_link_opens_the_page_of_its_case(
    watched: Watched, compared_runs: Reports
) -> None:
    page = watched.page
    url = compared_runs.many.resolve().as_uri()
    page.goto(url, wait_until="load")
    assert (
        page.locator("#more-cases .withjs")
        .inner_text()
        .startswith("159 more failing cases are embedded in this file.")
    )
    page.click("#more-show")
    page.wait_for_selector("#more-list article")
    assert page.locator("#more-page").inner_text() == "Page 1 of 7 (159 cases)"
    assert page.locator("#more-prev").is_disabled()
    first = visible_cases(page)
    assert len(first) == 26  # the HTML case, then a page of 25
    page.click("#more-next")
    settle(page)
    assert page.locator("#more-page").inner_text() == "Page 2 of 7 (159 cases)"
    second = visible_cases(page)[1:]
    assert len(second) == 25 and not set(second) & set(first)
    # Previous and next run across pages: the first case of page 2 points back to page 1.
    links = page.locator(f"#{second[0]} nav.case-nav a")
    assert links.first.get_attribute("href") == f"#{first[-1]}"
    # A link to a case on a page not shown opens that page.
    target = "case-copy39-case-000"
    page.evaluate(f"window.location.hash = '#{target}'")
    page.wait_for_selector(f"#{target}")
    assert page.locator("#more-page").inner_text() == "Page 7 of 7 (159 cases)"
    assert page.locator("#more-next").is_disabled()
    assert page.locator(f"#{target} h3").inner_text() == "Case copy39-case-000"
    watched.assert_inert(url)
