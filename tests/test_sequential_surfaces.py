"""How the gate table, summary.md, the PR comment, the report and the estimate word a
sequential run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.outputs.github import markdown_cell
from harness.outputs.table import gate_table
from harness.run.finish import RunOutcome, run_scenario
from harness.run.plan import load_plan
from harness.run.sequential import expected_saving
from harness.store.database import RunStore
from tests.test_sequential_run import CASES, _world
from tests.world import World

WORDS = re.compile(r"decided after (\d+) of 400 cases \((\d+)% of the calls, alpha 5%\)")


@pytest.fixture
def stopped(tmp_path: Path) -> tuple[World, RunOutcome]:
    world = _world(tmp_path / "w", silent_every=4)
    world.write_scenario(
        thresholds={"default": 0.95}, gate={"sequential": {"alpha": 0.05, "stop_on": "fail"}}
    )
    plan = load_plan(world.scenario)
    outcome = run_scenario(plan, out_dir=world.root / "out", db_path=world.root / "h.db")
    assert outcome is not None
    return world, outcome


def test_every_surface_says_when_it_was_decided_and_what_it_saved(
    stopped: tuple[World, RunOutcome],
) -> None:
    _, outcome = stopped
    summary = outcome.gate.sequential
    assert summary is not None and summary.decided_after is not None
    words = summary.words()
    found = WORDS.fullmatch(words)
    assert found is not None and int(found.group(1)) == summary.decided_after
    assert int(found.group(2)) == round(100 * summary.replayed / CASES)
    saved = summary.savings()
    assert saved.startswith("calls saved: about ") and "cost saved: about $0.00" in saved
    broker = {c.criterion: c for c in outcome.gate.criteria}["broker_status"]
    assert broker.sequential is not None
    interval = f"{broker.sequential.interval_low:.1%}-{broker.sequential.interval_high:.1%}"

    table = gate_table(outcome.gate)
    assert f"sequential gate: {words}; {saved}" in table
    assert f"whole corpus {interval}, below 95%" in table
    assert outcome.surfaces is not None
    for surface in (outcome.surfaces.summary, outcome.surfaces.pr_comment):
        text = surface.read_text(encoding="utf-8")
        assert f"**Sequential gate: {words}**; {saved}." in text
        assert f"| {markdown_cell('broker_status')} | {interval} | 95% | will fail |" in text
        # two criteria, each side at alpha / 2: each interval covers at 1 - 2 alpha / 2
        assert "covers its whole-corpus rate with probability at least 95.0%" in text
        assert markdown_cell(outcome.gate.headline(), 2000) in text
        assert outcome.gate.headline().endswith(f"(broker_status); {words}.")
    report = outcome.report_path.read_text(encoding="utf-8")
    assert 'id="sequential"' in report
    assert f"The verdict was known {words}" in report
    assert "covers that rate with a probability of at least 95.0%" in report
    assert (
        f"<td>{broker.sequential.interval_low:.1%} to {broker.sequential.interval_high:.1%}</td>"
        in report
    )


def test_the_estimate_gives_the_expected_saving_from_the_baseline_run(
    stopped: tuple[World, RunOutcome],
) -> None:
    world, outcome = stopped
    plan = load_plan(world.scenario)
    with RunStore(world.root / "h.db") as store:
        like_failing = expected_saving(plan, store, outcome.run_id, orderings=20)
    assert like_failing is not None
    # its replayed cases fail broker_status as often as the corpus: every order stops early
    assert like_failing.stopped == 1.0 and like_failing.share_of_calls < 0.5
    assert like_failing.words().startswith(
        f"sequential gate: a candidate scoring like {outcome.run_id} would stop early in 100% "
        "of 20 random orders"
    )
    world.write_scenario(thresholds={"default": 0.5})  # no sequential gate: nothing to say
    with RunStore(world.root / "h.db") as store:
        assert expected_saving(load_plan(world.scenario), store, outcome.run_id) is None


def test_against_a_baseline_only_the_replayed_cases_are_paired(tmp_path: Path) -> None:
    world = _world(tmp_path / "w", silent_every=4)
    world.write_scenario("base", thresholds={"default": 0.5})
    db = world.root / "h.db"
    base = run_scenario(
        load_plan(world.root / "scenarios" / "base.yaml"), out_dir=world.root / "b", db_path=db
    )
    assert base is not None
    world.write_scenario(
        thresholds={"default": 0.95},
        gate={"sequential": {"stop_on": "fail"}, "regression": {"fail_on_significant_drop": True}},
        baseline={"scenario": "base"},
    )
    outcome = run_scenario(load_plan(world.scenario), out_dir=world.root / "c", db_path=db)
    assert outcome is not None and outcome.gate.baseline_run_id == base.run_id
    summary = outcome.gate.sequential
    assert summary is not None and summary.decided_after is not None
    for c in outcome.gate.criteria:
        # the same agent answers: no replayed case flipped, and the cases never replayed
        # are not "pass to fail" flips (the gate would fail on a significant drop)
        assert c.regression is not None
        assert (c.regression.pass_to_fail, c.regression.fail_to_pass) == (0, 0)
        assert c.regression.pairs == c.counted
        assert not c.regression.fails_gate
