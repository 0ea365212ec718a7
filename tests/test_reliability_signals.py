"""Ctrl-C reaches the whole process group: the worker processes' forkserver too.

A terminal's Ctrl-C, and a process-group kill, signal every process of ``harness run --processes
2``: the command, the forkserver its workers are forked from, and the workers. The forkserver
imports the harness and the SDK first (seconds on a busy machine), and only then ignores
SIGINT; a worker ignores it only once it runs. A signal in between printed a traceback from
multiprocessing's forkserver, on the command's stderr, beside the one line of an interrupted
run. The command alone must answer the signal, whenever it comes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.errors import ExitStatus
from harness.testing import MessagesApiServer
from tests.world import World, build_world, make_case

KEY = "sk-ant-signals-0123456789"


def _children(pid: int) -> list[tuple[int, str]]:
    """The child processes of ``pid`` and their command lines (Linux ``/proc``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append((int(entry.name), cmdline))
    return found


def _sigint_disposition(pid: int) -> str:
    """``caught``, ``ignored`` or ``default``: what process ``pid`` does with SIGINT now."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "default"
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    bit = 1 << (signal.SIGINT - 1)
    if int(fields.get("SigCgt", "0"), 16) & bit:
        return "caught"
    return "ignored" if int(fields.get("SigIgn", "0"), 16) & bit else "default"


def _forkservers(pid: int) -> list[int]:
    """``pid``'s forkserver once it runs and has decided on SIGINT: Python installs its own
    handler (raising KeyboardInterrupt) as it starts, unless SIGINT was ignored already;
    the forkserver ignores it once it has imported what it preloads, seconds later."""
    return [
        child
        for child, line in _children(pid)
        if "forkserver" in line and _sigint_disposition(child) != "default"
    ]


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    cases = [
        make_case(f"case-{i:03d}", ["We are a credit broker"], distinct=True) for i in range(8)
    ]
    world = build_world(tmp_path_factory.mktemp("signals") / "w", cases=cases)
    world.write_scenario(
        model={"provider": "anthropic", "id": "claude-sonnet-4-6"},
        cache={"mode": "off"},
        concurrency=2,
    )
    return world


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_ctrl_c_while_the_forkserver_loads_prints_one_line_and_no_traceback(world: World) -> None:
    with MessagesApiServer(api_key=KEY) as server:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC")}
        env = {**clean, "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": server.base_url}
        args = ("--out", "o", "--db", "h.db", "--processes", "2")
        command = subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "run", str(world.scenario), *args],
            cwd=world.root,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, as a terminal's job is
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (forkservers := _forkservers(command.pid)):
            time.sleep(0.002)
        os.killpg(command.pid, signal.SIGINT)  # Ctrl-C: the whole group
        command.wait(timeout=60)
        # The forkserver goes with the command: left importing, it would hold the command's
        # output open (a CI step waits for it) and outlive a cancelled job's SIGTERM.
        time.sleep(0.5)
        assert [pid for pid in forkservers if _running(pid)] == []
        _out, err = command.communicate(timeout=60)
    assert command.returncode == ExitStatus.INTERRUPTED, err
    assert "Traceback" not in err, err
    assert err.splitlines()[-1].startswith("interrupted"), err
