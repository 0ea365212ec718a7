"""The results file that may leave the machine: ``results-redacted.parquet``.

``results.parquet`` quotes what the agent said in each verdict's evidence, personal data
included, so it stays on the runner. Its redacted twin holds the same rows with the
evidence and errors redacted under the report's policy (names from the case facts, dates
of birth, emails, phone numbers, ...), is hashed in the manifest, and is what the CI
artifact carries (tests/test_ci_artifact.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from harness.corpus.cases import Case, GoldenLabel, Turn
from harness.run.finish import run_scenario
from harness.run.plan import load_plan
from harness.store.rows import RESULT_SCHEMA
from tests.world import build_world

PERSONAL = ("Grace", "grace.hopper@example.com", "07700 900123", "04/07/1981", "ZO\u00cb")


def _text(table: pa.Table) -> str:
    """Every string of the evidence (decoded) and every error of ``table``, joined."""

    def strings(item: object) -> list[str]:
        if isinstance(item, str):
            return [item]
        if isinstance(item, dict):
            return [s for v in item.values() for s in strings(v)]
        if isinstance(item, list):
            return [s for v in item for s in strings(v)]
        return []

    rows = table.select(["evidence", "error"]).to_pylist()
    evidence = [s for r in rows if r["evidence"] for s in strings(json.loads(r["evidence"]))]
    return "\n".join([*evidence, *(r["error"] for r in rows if r["error"])])


def _case(case_id: str, text: str, name: str = "Grace") -> Case:
    return Case(
        case_id=case_id,
        source="tests",
        tags={"channel": "online"},
        facts={"apr": 9.9, "broker": "Warm Homes Finance", "customer_first_name": name},
        turns=(
            Turn(role="customer", text="Hello"),
            Turn(role="agent", text=text),
            Turn(role="event", event="offer_presented"),
        ),
        labels=(GoldenLabel(disclosure_id="broker_status", applicable=True, presented=True),),
    )


def test_the_redacted_results_hold_every_row_and_no_personal_data(tmp_path: Path) -> None:
    said = (
        "Grace, we are the lender for grace.hopper@example.com on 07700 900123 with date of "
        "birth 04/07/1981, Representative 12.9% APR."
    )
    world = build_world(
        tmp_path / "w",
        cases=[
            _case("case-1", said),
            _case("case-2", "We are a credit broker, not a lender."),
            # A name that JSON escapes (\u00cb), said in capitals: still found.
            _case("case-3", "ZO\u00cb, we are the lender.", name="Zo\u00eb"),
        ],
    )
    outcome = run_scenario(
        load_plan(world.scenario), out_dir=tmp_path / "o", db_path=tmp_path / "h.db"
    )
    assert outcome is not None

    raw = pq.read_table(tmp_path / "o" / "results.parquet")
    redacted = pq.read_table(tmp_path / "o" / "results-redacted.parquet")
    assert redacted.schema.equals(raw.schema)
    assert redacted.schema.names == RESULT_SCHEMA.names
    # The same rows: only the text that quotes the case differs.
    text = ["evidence", "error"]
    assert redacted.drop_columns(text).equals(raw.drop_columns(text))
    raw_text = _text(raw)
    assert all(value in raw_text for value in PERSONAL)  # what the redaction must remove
    shown = _text(redacted)
    assert not [value for value in PERSONAL if value in shown], shown
    assert all(f"[{kind}]" in shown for kind in ("NAME", "EMAIL", "PHONE", "DATE_OF_BIRTH"))
    # Still evidence: the contradiction found is quoted, only the personal data replaced.
    assert "we are the lender" in shown
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text(encoding="utf-8"))
    assert "results-redacted.parquet" in manifest["outputs"]
    checked = subprocess.run(
        [sys.executable, "-m", "harness.cli", "verify", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
