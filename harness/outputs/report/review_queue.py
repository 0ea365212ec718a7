"""The review queue: results the scorer was unsure of and nothing settled, per disclosure.

With the rules alone (or a judge that was not asked), a verdict the rules are unsure of is
``review``: a person decides it. The gate counts it as ``gate.review_counts_as`` says
(failing by default); the report lists each one under its disclosure with why the rules
were unsure, linked to the case, so a reviewer can work through them and label the cases.

>>> queue = review_queue(failing, anchors, policy)  # doctest: +SKIP
>>> [item.case_id for item in queue["commission"]]  # doctest: +SKIP
['c-017', 'c-102']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.config.redaction import RedactionPolicy, names_in_facts, redact
from harness.outputs.report.views import FailingCase

#: Items listed per disclosure; the rest are counted and found with the status filter.
QUEUE_LIMIT = 100


@dataclass(frozen=True)
class ReviewItem:
    """One result in review: the case, where the report shows it, and why it is unsure."""

    case_id: str
    repeat: int
    anchor: str
    reason: str  # redacted under the report's policy


def review_queue(
    failing: Sequence[FailingCase],
    anchors: Mapping[tuple[str, int], str],
    policy: RedactionPolicy,
) -> dict[str, list[ReviewItem]]:
    """Every ``review`` result of ``failing``, by criterion, in report order."""
    queue: dict[str, list[ReviewItem]] = {}
    for case in failing:
        names = None
        for failure in case.failures:
            if failure.get("status") != "review":
                continue
            if names is None:
                names = names_in_facts(case.facts, policy)
            evidence = failure.get("evidence") or {}
            reason = str(evidence.get("reason") or "the rules were not sure")
            queue.setdefault(str(failure["criterion"]), []).append(
                ReviewItem(
                    case.case_id,
                    case.repeat,
                    anchors[(case.case_id, case.repeat)],
                    redact(reason, policy, names=names, loose=True),
                )
            )
    return queue
