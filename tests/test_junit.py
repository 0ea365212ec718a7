"""junit.xml says what the gate says: green when it passes, failing exactly its failing criteria.

Each test reads the junit.xml of a real run (a Parquet corpus, DuckDB, the gate), except the
stopped run's, built from a gate value. The pytest plugin's short summary is checked with
pytester.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from harness.gate.policy import CriterionResult, GateResult
from harness.run.finish import run_scenario
from harness.run.plan import load_plan
from tests.world import World

APR_MISS = "case-004: apr failed: wrong figure: apr stated 12.9, the case says 9.9"


def _junit(world: World, tmp_path: Path, **changes: Any) -> ET.Element:
    scenario = world.write_scenario(**changes)
    outcome = run_scenario(load_plan(scenario), out_dir=tmp_path / "out", db_path=tmp_path / "h")
    assert outcome is not None and outcome.surfaces is not None
    return ET.parse(outcome.surfaces.junit).getroot()


def _counts(element: ET.Element) -> dict[str, str | None]:
    return {k: element.get(k) for k in ("tests", "failures", "errors", "skipped")}


def _outputs(root: ET.Element) -> dict[str, list[str]]:
    return {
        str(case.get("name")): (case.findtext("system-out") or "").splitlines()
        for case in root.iter("testcase")
    }


def test_a_passing_gate_with_failing_cases_is_a_green_file(world: World, tmp_path: Path) -> None:
    # case-003, -004 and -005 miss a disclosure; every pass rate meets its 50% threshold.
    root = _junit(world, tmp_path)

    for element in (root, *root.findall("testsuite")):
        assert _counts(element) == {"tests": "2", "failures": "0", "errors": "0", "skipped": "0"}
    cases = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert cases == [("mini.disclosures", "broker_status"), ("mini.disclosures", "apr")]
    assert root.find(".//failure") is None
    outputs = _outputs(root)
    assert outputs["apr"][0] == "pass rate 50.0% (2 of 4), threshold 50%, vs baseline n/a"
    assert outputs["apr"][1:] == ["2 case(s) missed it:", *outputs["apr"][2:]]
    assert APR_MISS in outputs["apr"]
    assert outputs["broker_status"][:2] == [
        "pass rate 60.0% (3 of 5), threshold 50%, vs baseline n/a",
        "2 case(s) missed it:",
    ]
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert {k: properties[k] for k in ("verdict", "model", "prompt")} == {
        "verdict": "pass",
        "model": "recorded:production",
        "prompt": "agent v1",
    }


def test_a_failing_gate_fails_exactly_its_failing_criteria(world: World, tmp_path: Path) -> None:
    root = _junit(world, tmp_path, thresholds={"default": 0.5, "criteria": {"apr": 0.9}})

    assert _counts(root) == {"tests": "2", "failures": "1", "errors": "0", "skipped": "0"}
    failed = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert failed == ["apr"]
    failure = root.find("testsuite/testcase[@name='apr']/failure")
    assert failure is not None
    assert failure.attrib == {
        "message": "50.0% of 4 applicable cases passed, below 90%",
        "type": "FAIL",
    }
    assert APR_MISS in _outputs(root)["apr"]


def test_a_run_that_stopped_is_an_error_even_when_every_rate_passes() -> None:
    from harness.outputs.junit import junit_xml

    rate = CriterionResult(
        criterion="apr",
        threshold=0.5,
        applicable=2,
        passed=2,
        failed=0,
        errors=0,
        pass_rate=1.0,
        verdict="pass",
        counted=2,
        needed=1,
    )
    stopped = "the cost budget of $1.00 was reached ($1.02 spent)"
    gate = GateResult(run_id="r", criteria=(rate,), stopped=(stopped,))

    root = ET.fromstring(junit_xml(gate, {"scenario": {"name": "s"}}, []).encode())

    assert _counts(root) == {"tests": "2", "failures": "0", "errors": "1", "skipped": "0"}
    error = root.find("testsuite/testcase[@name='gate']/error")
    assert error is not None
    assert (error.get("message"), error.text) == (gate.headline(), stopped)


def test_pytest_short_summary_names_the_disclosure_and_the_reason(
    pytester: pytest.Pytester, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # the summary line is cut at the terminal's width
    monkeypatch.delenv("CI", raising=False)  # (on CI it never is)
    result = pytester.runpytest_subprocess(
        "--harness-scenario",
        str(world.scenario),
        "--harness-db",
        str(world.root / "h.duckdb"),
        "--harness-out",
        str(world.root / "out"),
        "-p",
        "no:cacheprovider",
        "-n",
        "0",
        "-rf",
    )

    assert result.ret == 0  # the gate passes: the failing items are cases, not the verdict
    result.stdout.fnmatch_lines(
        [
            "*short test summary info*",
            "FAILED *mini.yaml::case-003 - broker_status failed: after the deadline: "
            "is_broker, not_lender; apr failed: after the deadline: apr",
            f"FAILED *mini.yaml::case-004 - {APR_MISS.split(': ', 1)[1]}",
        ]
    )
