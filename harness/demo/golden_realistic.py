"""The realistic golden set: hand-written conversations phrased the way current assistants write.

``corpus/golden-realistic/source/*.jsonl`` holds the conversations as written by hand (see
``WRITERS.md`` there): free paraphrase, markdown lists and tables, numbers in words,
hedging, disclosures split over turns, facts said only as questions, echoes or quotes of
what not to say, contradictions in fresh words, each with its compliant twin, and one
golden label per case (the focus disclosure) with a one-line reason.

This module imports them as they are (synthetic text: nothing to redact) and splits them by
a fixed hash of the case id into ``dev/`` (to tune phrase lists, opposites and cues on) and
``test/`` (never tuned on; its figures are what docs/scoring.md reports)::

    python -m harness.demo.golden_realistic --root corpus/golden-realistic

>>> split_of("gr-commission-001") in ("dev", "test")
True
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.config.disclosures import load_registry
from harness.corpus.cases import Case
from harness.corpus.files import write_cases
from harness.errors import ExitStatus, HarnessError
from harness.golden.importers import import_cases

SPLITS = ("dev", "test")
FILE_NAME = "cases.parquet"


def split_of(case_id: str) -> str:
    """``dev`` or ``test``: half each, by the SHA-256 of the case id, fixed for ever."""
    digest = hashlib.sha256(f"golden-realistic:{case_id}".encode()).digest()
    return SPLITS[digest[0] % 2]


def load_sources(root: Path, disclosures: Path) -> list[Case]:
    """Every case of ``root/source/*.jsonl``, checked against the disclosure registry."""
    sources = sorted((root / "source").glob("*.jsonl"))
    if not sources:
        raise HarnessError(f"{root / 'source'}: no .jsonl source files")
    report = import_cases(sources, registry=load_registry(disclosures), redaction=None)
    if report.rejects:
        first = report.rejects[0]
        raise HarnessError(f"{first.where}: {first.reason}")
    return sorted(report.cases, key=lambda c: c.case_id)


def build(root: Path, disclosures: Path) -> dict[str, int]:
    """Write ``root/<split>/cases.parquet`` for each split; the number of cases in each."""
    cases = load_sources(root, disclosures)
    counts = {}
    for split in SPLITS:
        chosen = [c for c in cases if split_of(c.case_id) == split]
        write_cases(root / split / FILE_NAME, chosen)
        counts[split] = len(chosen)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.demo.golden_realistic", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--root", type=Path, default=Path("corpus/golden-realistic"))
    parser.add_argument("--disclosures", type=Path, default=Path("scenarios/disclosures"))
    args = parser.parse_args(argv)
    try:
        counts = build(args.root, args.disclosures)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitStatus.USAGE
    print(", ".join(f"{split}: {n} cases" for split, n in counts.items()))
    return ExitStatus.PASSED


if __name__ == "__main__":
    sys.exit(main())
