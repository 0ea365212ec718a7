"""Stratified, seeded samples and splits."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from harness.config.disclosures import load_registry
from harness.corpus.files import iter_cases
from harness.golden.sampling import sample_cases, split_cases

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = load_registry(ROOT / "scenarios" / "disclosures")
PINNED = [REGISTRY.pin(d, "latest") for d in REGISTRY.ids]
CASES = list(iter_cases([ROOT / "corpus" / "demo"]))


def _share(cases: list, tag: str) -> dict[str, float]:  # type: ignore[type-arg]
    counts = Counter(c.tags[tag] for c in cases)
    return {k: round(v / len(cases), 2) for k, v in sorted(counts.items())}


def test_a_sample_is_stratified_and_seeded() -> None:
    sample = sample_cases(CASES, PINNED, size=160, by=("product", "channel"), seed=3)
    assert len(sample) == 160
    for tag in ("product", "channel", "vulnerable"):
        assert _share(sample, tag) == pytest.approx(_share(CASES, tag), abs=0.03)
    again = sample_cases(CASES, PINNED, size=160, by=("product", "channel"), seed=3)
    assert [c.case_id for c in again] == [c.case_id for c in sample]
    other = sample_cases(CASES, PINNED, size=160, by=("product", "channel"), seed=4)
    assert [c.case_id for c in other] != [c.case_id for c in sample]


def test_min_per_disclosure_tops_up_the_rare_disclosure() -> None:
    sample = sample_cases(CASES, PINNED, size=60, seed=1, min_per_disclosure=20)
    vulnerable = [c for c in sample if c.tags["vulnerable"] == "yes"]
    assert len(vulnerable) >= 20
    assert len(sample) == 60 + (20 - round(60 * 75 / 640))


def test_a_split_partitions_the_corpus() -> None:
    parts = split_cases(CASES, {"pr": 0.2, "nightly": 0.8}, PINNED, by=("product",), seed=0)
    pr, nightly = parts["pr"], parts["nightly"]
    assert (len(pr), len(nightly)) == (128, 512)
    assert not {c.case_id for c in pr} & {c.case_id for c in nightly}
    assert _share(pr, "product") == pytest.approx(_share(CASES, "product"), abs=0.02)
    with pytest.raises(ValueError, match="add up to at most 1"):
        split_cases(CASES, {"a": 0.7, "b": 0.7}, PINNED)
