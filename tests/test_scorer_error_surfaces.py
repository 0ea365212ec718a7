"""What the scorer gets wrong and what it left undecided, shown wherever a pass rate is: the
terminal table, summary.md and the PR comment, and the report (columns and review queue)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.outputs.table import gate_table
from harness.run.finish import RunOutcome
from tests.test_report import parse, run_world, table_rows
from tests.world import default_cases, make_case

HEDGED = "We are a credit broker, not a lender, I believe. Representative 9.9% APR."


def _run(tmp_path: Path, review_counts_as: str) -> RunOutcome:
    cases = [*default_cases(), make_case("case-hedged", [HEDGED, "Bye"])]
    return run_world(tmp_path, cases, gate={"review_counts_as": review_counts_as})


@pytest.fixture(scope="module")
def failing_reviews(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    return _run(tmp_path_factory.mktemp("fail"), "fail")


def test_the_gate_holds_the_review_and_the_scorer_error(failing_reviews: RunOutcome) -> None:
    broker = next(c for c in failing_reviews.gate.criteria if c.criterion == "broker_status")
    assert broker.reviews == 1 and broker.review_counts_as == "fail"
    assert broker.passed == 3 and broker.applicable == 6  # the review is counted, not passed
    error = broker.calibration
    assert error is not None and error.cases == 6
    # every world case is labelled presented; the rules passed 3 of 6 of them
    assert (error.false_fail, error.presentations, error.misses) == (3, 6, 0)
    assert error.corrected_low is not None and error.corrected_high is not None


def test_the_terminal_table_says_the_error_and_the_reviews(failing_reviews: RunOutcome) -> None:
    lines = gate_table(failing_reviews.gate).splitlines()
    assert (
        "scorer error on the labelled calibration set (corrected: the pass-rate interval "
        "allowing for it):" in lines
    )
    broker = next(line for line in lines if line.startswith("  broker_status"))
    assert "wrong pass 0/0, wrong fail 3/6 (6 labelled); corrected " in broker
    assert "  apr" not in "\n".join(lines)  # nobody labelled apr: no line for it
    assert lines[-1] == (
        "in review (the scorer unsure, nothing settled it), counted as fail: broker_status 1"
    )


def test_summary_and_pr_comment_show_reviews_and_error(failing_reviews: RunOutcome) -> None:
    assert failing_reviews.surfaces is not None
    for path in (failing_reviews.surfaces.summary, failing_reviews.surfaces.pr_comment):
        text = path.read_text(encoding="utf-8")
        row = next(line for line in text.splitlines() if line.startswith(r"| broker\_status"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[3:5] == ["3/6", "1"]  # passed/applicable, in review
        assert cells[8] == "0/0 · 3/6 (6 labelled)"
        assert "counted as fail" in text


def test_the_report_lists_the_review_queue(failing_reviews: RunOutcome) -> None:
    doc = parse(failing_reviews.report_path.read_text(encoding="utf-8"))
    headers = [h.text for h in doc.by_id("criteria").find_all("thead")[0].find_all("th")]
    assert headers[5] == "In review"
    row = table_rows(doc.by_id("criteria"))[0]
    assert row[0] == "broker_status" and row[5] == "1"
    queue = doc.by_id("review-queue")
    assert "counts a result in review as a failure" in queue.text
    assert doc.by_id("review-broker_status").text == "broker_status: 1 in review"
    items = queue.find_all("li")
    assert len(items) == 1
    link = items[0].find_all("a")[0]
    assert link.text == "case-hedged" and link.attrs["href"] == "#case-case-hedged"
    assert "hedged ('i believe')" in items[0].text


def test_review_counted_as_pass_is_said_everywhere(tmp_path: Path) -> None:
    outcome = _run(tmp_path, "pass")
    broker = next(c for c in outcome.gate.criteria if c.criterion == "broker_status")
    assert broker.reviews == 1 and broker.passed == 4  # the review now counts as a pass
    assert gate_table(outcome.gate).splitlines()[-1].endswith("counted as pass: broker_status 1")
    assert outcome.surfaces is not None
    assert "counted as pass." in outcome.surfaces.summary.read_text(encoding="utf-8")
    doc = parse(outcome.report_path.read_text(encoding="utf-8"))
    assert "counts a result in review as a pass" in doc.by_id("review-queue").text
    assert len(doc.by_id("review-queue").find_all("li")) == 1
