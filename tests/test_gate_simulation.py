"""The gate-policy simulation behind docs/statistics.md, run small: what a green check proves."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from benchmarks.gate_policy_simulation import (
    BEGIN,
    DOC,
    DROPS,
    END,
    POLICIES,
    RATES,
    Simulation,
    gate_passes,
    main,
    recommended_cases,
    run_simulation,
    write_doc,
)
from harness.config.scenario import GatePolicy
from harness.golden.coverage import PowerSettings
from harness.stats.binomial import required_cases

SIZES = (50, 100, 600)
TRIALS = 600


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return run_simulation(trials=TRIALS, seed=11, sizes=SIZES, end_to_end=8)


def test_the_grid_holds_the_recommended_size_and_the_inconclusive_floor(sim: Simulation) -> None:
    assert sim.sizes == (50, 73, 100, 191, 600)
    assert (sim.recommended, sim.floor) == (191, 73)
    assert len(sim.cells) == len(POLICIES) * len(RATES) * len(sim.sizes)


@pytest.mark.parametrize(
    ("passed", "counted", "policy", "green"),
    [
        (95, 100, GatePolicy(), True),  # exactly at the threshold
        (94, 100, GatePolicy(), False),
        (95, 100, GatePolicy(policy="lower_bound"), False),  # lower bound 88.8%
        (100, 100, GatePolicy(policy="lower_bound"), True),  # lower bound 96.3%
        (50, 50, GatePolicy(), False),  # inconclusive below 73 cases fails ...
        (50, 50, GatePolicy(inconclusive_fails=False), True),  # ... unless told not to
        (48, 50, GatePolicy(policy="lower_bound", inconclusive_fails=False), True),
        (47, 50, GatePolicy(inconclusive_fails=False), False),  # below: fails at any count
    ],
)
def test_the_shortcut_is_the_gates_decision(
    passed: int, counted: int, policy: GatePolicy, green: bool
) -> None:
    assert gate_passes(passed, counted, policy) is green


def test_the_shortcut_agrees_with_the_real_gate_in_duckdb(sim: Simulation) -> None:
    a = sim.agreement
    assert a is not None
    assert a.disagreements == ()
    assert a.verdicts == 8 * len(POLICIES) + 8
    assert 0 < a.passing < a.verdicts  # both green and red verdicts were compared


def test_simulated_figures_match_the_exact_probabilities(sim: Simulation) -> None:
    far = [
        c
        for c in sim.cells
        if abs(c.share - c.exact) > 4.5 * c.stderr + 2 / c.trials  # 2 / trials: rare events
    ]
    assert far == []


def test_the_lower_bound_policy_almost_never_passes_a_90_percent_agent_at_600() -> None:
    for policy in ("lower", "lower-lenient"):
        cell = run_simulation(trials=2000, seed=5, sizes=[600], end_to_end=0).cell(
            policy, 0.90, 600
        )
        assert cell.share < 0.05 and cell.exact < 0.05


def test_the_point_policy_passes_a_99_percent_agent_from_the_recommended_size(
    sim: Simulation,
) -> None:
    for n in (n for n in sim.sizes if n >= sim.recommended):
        assert sim.cell("point", 0.99, n).share >= 0.97


def test_the_pass_probability_rises_with_the_true_rate(sim: Simulation) -> None:
    for named in POLICIES:
        for n in sim.sizes:
            cells = [sim.cell(named.key, p, n) for p in RATES]
            for worse, better in pairwise(cells):
                assert worse.exact <= better.exact + 1e-12, (named.key, n, worse.rate)
                noise = 3 * max(worse.stderr, better.stderr)
                assert worse.share <= better.share + noise, (named.key, n, worse.rate)


def test_an_agent_exactly_at_the_threshold_is_a_coin_toss_under_the_point_policy(
    sim: Simulation,
) -> None:
    for n in (n for n in sim.sizes if n >= sim.floor):
        assert 0.45 <= sim.cell("point", 0.95, n).exact <= 0.65
        assert sim.cell("lower", 0.95, n).exact <= 0.025  # the one-sided 97.5% bound


def test_without_inconclusive_failures_a_small_corpus_is_gated_on_the_point_estimate(
    sim: Simulation,
) -> None:
    for p in RATES:
        lenient = sim.cell("lower-lenient", p, 50)
        assert lenient.passes == sim.cell("point-lenient", p, 50).passes
        assert sim.cell("lower", p, 50).passes == sim.cell("point", p, 50).passes == 0
    assert sim.cell("lower-lenient", 0.90, 50).exact > 0.1 > sim.cell("lower", 0.90, 100).exact


def test_the_recommended_size_is_the_one_corpus_stats_prints_and_it_catches_the_bad_agent(
    sim: Simulation,
) -> None:
    settings = PowerSettings()
    assert recommended_cases() == required_cases(settings.p_good, settings.p_bad) == 191
    for named in POLICIES:  # at least the power the size was chosen for, under every policy
        cell = sim.cell(named.key, settings.p_bad, sim.recommended)
        assert cell.exact <= 1 - settings.power and cell.share <= 1 - settings.power
    text = DOC.read_text(encoding="utf-8")
    assert f"**{sim.recommended} applicable cases per disclosure**" in text
    assert f"| **{sim.recommended}** (recommended) |" in text


def test_the_paired_test_rarely_false_alarms_and_catches_a_5_point_drop(sim: Simulation) -> None:
    flagged = {(c.cases, c.drop): c.share for c in sim.regression}
    assert len(flagged) == len(sim.sizes) * len(DROPS)
    for n in sim.sizes:
        assert flagged[(n, 0.0)] <= 0.05 + 3 * (0.05 * 0.95 / TRIALS) ** 0.5
        assert flagged[(n, 0.0)] <= flagged[(n, 0.02)] <= flagged[(n, 0.05)]
    assert flagged[(600, 0.05)] >= 0.95
    assert flagged[(100, 0.02)] < 0.2  # a small drop on a small corpus goes unnoticed


def test_the_same_seed_gives_the_same_figures() -> None:
    def figures(seed: int) -> tuple[object, ...]:
        s = run_simulation(trials=200, seed=seed, sizes=[100], end_to_end=0)
        return (s.cells, s.regression)

    assert figures(3) == figures(3) != figures(4)


def test_the_doc_is_rewritten_between_its_markers(tmp_path: Path) -> None:
    doc = tmp_path / "statistics.md"
    doc.write_text(f"before\n{BEGIN}\nold table\n{END}\nafter\n", encoding="utf-8")
    write_doc(doc, "new table")
    write_doc(doc, "new table")
    assert doc.read_text(encoding="utf-8") == f"before\n{BEGIN}\nnew table\n{END}\nafter\n"
    doc.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="markers"):
        write_doc(doc, "new table")
    assert DOC.read_text(encoding="utf-8").count(BEGIN) == 1


def test_the_command_prints_the_tables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--trials", "100", "--seed", "2", "--sizes", "100", "--end-to-end", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Generated by `python benchmarks/gate_policy_simulation.py --trials 100 --seed 2 "
        "--sizes 100 --end-to-end 2`"
    )
    assert "| **191** (recommended) |" in out
    assert "4 of 4 verdicts" not in out and "10 of 10 verdicts" in out
