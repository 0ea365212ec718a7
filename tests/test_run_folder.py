"""A run's output folder: a folder that holds a run is never silently reused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from tests.world import World, build_world, make_case


def _harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def _failing_world(root: Path) -> World:
    """Twenty cases whose recorded agent never says a disclosure: a pass rate of 0."""
    cases = [make_case(f"case-{i:03d}", ["Hello", "Bye"]) for i in range(20)]
    world = build_world(root, cases=cases)
    world.write_scenario(name="candidate", thresholds={"default": 0.9})
    return world


def test_reusing_out_without_resume_is_refused_naming_the_run_and_the_ways_on(
    tmp_path: Path,
) -> None:
    passing = build_world(tmp_path / "passing")
    out = tmp_path / "out"
    first = _harness("run", str(passing.scenario), "--out", str(out), "--db", "h.db", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    held = pq.read_table(out / "results.parquet").column("run_id")[0].as_py()

    failing = _failing_world(tmp_path / "failing")
    scenario = str(failing.root / "scenarios" / "candidate.yaml")
    again = _harness("run", scenario, "--out", str(out), "--db", "h.db", cwd=tmp_path)
    assert again.returncode == 2, again.stdout
    assert again.stderr == (
        f"harness: error: {out}: this folder holds run {held} (finished, 5 cases committed); "
        "finish an unfinished run with --resume, write this run to another --out, or pass "
        "--overwrite to empty the folder first\n"
    )
    # Nothing was replayed into it: the old run is intact.
    assert pq.read_table(out / "results.parquet").column("run_id")[0].as_py() == held


def test_overwrite_empties_the_folder_so_the_gate_sees_one_run(tmp_path: Path) -> None:
    passing = build_world(tmp_path / "passing")
    out = tmp_path / "out"
    first = _harness("run", str(passing.scenario), "--out", str(out), "--db", "h.db", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    (out / "notes.txt").write_text("mine", encoding="utf-8")  # not the harness's: kept

    failing = _failing_world(tmp_path / "failing")
    scenario = str(failing.root / "scenarios" / "candidate.yaml")
    again = _harness(
        "run", scenario, "--out", str(out), "--db", "h.db", "--overwrite", cwd=tmp_path
    )
    assert again.returncode == 1, again.stderr
    assert "scenario candidate: 20 cases" in again.stdout
    assert "broker_status" in again.stdout and "0/20" in again.stdout
    results = pq.read_table(out / "results.parquet").to_pylist()
    assert len({r["run_id"] for r in results}) == 1
    assert len({r["case_id"] for r in results}) == 20
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_overwrite_and_resume_together_are_refused(world: World) -> None:
    done = _harness(
        "run", str(world.scenario), "--resume", "--overwrite", "--db", "h.db", cwd=world.root
    )
    assert done.returncode == 2
    assert done.stderr == (
        "harness: error: --overwrite empties the run folder and --resume finishes the run in "
        "it: choose one\n"
    )


def test_the_action_cannot_gate_over_a_previous_run_in_its_default_folder() -> None:
    import yaml

    action = yaml.safe_load(Path("action.yml").read_text(encoding="utf-8"))
    gate = next(s for s in action["runs"]["steps"] if s.get("id") == "gate")
    assert "--overwrite" in gate["run"]
