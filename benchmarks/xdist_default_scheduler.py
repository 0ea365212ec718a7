"""What the pytest plugin's own xdist scheduler is for: the gate under xdist's default one.

Runs ``pytest --harness-scenario mini.yaml -n 2`` over the tests' five-case world twice,
once as shipped (``CaseScheduling``, harness/pytest/scheduling.py) and once with a one-hook
plugin that makes xdist use its default ``--dist load`` scheduler (``LoadScheduling``)
instead, and prints each run's exit status, each criterion's passed/applicable as the gate
counted it, and every case that more than one worker wrote results for.

    python benchmarks/xdist_default_scheduler.py

Under ``LoadScheduling`` a worker is sent items whose case another worker, chosen by the
case id's hash, already replays in its background prefetch. Replaying it again would have
both write it and the gate count it twice, so the worker refuses such an item: the session
stops with exit 2 and prints no verdict. An experiment, not a supported mode.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.world import build_world  # noqa: E402  (a small real world on disk)

LOAD_SCHEDULING = """\
import pytest
from xdist.scheduler import LoadScheduling


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    return LoadScheduling(config, log)
"""


def run(world: Path, name: str, extra: list[str], env: dict[str, str]) -> None:
    out = world / f"out-{name}"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "--harness-scenario", "scenarios/mini.yaml"),
            *("-n", "2", "--harness-db", f"{name}.duckdb", "--harness-out", str(out)),
            *("-p", "no:cacheprovider", *extra),
        ],
        cwd=world,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # The gate's own table, as the session printed it: criterion, rate, interval, passed/n.
    table = [line.split()[:4] for line in done.stdout.splitlines() if re.match(r"\w+ +\d", line)]
    writers: dict[str, set[str]] = collections.defaultdict(set)
    for part in (out / "parts").glob("*-results-*.parquet"):
        for row in pq.read_table(part, columns=["case_id"]).to_pylist():
            writers[row["case_id"]].add(part.name.split("-results-")[0])
    figures = ", ".join(f"{row[0]} {row[3]}" for row in table)
    twice = {case: sorted(w) for case, w in sorted(writers.items()) if len(w) > 1}
    print(f"{name:>15}: exit {done.returncode}; {figures}; written by two workers: {twice}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        world = build_world(Path(tmp) / "world").root
        plugins = Path(tmp) / "plugins"
        plugins.mkdir()
        (plugins / "load_scheduling.py").write_text(LOAD_SCHEDULING, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugins), str(ROOT)])}
        run(world, "CaseScheduling", [], env)
        run(world, "LoadScheduling", ["-p", "load_scheduling"], env)


if __name__ == "__main__":
    main()
