"""How long the report's QA-sample draw takes on a large run, in the run database.

    python benchmarks/pass_sample_speed.py --cases 100000 --criteria 7

Fills a fresh DuckDB run store with one run of --cases cases times --criteria criteria (one
result in twenty failing, the others passing; a one-turn transcript per case), then times
:meth:`harness.store.database.RunStore.pass_sample` (10 per criterion, the run id as the
seed) three times and prints each, and the time of the SHA-256 over every passing result
alone, which the draw ranks by.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.store.database import RunStore  # noqa: E402

FILL = """
INSERT INTO results (run_id, case_id, "repeat", criterion, status, evidence)
SELECT 'run', 'c-' || lpad(i::VARCHAR, 7, '0'), 0, 'd' || j,
       CASE WHEN (i * 7 + j) % 20 = 0 THEN 'failed' ELSE 'passed' END, '{"reason": "ok"}'
FROM range($cases) t(i), range($criteria) u(j);
INSERT INTO transcripts (run_id, case_id, "repeat", tags, facts, turns)
SELECT 'run', 'c-' || lpad(i::VARCHAR, 7, '0'), 0, '{}', '{}',
       [{'role': 'customer', 'text': 'hello', 'event': NULL}]
FROM range($cases) t(i);
"""
HASHES = """
SELECT sum(length(sha256(concat_ws('/', run_id, criterion, case_id, "repeat"))))
FROM results WHERE run_id = 'run' AND status = 'passed'
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--criteria", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, RunStore(Path(tmp) / "h.duckdb") as store:
        con = store._con  # the benchmark fills the tables directly, as ingest would
        for statement in filter(str.strip, FILL.split(";")):
            wanted = {"cases": args.cases, "criteria": args.criteria}
            con.execute(statement, {k: v for k, v in wanted.items() if f"${k}" in statement})
        for _ in range(3):
            start = time.perf_counter()
            rows = store.pass_sample("run", size=10, seed="run")
            print(f"pass_sample: {len(rows)} rows in {time.perf_counter() - start:.2f} s")
        start = time.perf_counter()
        con.execute(HASHES).fetchall()
        print(f"SHA-256 of every passing result alone: {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
