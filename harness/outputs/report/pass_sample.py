"""The quality-assurance sample: passing results drawn at random, shown with their evidence.

A green gate says nothing about the cases it passed, and a wrong pass is the costly mistake:
it lets a breach through unseen. So, per criterion, the report shows a seeded random sample
of passing results (``report.pass_sample`` per criterion, 10 by default) with the evidence the
scorer passed them on, for a reviewer to check; their marks become golden labels (see the
page script's review part and ``harness corpus label import``).

The draw is :meth:`~harness.store.database.RunStore.pass_sample`: the passing results ranked
by the SHA-256 of ``seed/criterion/case_id/repeat``, with the run id as the seed, so the same
run always shows the same sample and the draw can be repeated from ``results.parquet``.

>>> sampled = SampledPass.from_store_row(row)  # doctest: +SKIP
>>> sampled.case.failures[0]["status"]  # doctest: +SKIP
'passed'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from harness.outputs.report.views import CaseView, FailingCase, case_anchor


@dataclass(frozen=True)
class SampledPass:
    """One drawn passing result: its criterion, the criterion's passing count, and the case.

    The case is a :class:`FailingCase` whose one explained result is the sampled pass, so
    the report lays it out (redaction, evidence, highlights) exactly as a failing case.
    """

    criterion: str
    passing: int
    case: FailingCase

    @classmethod
    def from_store_row(cls, row: Mapping[str, Any]) -> SampledPass:
        """From a :meth:`~harness.store.database.RunStore.pass_sample` row."""
        criterion = str(row["criterion"])
        evidence = json.loads(row["evidence"]) if row.get("evidence") else {}
        case = FailingCase(
            case_id=row["case_id"],
            repeat=row["repeat"],
            tags=json.loads(row["tags"] or "{}"),
            facts=json.loads(row["facts"] or "{}"),
            turns=list(row["turns"] or []),
            failures=[
                {"criterion": criterion, "status": "passed", "evidence": evidence, "error": None}
            ],
            error=row.get("error"),
            statuses={criterion: "passed"},
        )
        return cls(criterion, int(row["passing"]), case)


@dataclass(frozen=True)
class PassSample:
    """What the report's sample section draws from: the size asked, the seed, the draw."""

    size: int
    seed: str
    drawn: list[SampledPass] = field(default_factory=list)


@dataclass(frozen=True)
class SampleGroup:
    """One criterion's part of the sample, as the report shows it."""

    criterion: str
    anchor: str
    passing: int  # the criterion's passing results in the run
    cases: list[CaseView]


def sample_anchor(group: int, case_id: str, repeat: int, repeats: int) -> str:
    """The HTML id of a sampled case: ``sample-<group>-<case>``, unique per criterion (the
    group is the criterion's position) and never a failing case's id.

    >>> sample_anchor(2, "pos-0003", 0, 1)
    'sample-2-pos-0003'
    """
    return f"sample-{group}-{case_anchor(case_id, repeat, repeats).removeprefix('case-')}"


def sample_groups(
    sample: PassSample,
    criteria: Sequence[str],
    view: Callable[[FailingCase], CaseView],
    repeats: int = 1,
) -> list[SampleGroup]:
    """Per criterion of ``criteria`` (in that order), its drawn cases as redacted views.

    A criterion with no passing result gets a group with no case (the report says so).
    """
    drawn: dict[str, list[SampledPass]] = {}
    for item in sample.drawn:
        drawn.setdefault(item.criterion, []).append(item)
    groups = []
    for number, criterion in enumerate(criteria):
        items = drawn.get(criterion, [])
        cases = [
            replace(
                view(item.case),
                anchor=sample_anchor(number, item.case.case_id, item.case.repeat, repeats),
            )
            for item in items
        ]
        passing = items[0].passing if items else 0
        groups.append(SampleGroup(criterion, f"sample-{number}", passing, cases))
    return groups
