"""Repeats and flakiness: the same case replayed k times with distinct seeds.

Per case and criterion: the pass fraction over the k repeats, pass^k (every repeat passed)
and whether the verdict flipped between repeats. A case whose verdict flipped is *flaky*:
the report lists every one. Per criterion: the mean pass rate, the pass^k rate and the
number of flaky cases, beside the gate's own figure (which follows the scenario's
``repeat_policy``).

>>> outcome = RepeatOutcome("c1", "commission", ("passed", "failed", "passed"))
>>> (outcome.pass_fraction, outcome.passed_all, outcome.flipped)
(0.6667, False, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RepeatOutcome:
    """One case and criterion over its repeats (not-applicable results left out)."""

    case_id: str
    criterion: str
    statuses: tuple[str, ...]

    @property
    def repeats(self) -> int:
        return len(self.statuses)

    @property
    def pass_fraction(self) -> float:
        return round(sum(s == "passed" for s in self.statuses) / len(self.statuses), 4)

    @property
    def passed_all(self) -> bool:
        return all(s == "passed" for s in self.statuses)

    @property
    def flipped(self) -> bool:
        return len(set(self.statuses)) > 1


@dataclass(frozen=True, slots=True)
class RepeatSummary:
    """One criterion over every repeated case."""

    criterion: str
    cases: int
    mean_pass_rate: float
    pass_k_rate: float
    flaky: int


@dataclass(frozen=True)
class RepeatReport:
    """Flaky cases and per-criterion figures of a run with repeats."""

    repeats: int
    summaries: tuple[RepeatSummary, ...]
    flaky: tuple[RepeatOutcome, ...]


def repeat_report(rows: Iterable[Mapping[str, Any]], repeats: int) -> RepeatReport:
    """From the store's per case and criterion statuses (``RunStore.repeat_outcomes``)."""
    outcomes = [RepeatOutcome(r["case_id"], r["criterion"], tuple(r["statuses"])) for r in rows]
    by_criterion: dict[str, list[RepeatOutcome]] = {}
    for outcome in outcomes:
        by_criterion.setdefault(outcome.criterion, []).append(outcome)
    summaries = tuple(
        RepeatSummary(
            criterion=criterion,
            cases=len(found),
            mean_pass_rate=round(sum(o.pass_fraction for o in found) / len(found), 4),
            pass_k_rate=round(sum(o.passed_all for o in found) / len(found), 4),
            flaky=sum(o.flipped for o in found),
        )
        for criterion, found in by_criterion.items()
    )
    flaky = tuple(
        sorted((o for o in outcomes if o.flipped), key=lambda o: (o.case_id, o.criterion))
    )
    return RepeatReport(repeats, summaries, flaky)
