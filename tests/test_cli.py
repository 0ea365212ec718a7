"""The ``harness`` command: exit statuses and messages, run in a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.errors import ExitStatus
from tests.world import World


def _harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_run_passes_with_exit_0_and_prints_the_table(world: World) -> None:
    done = _harness("run", str(world.scenario), "--out", "out", "--db", "h.duckdb", cwd=world.root)
    assert done.returncode == 0, done.stderr
    assert "PASSED: all 2 criteria met their thresholds." in done.stdout
    assert "broker_status" in done.stdout and "3/5" in done.stdout
    assert (world.root / "out" / "report.html").is_file()
    # Nothing but the harness's own lines: the replay freezes the collector while it runs
    # (harness.run.process._settled_heap) and must unfreeze it, or DuckDB reports leaks at exit.
    assert "leaked" not in done.stderr, done.stderr


def test_run_below_threshold_exits_1(world: World) -> None:
    world.write_scenario(thresholds={"default": 0.9})
    done = _harness("run", str(world.scenario), "--out", "o", "--db", "h.duckdb", cwd=world.root)
    assert done.returncode == 1
    assert "FAILED: 2 of 2 criteria below threshold (broker_status, apr)." in done.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"modle": {}}, "unknown key 'modle' (did you mean 'model'?)"),
        (
            {"model": {"provider": "ofline", "id": "x"}},
            "field 'model.provider': unknown provider 'ofline' (did you mean 'offline'?)",
        ),
        (
            {"model": {"provider": "recorded", "id": "x", "options": {"temperature": 1}}},
            "model.options: unknown key 'temperature'",
        ),
        (
            {"disclosures": {"versions": {"comission": 1}}},
            "field 'disclosures.versions': unknown disclosure 'comission'",
        ),
        (
            {"disclosures": {"versions": {"apr": 7}}},
            "disclosure 'apr' has no version 7; known versions: 1, 2",
        ),
        (
            {"thresholds": {"default": 1.5}},
            "field 'thresholds.default': Input should be less than or equal to 1",
        ),
        ({"corpus": {"paths": ["../missing"]}}, "field 'corpus.paths': "),
    ],
    ids=[
        "unknown-key",
        "unknown-provider",
        "bad-options",
        "unknown-disclosure",
        "unknown-version",
        "threshold-range",
        "missing-corpus",
    ],
)
def test_bad_configuration_exits_2_with_a_precise_message(
    world: World, change: dict[str, Any], message: str
) -> None:
    world.write_scenario(**change)
    done = _harness("run", str(world.scenario), "--db", "h.duckdb", cwd=world.root)
    assert done.returncode == 2
    assert done.stderr.startswith("harness: error: ")
    assert str(world.scenario.name) in done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_template_variable_exits_2_naming_it(world: World) -> None:
    prompt = world.root / "scenarios" / "prompts" / "agent" / "v1.j2"
    prompt.write_text("Hello {{ facts.broker }} {{ customer_name }}")
    done = _harness("run", str(world.scenario), "--db", "h.duckdb", cwd=world.root)
    assert done.returncode == 2
    assert "v1.j2: template variable missing: 'customer_name' is undefined" in done.stderr
    assert "case case-001" in done.stderr


def test_missing_scenario_file_exits_2(tmp_path: Path) -> None:
    done = _harness("run", "nope.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "harness: error: nope.yaml: no such file\n"


def test_every_command_has_help(tmp_path: Path) -> None:
    from harness.cli.main import build_parser

    subparsers = build_parser()._subparsers
    assert subparsers is not None
    commands = list(subparsers._group_actions[0].choices or ())
    assert {"run", "demo", "estimate", "merge", "corpus", "calibrate", "history"} <= set(commands)
    for command in commands:
        done = _harness(command, "--help", cwd=tmp_path)
        assert done.returncode == 0, command
        assert f"usage: harness {command}" in done.stdout


def test_the_command_exits_without_teardown_yet_flushes_and_runs_its_exit_handlers(
    world: World,
) -> None:
    """`entry` skips the interpreter's teardown (seconds with the SDK loaded), not the
    output nor the atexit handlers (a coverage collector saves its data in one)."""
    marker = world.root / "handlers-ran"
    code = (
        "import atexit, sys\n"
        "from pathlib import Path\n"
        f"atexit.register(lambda: Path({str(marker)!r}).write_text('yes'))\n"
        "class Finalised:\n"
        "    def __del__(self):\n"
        "        print('torn down')\n"
        "kept = Finalised()\n"
        "from harness.cli.main import entry\n"
        f"sys.argv = ['harness', 'run', {str(world.scenario)!r}, '--db', 'h.db']\n"
        "entry()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=world.root, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "PASSED: all 2 criteria met their thresholds." in done.stdout
    assert done.stdout.splitlines()[-1].startswith("summary: reports/mini-")  # all flushed
    assert "torn down" not in done.stdout  # no module teardown: nothing was finalised
    assert marker.read_text() == "yes"
    # The run database was closed before the exit: checkpointed (no write-ahead log left
    # behind, which an unclosed DuckDB connection leaves) and holding the run.
    assert not (world.root / "h.db.wal").exists()
    from harness.store.database import RunStore

    with RunStore(world.root / "h.db") as store:
        run_id = store.latest_run("mini")
        assert run_id is not None
        assert store.case_count(run_id) == 5
    assert (world.root / "reports" / run_id / "report.html").is_file()


def test_a_reader_that_went_away_ends_the_command_quietly_with_141() -> None:
    """``harness ... | head`` closes the pipe early: no traceback, the shell's SIGPIPE status."""
    root = Path(__file__).resolve().parent.parent
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the command writes its first line
    try:
        done = subprocess.run(
            [sys.executable, "-m", "harness.cli", "disclosures", "check"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            cwd=root,
            timeout=120,
        )
    finally:
        os.close(write)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == ExitStatus.BROKEN_PIPE
    assert int(ExitStatus.BROKEN_PIPE) == 141  # what a shell reports for SIGPIPE
