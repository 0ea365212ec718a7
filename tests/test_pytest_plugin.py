"""The pytest plugin end to end with pytester: one item per case, real xdist workers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from harness.store.rows import TIMING_COLUMNS
from tests.world import World


def _run(pytester: pytest.Pytester, world: World, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "--harness-scenario",
        str(world.scenario),
        "--harness-db",
        str(world.root / "h.duckdb"),
        "-p",
        "no:cacheprovider",
        *args,
    )


def _rows(out: Path) -> list[dict[str, object]]:
    rows = pq.read_table(out / "results.parquet").to_pylist()
    return [{k: v for k, v in r.items() if k not in TIMING_COLUMNS | {"run_id"}} for r in rows]


def test_one_item_per_case_and_gate_decides_exit(pytester: pytest.Pytester, world: World) -> None:
    out = world.root / "out"
    result = _run(
        pytester, world, "-n", "2", "--harness-out", str(out), "--junitxml", str(out / "j.xml")
    )
    # case-003, -004 and -005 fail a disclosure, yet every pass rate meets the 50% threshold.
    result.assert_outcomes(passed=2, failed=3)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*replay gate: mini*",
            "broker_status*60.0%*3/5*50%*pass*",
            "apr*50.0%*2/4*50%*pass*",
            "PASSED: all 2 criteria met their thresholds.",
        ]
    )
    junit = (out / "j.xml").read_text()
    assert 'name="case-004"' in junit and "apr failed: wrong figure: apr stated 12.9" in junit
    for name in ("report.html", "results.parquet", "manifest.json"):
        assert (out / name).is_file()
    processes = {p.name.split("-results-")[0] for p in (out / "parts").glob("*-results-*.parquet")}
    assert processes == {"gw0", "gw1"}


def test_gate_failure_exits_1(pytester: pytest.Pytester, world: World) -> None:
    world.write_scenario(thresholds={"default": 0.95})
    result = _run(pytester, world, "-n", "2", "--harness-out", str(world.root / "out"))
    assert result.ret == 1
    result.stdout.fnmatch_lines(["FAILED: 2 of 2 criteria below threshold (broker_status, apr)."])


def test_n0_and_n2_give_identical_rows(pytester: pytest.Pytester, world: World) -> None:
    _run(pytester, world, "-n", "0", "--harness-out", str(world.root / "a"))
    _run(pytester, world, "-n", "2", "--harness-out", str(world.root / "b"))
    assert _rows(world.root / "a") == _rows(world.root / "b")
    assert len(_rows(world.root / "a")) == 10


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"scorers": ["disclosure_rulez"]},
            "*unknown scorer 'disclosure_rulez' (did you mean 'disclosure_rules'?)*",
        ),
        ({"prompt": {"name": "agent", "version": 9}}, "*prompt 'agent' version 9 not found*"),
        (
            {"thresholds": {"defualt": 0.9}},
            "*unknown key 'thresholds.defualt' (did you mean 'default'?)*",
        ),
    ],
)
def test_bad_configuration_exits_2(
    pytester: pytest.Pytester, world: World, change: dict[str, Any], message: str
) -> None:
    world.write_scenario(**change)
    result = _run(pytester, world, "-n", "2")
    assert result.ret == 2
    result.stderr.fnmatch_lines([f"*harness: error: {message}"])


def test_corrupt_corpus_exits_2_naming_the_file(pytester: pytest.Pytester, world: World) -> None:
    data = world.corpus_file.read_bytes()
    world.corpus_file.write_bytes(data[: len(data) // 2])
    result = _run(pytester, world, "-n", "2")
    assert result.ret == 2
    result.stderr.fnmatch_lines(["*harness: error: *cases.parquet: not a readable Parquet file*"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_plugin_is_inert_without_scenario(pytester: pytest.Pytester) -> None:
    """An unrelated suite: the entry point loads no replay, no DuckDB, no pyarrow."""
    pytester.makepyfile(
        test_plain="""
import sys

def test_ok():
    assert "harness.pytest.options" in sys.modules  # the entry point did load
    loaded = {"harness.pytest.plugin", "harness.run.plan", "duckdb", "pyarrow", "jinja2"}
    assert sorted(loaded & set(sys.modules)) == []
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "replay gate" not in result.stdout.str()


def test_a_suite_with_its_own_out_and_scenario_options_runs(pytester: pytest.Pytester) -> None:
    """The plugin's options are prefixed: a conftest's --out and --scenario do not collide."""
    pytester.makeconftest(
        """
def pytest_addoption(parser):
    parser.addoption("--out")
    parser.addoption("--scenario")
"""
    )
    pytester.makepyfile(
        test_mine="""
def test_mine(request):
    assert request.config.getoption("out") == "o"
    assert request.config.getoption("scenario") == "s"
"""
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--out", "o", "--scenario", "s"
    )
    result.assert_outcomes(passed=1)


