"""The realistic golden set: its Parquet splits are exactly its hand-written sources."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from harness.corpus.files import iter_cases
from harness.demo.golden_realistic import FILE_NAME, SPLITS, load_sources, split_of
from harness.run.calibrate import calibrate_plan
from harness.run.plan import load_plan
from harness.scoring.calibration import GATED, Rate

ROOT = Path(__file__).parent.parent / "corpus" / "golden-realistic"
DISCLOSURES = Path(__file__).parent.parent / "scenarios" / "disclosures"


def test_the_splits_hold_every_source_case_once_in_the_split_its_id_hashes_to() -> None:
    sources = {c.case_id: c for c in load_sources(ROOT, DISCLOSURES)}
    seen = {}
    for split in SPLITS:
        for case in iter_cases([ROOT / split / FILE_NAME]):
            assert split_of(case.case_id) == split
            assert case == sources[case.case_id], f"{case.case_id}: rebuild the splits"
            seen[case.case_id] = split
    assert sorted(seen) == sorted(sources)


def test_every_demo_disclosure_has_25_labelled_cases_about_half_presented() -> None:
    cases = load_sources(ROOT, DISCLOSURES)
    focus = Counter(c.tags["focus"] for c in cases)
    assert min(focus.values()) >= 25 and len(focus) == 7, focus
    labels = [label for c in cases for label in c.labels]
    presented = sum(label.presented for label in labels)
    assert 0.35 <= presented / len(labels) <= 0.65
    assert all(label.note for label in labels), "every label carries its one-line reason"


SCENARIOS = Path(__file__).parent.parent / "scenarios"


def _gated_totals(split: str) -> tuple[Rate, Rate, Rate]:
    """Over every disclosure of ``split``, the offline default scoring's gated verdict:
    wrong passes of the labelled misses, sure verdicts of all, wrong ones of the sure."""
    rows = [
        r
        for r in calibrate_plan(load_plan(SCENARIOS / f"golden-realistic-{split}.yaml"))
        if r.scorer == GATED
    ]
    wrong_pass = Rate(sum(r.false_pass.count for r in rows), sum(r.false_pass.n for r in rows))
    sure = Rate(sum(r.sure.count for r in rows), sum(r.sure.n for r in rows))
    sure_wrong = Rate(sum(r.sure_wrong.count for r in rows), sum(r.sure_wrong.n for r in rows))
    return wrong_pass, sure, sure_wrong


def test_dev_split_has_no_wrong_pass_and_no_wrong_sure_verdict() -> None:
    """The split the phrase lists, opposites and cues were tuned on."""
    wrong_pass, sure, sure_wrong = _gated_totals("dev")
    assert (wrong_pass.count, sure_wrong.count) == (0, 0)
    assert (sure.value or 0) >= 0.665  # measured 733 of 1095


def test_test_split_holds_at_least_its_measured_level() -> None:
    """A regression guard on the split never tuned on, at the figures docs/scoring.md states
    (27 of 531 wrong passes, 53 of 752 sure verdicts wrong, 752 of 1101 verdicts sure): a
    change to the rules that lets more through fails here."""
    wrong_pass, sure, sure_wrong = _gated_totals("test")
    assert wrong_pass.n == 531 and wrong_pass.count <= 27
    assert sure_wrong.count <= 53
    assert (sure.value or 0) >= 0.68


@pytest.mark.xfail(
    strict=True,
    reason="issue 13's bars are not met on the test split (measured 5.1% wrong passes and "
    "7.0% of sure verdicts wrong); strict, so meeting them turns this test into a failure "
    "that asks for the xfail to be removed",
)
def test_test_split_meets_the_issues_bars() -> None:
    wrong_pass, sure, sure_wrong = _gated_totals("test")
    assert (wrong_pass.value or 0) <= 0.02
    assert (sure_wrong.value or 0) <= 0.02
    assert (sure.value or 0) >= 0.60
