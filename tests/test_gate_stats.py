"""The statistical gate: intervals, inconclusive criteria, policies, paired regression, segments."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from harness.config.scenario import GatePolicy, RegressionPolicy
from harness.gate.drift import Flip, Regression
from harness.gate.policy import GateResult, cases_for_threshold, evaluate_gate, judge_rate
from harness.outputs.table import gate_table
from harness.store.database import RunStore
from tests.gate_data import Statuses, load_run

CASES = [f"c{i}" for i in range(1, 9)]
TAGS = {
    c: {"channel": "phone", "hurried": "true"} if i < 4 else {"channel": "chat", "hurried": "false"}
    for i, c in enumerate(CASES)
}
BASELINE: Statuses = {(c, "commission"): "passed" for c in CASES} | {
    (c, "apr"): {"c1": "failed", "c3": "not_applicable"}.get(c, "passed") for c in CASES
}
CANDIDATE: Statuses = {
    (c, "commission"): "failed" if c in ("c1", "c2", "c3") else "passed" for c in CASES
} | {(c, "apr"): {"c2": "error", "c3": "not_applicable"}.get(c, "passed") for c in CASES}
THRESHOLDS = {"commission": 0.5, "apr": 0.5}


@pytest.mark.parametrize(
    ("threshold", "needed"),
    [(0.95, 73), (0.9, 35), (0.99, 381), (0.8, 16), (0.5, 4), (0.0, 1), (1.0, None)],
)
def test_cases_for_threshold(threshold: float, needed: int | None) -> None:
    assert cases_for_threshold(threshold) == needed


@pytest.mark.parametrize(
    ("passed", "counted", "threshold", "policy", "verdict", "low", "high", "needed"),
    [
        (95, 100, 0.90, GatePolicy(), "pass", 0.8882, 0.9785, 35),
        (95, 100, 0.95, GatePolicy(), "pass", 0.8882, 0.9785, 73),  # at the threshold
        (95, 100, 0.95, GatePolicy(policy="lower_bound"), "fail", 0.8882, 0.9785, 73),
        (100, 100, 0.95, GatePolicy(policy="lower_bound"), "pass", 0.963, 1.0, 73),
        (10, 10, 0.95, GatePolicy(), "inconclusive", 0.7225, 1.0, 73),
        (9, 10, 0.95, GatePolicy(), "fail", 0.5958, 0.9821, 73),  # short of it at any count
        (10, 10, 0.95, GatePolicy(min_cases=10), "pass", 0.7225, 1.0, 10),
        (20, 20, 0.90, GatePolicy(policy="lower_bound"), "inconclusive", 0.8389, 1.0, 35),
        (0, 0, 0.95, GatePolicy(), "no_cases", None, None, 73),
    ],
)
def test_judge_rate(
    passed: int,
    counted: int,
    threshold: float,
    policy: GatePolicy,
    verdict: str,
    low: float | None,
    high: float | None,
    needed: int | None,
) -> None:
    got = judge_rate(passed, counted, threshold, policy)
    rounded = (
        None if got.interval_low is None else round(got.interval_low, 4),
        None if got.interval_high is None else round(got.interval_high, 4),
    )
    assert (got.verdict, rounded, got.needed) == (verdict, (low, high), needed)


@pytest.mark.parametrize(
    ("b", "c", "alpha", "verdict", "p"),
    [
        (3, 10, 0.05, "no_significant_change", 0.0923),
        (10, 0, 0.05, "significant_drop", 0.002),  # 2 / 2**10
        (0, 8, 0.05, "significant_gain", 0.0078),  # 2 / 2**8
        (3, 0, 0.05, "no_significant_change", 0.25),
        (3, 0, 0.3, "significant_drop", 0.25),
        (0, 0, 0.05, "no_significant_change", 1.0),
    ],
)
def test_regression_verdict(b: int, c: int, alpha: float, verdict: str, p: float) -> None:
    r = Regression.from_counts(
        both_pass=5,
        pass_to_fail=b,
        fail_to_pass=c,
        both_fail=1,
        alpha=alpha,
        fail_on_significant_drop=True,
    )
    assert (r.verdict, round(r.p_value, 4), r.fails_gate) == (
        verdict,
        p,
        verdict == "significant_drop",
    )


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    s = RunStore(":memory:")
    load_run(s, tmp_path / "base", "base", BASELINE, TAGS)
    load_run(s, tmp_path / "cand", "cand", CANDIDATE, TAGS)
    return s


def test_paired_counts_and_flips_by_hand(store: RunStore) -> None:
    gate = evaluate_gate(
        store, "cand", THRESHOLDS, errors_are_failures=True, baseline_run_id="base"
    )
    regressions = {c.criterion: c.regression for c in gate.criteria}
    commission, apr = regressions["commission"], regressions["apr"]
    assert commission is not None and apr is not None
    assert (commission.both_pass, commission.pass_to_fail, commission.fail_to_pass) == (5, 3, 0)
    assert (commission.both_fail, round(commission.p_value, 12)) == (0, 0.25)  # 2 * (1/2)**3
    assert (apr.both_pass, apr.pass_to_fail, apr.fail_to_pass, apr.both_fail) == (5, 1, 1, 0)
    assert apr.p_value == 1.0
    assert [(name, f.case_id, f.direction) for name, f in gate.flipped] == [
        ("commission", "c1", "pass_to_fail"),
        ("apr", "c2", "pass_to_fail"),
        ("commission", "c2", "pass_to_fail"),
        ("commission", "c3", "pass_to_fail"),
        ("apr", "c1", "fail_to_pass"),
    ]
    assert commission.flips == (
        Flip(case_id="c1", repeat=0, direction="pass_to_fail"),
        Flip(case_id="c2", repeat=0, direction="pass_to_fail"),
        Flip(case_id="c3", repeat=0, direction="pass_to_fail"),
    )


def test_errors_left_out_of_pairs_when_they_do_not_count(store: RunStore) -> None:
    rows = store.paired_rows("cand", "base", errors_are_failures=False)
    apr = next(r for r in rows if r["criterion"] == "apr")
    assert (apr["both_pass"], apr["pass_to_fail"], apr["fail_to_pass"], apr["both_fail"]) == (
        5,
        0,
        1,
        0,
    )


def test_significant_drop_fails_even_above_threshold(store: RunStore) -> None:
    def gate_with(fail: bool) -> GateResult:
        policy = GatePolicy(regression=RegressionPolicy(fail_on_significant_drop=fail, alpha=0.3))
        return evaluate_gate(
            store,
            "cand",
            THRESHOLDS,
            errors_are_failures=True,
            baseline_run_id="base",
            policy=policy,
        )

    quiet, strict = gate_with(False), gate_with(True)
    assert [c.verdict for c in strict.criteria] == ["pass", "pass"]  # 62.5% and 85.7% >= 50%
    assert quiet.passed
    assert not strict.passed
    assert [c.criterion for c in strict.failing] == ["commission"]
    assert strict.headline() == (
        "FAILED: 1 of 2 criteria failed the gate (commission: significant drop against the "
        "baseline (McNemar p = 0.25))."
    )
    assert "FAIL (regression)" in gate_table(strict)


def test_inconclusive_fails_unless_the_scenario_says_otherwise(store: RunStore) -> None:
    thresholds = {"commission": 0.5, "apr": 0.8}  # apr: 6 of 7 counted, 16 needed
    failing = evaluate_gate(store, "cand", thresholds, errors_are_failures=True)
    lenient = evaluate_gate(
        store,
        "cand",
        thresholds,
        errors_are_failures=True,
        policy=GatePolicy(inconclusive_fails=False),
    )
    apr = failing.criteria[1]
    assert (apr.verdict, apr.counted, apr.needed) == ("inconclusive", 7, 16)
    assert apr.reason == (
        "inconclusive: 7 counted cases, 16 needed before a 80% threshold can be told apart "
        "from chance"
    )
    assert not failing.passed and lenient.passed
    assert failing.headline() == (
        "FAILED: 1 of 2 criteria failed the gate (apr: inconclusive, 7 of 16 cases needed)."
    )
    lines = gate_table(failing).splitlines()
    assert lines[0].split() == [
        "criterion",
        "pass",
        "rate",
        "95%",
        "interval",
        "passed/applicable",
        "threshold",
        "verdict",
    ]
    assert lines[3].split() == [
        "apr",
        "85.7%",
        "48.7-97.4%",
        "6/7",
        "80%",
        "FAIL",
        "(inconclusive)",
        "(1",
        "errors)",
        "(16",
        "cases",
        "needed)",
    ]


def test_segment_table_by_hand(store: RunStore) -> None:
    gate = evaluate_gate(store, "cand", THRESHOLDS, errors_are_failures=True)
    table = [
        (s.tag, s.value, s.criterion, s.passed, s.applicable, s.judgement.verdict)
        for s in gate.segments
    ]
    assert table == [
        ("channel", "chat", "commission", 4, 4, "pass"),
        ("channel", "chat", "apr", 4, 4, "pass"),
        ("channel", "phone", "commission", 1, 4, "fail"),
        ("channel", "phone", "apr", 2, 3, "inconclusive"),  # c3 not applicable; 4 needed
        ("hurried", "false", "commission", 4, 4, "pass"),
        ("hurried", "false", "apr", 4, 4, "pass"),
        ("hurried", "true", "commission", 1, 4, "fail"),
        ("hurried", "true", "apr", 2, 3, "inconclusive"),
    ]
    assert gate.passed  # segments are shown, not gated


def _python_pairs(base: Statuses, cand: Statuses) -> dict[str, Counter[str]]:
    pairs: dict[str, Counter[str]] = {}
    for key, now in cand.items():
        was = base.get(key)
        if was is None or "not_applicable" in (was, now):
            continue
        name = {(True, True): "both_pass", (True, False): "pass_to_fail"}
        name |= {(False, True): "fail_to_pass", (False, False): "both_fail"}
        pairs.setdefault(key[1], Counter())[name[(was == "passed", now == "passed")]] += 1
    return pairs


def _python_segments(
    statuses: Statuses, tags: dict[str, dict[str, str]]
) -> Counter[tuple[str, ...]]:
    counts: Counter[tuple[str, ...]] = Counter()
    for (case_id, criterion), status in statuses.items():
        if status == "not_applicable":
            continue
        for tag, value in tags[case_id].items():
            counts[(tag, value, criterion, "applicable")] += 1
            counts[(tag, value, criterion, "passed")] += status == "passed"
    return counts


def test_sql_agrees_with_pure_python_on_random_runs(tmp_path: Path) -> None:
    rng = random.Random(20261123)
    cases = [f"case-{i:03d}" for i in range(120)]
    criteria = ("commission", "apr", "soft_search")
    choices = ["passed"] * 8 + ["failed", "error", "not_applicable"]
    base = {(c, k): rng.choice(choices) for c in cases for k in criteria}
    cand = {(c, k): rng.choice(choices) for c in cases for k in criteria}
    tags = {
        c: {"product": rng.choice("ab"), "channel": rng.choice(["chat", "phone"])} for c in cases
    }
    with RunStore(":memory:") as store:
        load_run(store, tmp_path / "b", "b", base, tags)
        load_run(store, tmp_path / "c", "c", cand, tags)
        paired = store.paired_rows("c", "b", errors_are_failures=True)
        segments = store.segment_rows("c", dict.fromkeys(criteria, 0.9))
    expected = _python_pairs(base, cand)
    for row in paired:
        want = expected[row["criterion"]]
        got = {k: row[k] for k in ("both_pass", "pass_to_fail", "fail_to_pass", "both_fail")}
        assert got == {k: want[k] for k in got}
        assert len(row["flips"]) == want["pass_to_fail"] + want["fail_to_pass"]
    assert {r["criterion"] for r in paired} == set(expected)
    python = _python_segments(cand, tags)
    sql: Counter[tuple[str, ...]] = Counter()
    for r in segments:
        sql[(r["tag"], r["tag_value"], r["criterion"], "applicable")] = r["applicable"]
        sql[(r["tag"], r["tag_value"], r["criterion"], "passed")] = r["passed"]
    assert sql == python


def test_report_shows_interval_inconclusive_pairs_segments_and_flips(tmp_path: Path) -> None:
    from harness.run.finish import run_scenario
    from harness.run.plan import load_plan
    from tests.test_report import parse, run_world, table_rows
    from tests.world import build_world

    base = run_world(tmp_path / "base", name="base")
    assert base is not None
    world = build_world(tmp_path / "cand")
    world.write_scenario(baseline={"scenario": "base"}, thresholds={"default": 0.6})
    cand = run_scenario(
        load_plan(world.scenario),
        out_dir=tmp_path / "out",
        db_path=tmp_path / "base/harness.duckdb",
    )
    assert cand is not None
    html = cand.report_path.read_text(encoding="utf-8")
    doc = parse(html)
    assert ' style="' not in html
    # Only the report's own two scripts: the failing-case data block and the filter script.
    assert [s.attrs for s in doc.find_all("script")] == [
        {"type": "application/json", "id": "failing-data"},
        {},
    ]
    assert base.gate.passed
    assert table_rows(doc.by_id("criteria"))[0] == [
        "broker_status",
        "60.0%",
        "23.1%\u201388.2% Interval 23.1%\u201388.2%, threshold 60%",  # text, then the SVG title
        "3 / 5",
        "0",
        "60%",
        "Fail inconclusive: 5 cases, 6 needed",
        "wrong pass 0 of 0, wrong fail 2 of 5 (5 labelled)",
        "0.0% to 100.0%",
        "\u00b10.0 pts (was 60.0%)",
        "3 both pass, 0 pass\u2192fail, 0 fail\u2192pass, 2 both fail; p = 1: "
        "no significant change",
    ]
    assert table_rows(doc.by_id("segment-table")) == [
        [
            "channel = online",
            "broker_status",
            "75.0%",
            "30.1%\u201395.4%",
            "3 / 4",
            "60%",
            "inconclusive: 6 cases needed",
        ],
        ["channel = online", "apr", "50.0%", "15.0%\u201385.0%", "2 / 4", "60%", "Below threshold"],
        [
            "channel = phone",
            "broker_status",
            "0.0%",
            "0.0%\u201379.3%",
            "0 / 1",
            "60%",
            "Below threshold",
        ],
    ]
    assert [p.text for p in doc.by_id("flipped-cases").find_all("p")] == [
        f"No case changed verdict on any disclosure against the baseline run {base.run_id}."
    ]
    assert doc.by_id("verdict").find_all("li")[0].text == (
        "broker_status: inconclusive: 60.0% passed on only 5 counted cases; at least 6 are "
        "needed before a 60% threshold can be told apart from chance. An inconclusive "
        "disclosure fails the gate."
    )


def test_a_run_cut_short_counts_its_cases_not_run_as_not_passed(tmp_path: Path) -> None:
    """A budget, breaker or time bound stopped the run after 19 of 20 cases, all passed:
    the gate counts the 20th as not passed (19/20 below 0.96), so it cannot pass on what it
    reached; a case that did not apply stays out of the denominator."""
    store = RunStore(":memory:")
    statuses = {(f"c{i}", "commission"): "passed" for i in range(19)}
    statuses[("c19", "commission")] = "not_run"
    statuses[("c20", "commission")] = "not_applicable"
    tags: dict[str, dict[str, str]] = {f"c{i}": {} for i in range(21)}
    load_run(store, tmp_path / "cut", "cut", statuses, tags)
    gate = evaluate_gate(
        store, "cut", {"commission": 0.96}, errors_are_failures=True, stopped=("budget",)
    )
    commission = gate.criteria[0]
    assert (commission.applicable, commission.passed, commission.not_run) == (20, 19, 1)
    assert commission.pass_rate == 0.95 and not gate.passed