def test_each_option_is_harness_run_s_with_the_prefix(pytester: pytest.Pytester) -> None:
    """One name for one thing: pytest's --harness-X is `harness run --X` (the scenario is
    run's positional argument), and both default to the same run database."""
    import re

    from harness.cli.main import build_parser
    from harness.pytest import options
    from harness.store import DEFAULT_DB

    shown = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--help").stdout.str()
    ours = sorted(set(re.findall(r"^\s+(--harness-[a-z-]+)", shown, flags=re.M)))
    assert ours == ["--harness-db", "--harness-out", "--harness-scenario", "--harness-shard"]
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert isinstance(commands, dict)
    run_flags = {f for action in commands["run"]._actions for f in action.option_strings}
    assert {o.removeprefix("--harness-") for o in ours} - {"scenario"} <= {
        f.removeprefix("--") for f in run_flags
    }
    assert str(DEFAULT_DB) == options.DEFAULT_DB
    assert f"(default: {DEFAULT_DB}; as `harness run --db`)" in " ".join(shown.split())


def test_config_error_midway_exits_2_and_keeps_results(
    pytester: pytest.Pytester, world: World
) -> None:
    # Only case-005 lacks the fact the prompt needs, so the pre-flight (first case) passes.
    from harness.corpus.files import write_cases
    from tests.world import default_cases

    cases = default_cases()
    last = cases[-1]
    cases[-1] = last.model_copy(update={"facts": {"apr": 9.9}})
    write_cases(world.corpus_file, cases)
    result = _run(pytester, world, "-n", "2", "--harness-out", str(world.root / "out"))
    assert result.ret == 2
    assert "case case-005" in result.stdout.str()
    assert "'dict object' has no attribute 'broker'" in result.stdout.str()
    parts = list((world.root / "out" / "parts").glob("*-results-*.parquet"))
    assert sum(pq.read_metadata(p).num_rows for p in parts) >= 2


def test_pytest_shards_merge_into_the_whole_run(pytester: pytest.Pytester, world: World) -> None:
    import subprocess
    import sys

    whole = world.root / "whole"
    _run(pytester, world, "-n", "2", "--harness-out", str(whole))
    shards = []
    for k in (1, 2):
        folder = world.root / f"shard{k}"
        result = _run(
            pytester, world, "-n", "2", "--harness-out", str(folder), "--harness-shard", f"{k}/2"
        )
        assert result.ret == 0
        result.stdout.fnmatch_lines([f"*shard {k}/2 of mini replayed into*"])
        shards.append(str(folder))
    merged = world.root / "merged"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.cli.main",
            "merge",
            *shards,
            "--out",
            str(merged),
            "--db",
            str(world.root / "h.duckdb"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "merged 2 shard(s) into run" in done.stdout
    assert _rows(merged) == _rows(whole)


def test_an_out_folder_holding_a_run_is_refused(pytester: pytest.Pytester, world: World) -> None:
    out = world.root / "out"
    assert _run(pytester, world, "--harness-out", str(out)).ret == 0
    held = pq.read_table(out / "results.parquet").column("run_id")[0].as_py()
    again = _run(pytester, world, "--harness-out", str(out))
    assert again.ret == 2
    assert (
        f"harness: error: {out}: this folder holds run {held} (finished, 5 cases committed); "
        "write this run to another --out, or delete the folder"
    ) in again.stderr.str() + again.stdout.str()
    assert len(pq.read_table(out / "results.parquet")) == 10


def test_another_xdist_scheduler_exits_2_instead_of_counting_a_case_twice(
    pytester: pytest.Pytester, world: World
) -> None:
    # Another plugin's scheduler (xdist's LoadScheduling here) sends items to any worker,
    # so a worker would replay a case it also prefetched as its own; the gate would count
    # that case twice. The worker must stop the session with status 2 and say why.
    pytester.makeconftest(
        """
import pytest
from xdist.scheduler import LoadScheduling

@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    return LoadScheduling(config, log)
"""
    )
    result = _run(pytester, world, "-n", "2", "--harness-out", str(world.root / "out"))
    assert result.ret == 2
    shown = result.stdout.str() + result.stderr.str()
    assert "assigned to another worker" in shown
    assert "pytest_xdist_make_scheduler" in shown
    assert "Traceback" not in shown
