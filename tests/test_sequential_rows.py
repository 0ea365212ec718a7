"""The rows a stopped sequential run writes for the cases it did not replay, pinned.

The demo candidate (``scenarios/demo-candidate-sequential.yaml``) decides after 80 of its
640 cases (after 96 when each side of a criterion ran at alpha / 2k); the cases left are
written ``not_run`` where a disclosure applies and ``not_applicable`` where it does not.
``tests/data/demo_stopped_not_run_rows.jsonl.gz`` holds those rows for the 544 cases left
after 96 (sorted, without the run id and timings) as the full scoring path wrote them before
deciding applicability for a skipped case was made cheap; this test keeps them so (a skipped
case's rows depend on the case alone, so the 544 are checked among today's 560).
After a deliberate change to the demo's corpus, disclosures or rules, regenerate the file
from a stopped run and say why in the commit.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from harness.run.finish import run_scenario
from harness.run.plan import load_plan

ROOT = Path(__file__).resolve().parent.parent
CANDIDATE = ROOT / "scenarios" / "demo-candidate-sequential.yaml"
PINNED = Path(__file__).parent / "data" / "demo_stopped_not_run_rows.jsonl.gz"
COLUMNS = (
    "case_id", "repeat", "criterion", "status", "criterion_version", "error", "verdicts",
    "evidence", "score", "passed", "seed",
)  # fmt: skip


def _not_replayed(results: Path) -> list[dict[str, Any]]:
    rows = pq.read_table(results).to_pylist()
    skipped = {r["case_id"] for r in rows if r["status"] == "not_run"}
    kept = [{c: r[c] for c in COLUMNS} for r in rows if r["case_id"] in skipped]
    return sorted(kept, key=lambda r: (r["case_id"], r["repeat"], r["criterion"]))


def test_a_stopped_runs_rows_for_the_cases_not_replayed_are_unchanged(tmp_path: Path) -> None:
    plan = load_plan(CANDIDATE, cache_mode="off")
    outcome = run_scenario(plan, out_dir=tmp_path / "out", db_path=tmp_path / "h.db")
    assert outcome is not None and outcome.gate.sequential is not None
    assert outcome.gate.sequential.decided_after == 80
    every = _not_replayed(tmp_path / "out" / "results.parquet")
    with gzip.open(PINNED, "rt", encoding="utf-8") as pinned_file:
        pinned = [json.loads(line) for line in pinned_file if line.strip()]
    assert len(every) == 560 * 7 and len(pinned) == 544 * 7
    pinned_cases = {r["case_id"] for r in pinned}
    found = [r for r in every if r["case_id"] in pinned_cases]
    statuses = {r["status"] for r in found}
    assert statuses == {"not_run", "not_applicable"}
    for got, want in zip(found, pinned, strict=True):
        assert got == want, f"{got['case_id']} {got['criterion']}: {got} != {want}"
