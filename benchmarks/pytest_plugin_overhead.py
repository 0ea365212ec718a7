"""What the installed pytest plugin costs a test suite that does not use it.

Runs a trivial suite (20 one-line tests) with ``python -m pytest`` in a fresh process, once
with the harness's entry point active and once with it disabled (``-p no:harness``, which
is what pytest sees when the package is not installed), alternating, and reports the median
wall time and the median peak resident memory (``ru_maxrss`` of each child) of each.

    python benchmarks/pytest_plugin_overhead.py --repeats 15

The machine is shared and noisy: compare the medians, not single runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(suite: Path, extra: list[str]) -> tuple[float, float]:
    """One pytest process over ``suite``: its wall time (s) and peak RSS (MiB)."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, str(suite)]
    started = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"pytest exited {child.returncode}: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        suite = Path(tmp) / "suite"
        suite.mkdir()
        (suite / "test_trivial.py").write_text(
            "".join(f"def test_{n}():\n    assert {n} == {n}\n\n" for n in range(20))
        )
        runs: dict[str, list[tuple[float, float]]] = {"with": [], "without": []}
        measure(suite, [])  # warm the file system cache
        for _ in range(args.repeats):
            runs["with"].append(measure(suite, []))
            runs["without"].append(measure(suite, ["-p", "no:harness"]))
    medians = {
        k: (statistics.median(w for w, _ in v), statistics.median(m for _, m in v))
        for k, v in runs.items()
    }
    for name, (wall, rss) in medians.items():
        print(
            f"{name:>8} the plugin: {wall:.3f} s, {rss:.1f} MiB peak RSS (median of {args.repeats})"
        )
    wall = medians["with"][0] - medians["without"][0]
    rss = medians["with"][1] - medians["without"][1]
    print(f"the plugin adds {wall * 1000:+.0f} ms and {rss:+.1f} MiB")


if __name__ == "__main__":
    main()
