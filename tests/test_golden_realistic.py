"""The realistic golden set: its Parquet splits are exactly its hand-written sources."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from harness.corpus.files import iter_cases
from harness.demo.golden_realistic import FILE_NAME, SPLITS, load_sources, split_of

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
