"""Import without losing meaning: list metadata, RAG contexts and rejected duplicates.

Each test writes a real file in the other tool's own format (a promptfoo CSV test table, an
Inspect AI / OpenAI-evals JSONL of samples, a JSONL table) and imports it into a real
Parquet corpus with ``harness corpus import``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.corpus.files import iter_cases


def _import(tmp_path: Path, name: str, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "corpus",
            "import",
            name,
            "--out",
            "c.parquet",
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )


def test_promptfoo_list_metadata_stays_a_list_with_an_escaped_comma_inside_an_item(
    tmp_path: Path,
) -> None:
    table = (
        "question,__expected,__metadata:products[],__metadata:channel\n"
        'Is it 0%?,contains: no,"car finance,solar\\, heat pumps",web\n'
    )

    done = _import(tmp_path, "tests.csv", table)

    assert done.returncode == 0, done.stderr
    (case,) = iter_cases([tmp_path / "c.parquet"])
    assert json.loads(case.tags["products"]) == ["car finance", "solar, heat pumps"]
    assert case.tags["channel"] == "web"


def test_inspect_metadata_contexts_fill_the_case_s_contexts(tmp_path: Path) -> None:
    sample = {
        "id": "rag-1",
        "input": "What APR do you quote for a car loan?",
        "target": "Representative 9.9% APR.",
        "metadata": {
            "contexts": ["Representative 9.9% APR.", "We are a credit broker, not a lender."],
            "segment": "motor",
        },
    }

    done = _import(tmp_path, "samples.jsonl", json.dumps(sample) + "\n", "--format", "inspect")

    assert done.returncode == 0, done.stderr
    (case,) = iter_cases([tmp_path / "c.parquet"])
    assert case.contexts == (
        "Representative 9.9% APR.",
        "We are a credit broker, not a lender.",
    )
    assert case.tags == {"segment": "motor"}  # before: contexts became a tag too


def test_a_rejected_duplicate_keeps_its_whole_raw_record(tmp_path: Path) -> None:
    first = {"case_id": "c1", "text": "Hello, is this the lender?"}
    again = {"case_id": "c1", "text": "A different conversation under the same id", "n": 2}
    lines = "".join(json.dumps(r) + "\n" for r in (first, again))

    done = _import(tmp_path, "cases.jsonl", lines)

    assert done.returncode == 1, done.stdout + done.stderr
    (reject,) = [
        json.loads(line) for line in (tmp_path / "c.rejects.jsonl").read_text().splitlines()
    ]
    assert reject["line"] == 2
    assert reject["reason"].startswith("duplicate case_id 'c1'")
    assert reject["raw"] == again
