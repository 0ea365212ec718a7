"""The review loop in real headless Chromium: mark verdicts in the report, download the labels
file the page builds, import it with the real CLI, find the labels in the label history.

Needs Debian's Chromium at /usr/bin/chromium and playwright; skipped without them, unless
HARNESS_REQUIRE_BROWSER=1 (as in CI), where a missing browser is a failure.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.cli.main import main
from harness.corpus.files import iter_cases
from harness.golden.labels import read_history
from harness.outputs.report import FailingCase, ReportData, render_report
from harness.outputs.report.pass_sample import PassSample, SampledPass
from harness.outputs.report.pdf import CHROMIUM, CHROMIUM_ARGS
from harness.run.finish import RunOutcome
from harness.store.database import RunStore
from tests.test_report import XSS_TEXT, run_world
from tests.world import default_cases, make_case

pytestmark = pytest.mark.browser
GOOD = "We are a credit broker, not a lender. Representative 9.9% APR."
# A reviewer's note that would run script as markup, and a formula to a spreadsheet.
HOSTILE_NOTE = '=HYPERLINK("x") <img src=x onerror="window.__xss = \'note\'"> said "later"'


@dataclass(frozen=True)
class Reviewed:
    """A failing run over a corpus folder, its report, and the same run with every failing
    case embedded for the script (none as HTML)."""

    run: RunOutcome
    corpus: Path
    disclosures: Path
    embedded: Path


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> Reviewed:
    root = tmp_path_factory.mktemp("review")
    cases = [make_case(f"pass-{k:02d}", [GOOD, "Thanks"]) for k in range(12)]
    cases += [*default_cases(), make_case("case-xss", [XSS_TEXT, "Bye"])]  # fails
    cases.append(make_case("pass-xss", [GOOD + " " + XSS_TEXT, "Bye"]))  # passes: in the sample
    run = run_world(root, cases=cases, report={"pass_sample": 20})
    manifest = json.loads(run.manifest_path.read_text(encoding="utf-8"))
    with RunStore(root / "harness.duckdb") as store:
        failing = [FailingCase.from_store_row(r) for r in store.report_cases(run.run_id, None)]
        drawn = store.pass_sample(run.run_id, size=20, seed=run.run_id)
    data = ReportData(
        gate=run.gate,
        manifest=manifest,
        failing_cases=failing,
        failing_cases_total=len(failing),
        html_cases=0,
        pass_sample=PassSample(20, run.run_id, [SampledPass.from_store_row(r) for r in drawn]),
    )
    embedded = render_report(data, root / "embedded" / "report.html")
    world = root / "world"
    return Reviewed(run, world / "corpus", world / "scenarios" / "disclosures", embedded)


@pytest.fixture(scope="module")
def browser(reviewed: Reviewed) -> Iterator[Any]:
    """A headless Chromium, started after the run (playwright's sync API holds a loop)."""
    required = os.environ.get("HARNESS_REQUIRE_BROWSER") == "1"
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} not found; install Debian's chromium package"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            missing = "playwright is not installed (pip install -e '.[dev]')"
    if missing and required:
        pytest.fail(f"HARNESS_REQUIRE_BROWSER=1 but {missing}", pytrace=False)
    if missing:
        pytest.skip(missing)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        yield chromium
        chromium.close()


