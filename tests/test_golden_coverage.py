"""Coverage and power analysis: the demo corpus's figures, checked against harness.stats."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config.disclosures import load_registry
from harness.corpus.cases import Case, Turn
from harness.corpus.files import iter_cases
from harness.golden.coverage import PowerSettings, corpus_stats, detectable_rate, render_stats
from harness.stats.binomial import binomial_cdf, critical_count, required_cases

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = load_registry(ROOT / "scenarios" / "disclosures")
PINNED = [REGISTRY.pin(d, "latest") for d in REGISTRY.ids]
CASES = list(iter_cases([ROOT / "corpus" / "demo"]))


def test_the_demo_corpus_power_analysis() -> None:
    stats = corpus_stats(CASES, PINNED)
    assert stats.needed == required_cases(0.95, 0.90) == 191
    table = {d.disclosure_id: (d.applicable, d.enough, d.detectable) for d in stats.disclosures}
    assert table == {
        "broker_status": (640, True, 0.926),
        "commission": (413, True, 0.919),
        "data_sharing": (321, True, 0.913),
        "representative_example": (413, True, 0.919),
        "right_to_withdraw": (321, True, 0.913),
        "soft_search": (567, True, 0.924),
        "vulnerability_support": (75, False, 0.866),
    }
    assert [d.disclosure_id for d in stats.under_covered] == ["vulnerability_support"]
    assert stats.under_covered[0].short_by == 116
    assert (stats.cases, stats.labelled_cases) == (640, 180)
    assert stats.tags["vulnerable"] == {"no": 565, "yes": 75}
    assert stats.tag_applicable["vulnerable"]["yes"]["vulnerability_support"] == 75
    assert (stats.messages.min, stats.messages.max, stats.messages.median) == (4, 12, 10)
    assert sum(stats.messages.histogram.values()) == 640


def test_the_rendered_report_shows_the_power_table() -> None:
    text = render_stats(corpus_stats(CASES, PINNED))
    assert "the gate needs 191 applicable cases per disclosure" in text.replace("\n", " ")
    assert (
        "vulnerability_support   v1               75     191  NO (116 short)  95% vs 86.6%" in text
    )
    assert "Under-covered: vulnerability_support (75 of 191)." in text


@pytest.mark.parametrize("n", [40, 75, 169, 321])
def test_the_detectable_rate_is_where_the_power_reaches_80_percent(n: int) -> None:
    settings = PowerSettings()
    rate = detectable_rate(n, settings)
    assert rate is not None
    k = critical_count(n, 0.95, 0.05)
    assert binomial_cdf(k, n, rate) >= 0.8 > binomial_cdf(k, n, rate + 0.002)
    if n >= 169:  # from 169 cases the power against 90% first reaches 80%
        assert rate >= 0.90


def test_too_few_cases_detect_nothing_and_labels_are_counted() -> None:
    assert detectable_rate(0, PowerSettings()) is None
    case = Case(case_id="c", source="s", turns=[Turn(role="customer", text="hi")])
    stats = corpus_stats([case], PINNED, PowerSettings(p_bad=0.8))
    assert stats.needed == required_cases(0.95, 0.8)
    broker = next(d for d in stats.disclosures if d.disclosure_id == "broker_status")
    assert (broker.applicable, broker.labelled, broker.disagreements) == (1, 0, 0)
