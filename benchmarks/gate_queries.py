"""Gate and drift queries over 1,000,000 result rows, and a merge of 10 shards.

    python benchmarks/gate_queries.py --rows 1000000 --shards 10 --shard-rows 100000

Builds synthetic result parts (real Parquet, the harness's own schemas), then times, in
DuckDB through the harness's RunStore: ingesting the parts, the gate query, the paired
(baseline) query and the segment query; and separately the ingest of 10 shard folders
as one run (what `harness merge` does before gating). Median of --repeats runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from harness.store.database import RunStore
from harness.store.rows import RESULT_SCHEMA, TRANSCRIPT_SCHEMA

CRITERIA = [
    "broker_status",
    "commission",
    "representative_example",
    "soft_search",
    "right_to_withdraw",
    "vulnerability_support",
    "data_sharing",
]


def write_results(path: Path, run_id: str, cases: range, seed: int) -> None:
    n = len(cases) * len(CRITERIA)
    case_ids = [f"case-{c:07d}" for c in cases for _ in CRITERIA]
    criteria = CRITERIA * len(cases)
    statuses = [
        "passed" if (c * 7919 + k * 104729 + seed * 31) % 100 < 96 else "failed"
        for c in cases
        for k in range(len(CRITERIA))
    ]
    table = pa.table(
        {
            "run_id": [run_id] * n,
            "scenario": ["bench"] * n,
            "case_id": case_ids,
            "repeat": [0] * n,
            "criterion": criteria,
            "criterion_version": [1] * n,
            "status": statuses,
            "passed": [s == "passed" for s in statuses],
            "score": [1.0] * n,
            "evidence": [None] * n,
            "error": [None] * n,
            "seed": [1] * n,
            "model": ["m"] * n,
            "prompt": ["p"] * n,
            "duration_ms": [1.0] * n,
            **({"verdicts": [None] * n} if "verdicts" in RESULT_SCHEMA.names else {}),
        },
        schema=RESULT_SCHEMA,
    )
    pq.write_table(table, path)
    tags = [json.dumps({"channel": ["online", "phone", "in_home"][c % 3]}) for c in cases]
    columns = {name: [None] * len(cases) for name in TRANSCRIPT_SCHEMA.names}
    columns.update(
        run_id=[run_id] * len(cases),
        case_id=[f"case-{c:07d}" for c in cases],
        repeat=[0] * len(cases),
        tags=tags,
        facts=["{}"] * len(cases),
        turns=[[] for _ in cases],
    )
    pq.write_table(
        pa.table(columns, schema=TRANSCRIPT_SCHEMA),
        path.with_name(path.name.replace("-results-", "-transcripts-")),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--shards", type=int, default=10)
    parser.add_argument("--shard-rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    thresholds = dict.fromkeys(CRITERIA, 0.95)
    cases = args.rows // len(CRITERIA)
    timings: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for run in ("base", "cand"):
            (root / run).mkdir()
            write_results(root / run / f"p-results-{1:06d}.parquet", run, range(cases), len(run))
        shard_cases = args.shard_rows // len(CRITERIA)
        shard_files = []
        for k in range(args.shards):
            folder = root / f"shard{k}"
            folder.mkdir()
            path = folder / f"p-results-{k:06d}.parquet"
            write_results(path, f"s{k}", range(k * shard_cases, (k + 1) * shard_cases), k)
            shard_files.append(path)
        for attempt in range(args.repeats):
            with RunStore(root / f"h{attempt}.duckdb") as store:
                for run in ("base", "cand"):
                    files = {
                        "results": sorted((root / run).glob("*-results-*")),
                        "transcripts": sorted((root / run).glob("*-transcripts-*")),
                        "calls": [],
                    }
                    store.ingest_parts(run, files)
                began = time.perf_counter()
                store.gate_rows("cand", thresholds, errors_are_failures=True)
                store.paired_rows("cand", "base", errors_are_failures=True)
                store.segment_rows("cand", thresholds)
                timings.setdefault("gate+drift", []).append(time.perf_counter() - began)
                began = time.perf_counter()
                store.ingest_parts(
                    "merged",
                    {
                        "results": shard_files,
                        "transcripts": [
                            f.with_name(f.name.replace("-results-", "-transcripts-"))
                            for f in shard_files
                        ],
                        "calls": [],
                    },
                )
                store.gate_rows("merged", thresholds, errors_are_failures=True)
                timings.setdefault("merge+gate", []).append(time.perf_counter() - began)
    gate = statistics.median(timings["gate+drift"])
    merge = statistics.median(timings["merge+gate"])
    print(
        f"gate, paired and segment queries over {cases * len(CRITERIA):,} result rows "
        f"(against a baseline of as many): median {gate:.2f} s (target <= 3 s)"
    )
    print(
        f"merge of {args.shards} shards x {shard_cases * len(CRITERIA):,} results, then "
        f"the gate: median {merge:.2f} s (target <= 10 s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