def open_report(browser: Any, report: Path) -> tuple[Any, Any, list[str]]:
    """A page with ``report`` loaded, and the console errors and requests it logs."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    def on_dialog(dialog: Any) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on(
        "request",
        lambda r: None if r.url.startswith(("file:", "blob:")) else problems.append(r.url),
    )
    page.goto(report.resolve().as_uri(), wait_until="load")
    return context, page, problems


def download(page: Any, target: Path) -> Path:
    with page.expect_download() as info:
        page.click("#review-download")
    assert info.value.suggested_filename == target.name
    info.value.save_as(str(target))
    return target


def test_two_marked_verdicts_become_labels_in_the_history(
    browser: Any, reviewed: Reviewed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = reviewed.run.run_id
    context, page, problems = open_report(browser, reviewed.run.report_path)
    bar = page.locator("#review-bar")
    assert bar.is_visible()
    assert page.locator("#review-count").inner_text() == "No verdict marked yet."
    assert page.locator("#review-download").is_disabled()

    # A pass from the QA sample is wrong (with a hostile note); a failure is right.
    sample = page.locator("#pass-sample article.sampled").first
    sampled_id = sample.locator("h3").first.inner_text().removeprefix("QA sample Case ")
    sampled_criterion = sample.locator(".review-slot").get_attribute("data-criterion")
    mark = sample.locator(".review-slot fieldset")
    assert mark.locator("legend").inner_text() == "Your review: is this pass right?"
    mark.get_by_label("Wrong: not presented as required").check()
    mark.locator("input.review-note").fill(HOSTILE_NOTE)
    failing = page.locator("#failing-cases article.case", has_text="Case case-003").first
    failure = failing.locator(".review-slot fieldset").first
    failing_criterion = failing.locator(".review-slot").first.get_attribute("data-criterion")
    failure.get_by_label("Right: not presented as required").check()
    assert page.locator("#review-count").inner_text() == "2 verdicts marked."
    assert page.locator("#review-download").is_disabled()  # no name yet
    page.fill("#review-by", "Priya Shah")
    assert page.locator("#review-download").is_enabled()

    labels = download(page, tmp_path / f"review-labels-{run_id}.csv")
    with labels.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [
        {
            "case_id": sampled_id,
            "disclosure_id": sampled_criterion,
            "applicable": "yes",
            "presented": "no",
            "note": HOSTILE_NOTE,
            "reviewer": "Priya Shah",
            "verdict": "passed",
            "review": "wrong",
            "source": f"report of run {run_id}, QA sample of passes: verdict passed, judged wrong",
        },
        {
            "case_id": "case-003",
            "disclosure_id": failing_criterion,
            "applicable": "yes",
            "presented": "no",
            "note": "",
            "reviewer": "Priya Shah",
            "verdict": "failed",
            "review": "right",
            "source": f"report of run {run_id}, failing cases: verdict failed, judged right",
        },
    ]
    # Case text and the note stayed text: nothing ran, nothing loaded, no CSP or Trusted
    # Types complaint.
    assert "<script>window.__xss" in page.locator("#pass-sample").inner_text()
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img").count() == 0
    assert problems == []
    context.close()

    # The file as downloaded is what `harness corpus label import` takes.
    corpus, registry = str(reviewed.corpus), str(reviewed.disclosures)
    why = f"QA review of run {run_id}"
    imported = main(
        ["corpus", "label", "import", corpus, str(labels), "--why", why, "--disclosures", registry]
    )
    assert imported == 0
    assert "applied 2 label change(s); rejected 0 row(s)" in capsys.readouterr().out
    # The history is in corpus order (the file is rewritten case by case), not the file's.
    history = {c.case_id: c for c in read_history(reviewed.corpus) if c.why == why}
    assert sorted((c.case_id, c.disclosure_id, c.by) for c in history.values()) == sorted(
        [
            (sampled_id, sampled_criterion, "Priya Shah"),
            ("case-003", failing_criterion, "Priya Shah"),
        ]
    )
    assert history[sampled_id].label.model_dump() == {
        "applicable": True,
        "presented": False,
        "note": HOSTILE_NOTE,
    }
    assert history[sampled_id].source == rows[0]["source"]
    assert history["case-003"].source == rows[1]["source"]
    assert history["case-003"].label.model_dump() == {
        "applicable": True,
        "presented": False,
        "note": None,
    }
    # The cases themselves now carry the labels, and `label history` shows where they came from.
    case = next(c for c in iter_cases([reviewed.corpus]) if c.case_id == sampled_id)
    label = case.label_for(str(sampled_criterion))
    assert label is not None and (label.applicable, label.presented) == (True, False)
    assert main(["corpus", "label", "history", corpus, "--case", "case-003"]) == 0
    shown = capsys.readouterr().out
    assert f"Priya Shah: case-003 {failing_criterion}:" in shown
    assert f"from: report of run {run_id}, failing cases" in shown


def test_a_mark_can_be_changed_and_cleared(browser: Any, reviewed: Reviewed) -> None:
    context, page, problems = open_report(browser, reviewed.run.report_path)
    mark = page.locator("#pass-sample .review-slot fieldset").nth(1)
    mark.get_by_label("Wrong: it did not apply").check()
    assert page.locator("#review-count").inner_text() == "1 verdict marked."
    assert mark.evaluate("node => node.classList.contains('marked')")
    mark.get_by_label("Right: presented as required").check()
    assert page.locator("#review-count").inner_text() == "1 verdict marked."
    mark.get_by_role("button", name="Clear").click()
    assert page.locator("#review-count").inner_text() == "No verdict marked yet."
    assert mark.locator("input:checked").count() == 0
    assert problems == []
    context.close()


def test_cases_the_script_renders_get_review_slots_too(
    browser: Any, reviewed: Reviewed, tmp_path: Path
) -> None:
    context, page, problems = open_report(browser, reviewed.embedded)
    assert page.locator("#failing-index tbody tr").count() == 0  # no failing case as HTML
    page.click("#more-show")
    page.wait_for_selector("#more-list article.case .review-slot fieldset")
    article = page.locator("#more-list article.case", has_text="Case case-xss").first
    assert "<script>" in article.locator(".turn-agent .turn-text").first.inner_text()  # as text
    fieldset = article.locator(".review-slot fieldset").first
    fieldset.locator("input[type=radio]").first.check()
    page.fill("#review-by", "Sam Okafor")
    labels = download(page, tmp_path / f"review-labels-{reviewed.run.run_id}.csv")
    with labels.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    judged = {"failed": "right", "passed": "right"}.get(rows[0]["verdict"], "decided")
    assert [(r["case_id"], r["reviewer"], r["review"]) for r in rows] == [
        ("case-xss", "Sam Okafor", judged)
    ]
    # Printing copies the embedded cases without their review controls.
    page.emulate_media(media="print")
    page.wait_for_selector("html[data-print-ready]", state="attached")
    assert page.locator("#print-cases .review-slot").count() == 0
    assert not page.locator("#review-bar").is_visible()
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert problems == []
    context.close()


def test_without_javascript_no_review_control_shows(browser: Any, reviewed: Reviewed) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(reviewed.run.report_path.resolve().as_uri(), wait_until="load")
    assert page.locator(".review-slot").count() > 0
    assert page.locator(".review-slot:visible").count() == 0
    assert not page.locator("#review-bar").is_visible()
    assert page.locator("#pass-sample article.sampled").first.is_visible()
    context.close()
