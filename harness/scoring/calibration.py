"""Calibration: how far each scorer's verdicts agree with people's golden labels.

Golden labels say, for a case as production recorded it, whether a disclosure applied and
whether it was presented. Each scorer (the rules; the judge where a disclosure is judged)
scores those same recorded turns, and per disclosure and scorer we report:

* ``cases``: labelled cases where the label says the disclosure applied;
* ``agreement``: the share where the scorer's verdict (passed / failed) matches the label;
* ``kappa``: Cohen's kappa of that agreement against chance (None when undefined: the
  labels and verdicts are all of one class);
* the confusion matrix: rows are the label (``passed``, ``failed``), columns the verdict
  (``passed``, ``failed``, ``other`` for not applicable or error, which never agree);
* ``applicability_mismatches`` (rules only): labelled cases where the rules' applicability
  differs from the label's.

A scenario may set ``scoring.judge.min_kappa``; a judged disclosure whose judge kappa is
below it (or undefined) is listed by :func:`floor_violations` and the gate is refused.

>>> rows = calibration_table([CalibrationEntry("c1", "commission", {"gold": "passed",
...     "rules": "passed"}), CalibrationEntry("c2", "commission", {"gold": "failed",
...     "rules": "failed"})])
>>> (rows[0].scorer, rows[0].cases, rows[0].agreement, rows[0].kappa)
('rules', 2, 1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.corpus.cases import Case
from harness.scoring.base import AnyScorer, ScoringCalls

GOLD = "gold"
_CLASSES = ("passed", "failed")
_SCORER_ORDER = {"rules": 0, "judge": 1}


@dataclass(frozen=True, slots=True)
class CalibrationEntry:
    """One labelled case and criterion: the label's status and each scorer's."""

    case_id: str
    criterion: str
    verdicts: Mapping[str, str]


@dataclass(frozen=True)
class CalibrationRow:
    """Agreement of one scorer with the golden labels on one criterion."""

    criterion: str
    scorer: str
    cases: int
    agreement: float | None
    kappa: float | None
    confusion: dict[str, dict[str, int]]
    applicability_mismatches: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "disclosure": self.criterion,
            "scorer": self.scorer,
            "cases": self.cases,
            "agreement": self.agreement,
            "kappa": self.kappa,
            "confusion": self.confusion,
            "applicability_mismatches": self.applicability_mismatches,
        }


async def collect_calibration(
    scorers: Sequence[AnyScorer], case: Case, calls: ScoringCalls
) -> dict[str, dict[str, str]]:
    """Every scorer's calibration entries for one labelled case, merged by criterion."""
    merged: dict[str, dict[str, str]] = {}
    for scorer in scorers:
        acalibrate = getattr(scorer, "acalibrate", None)
        calibrate = getattr(scorer, "calibrate", None)
        if acalibrate is not None:
            found = await acalibrate(case, calls)
        elif calibrate is not None:
            found = calibrate(case)
        else:
            continue
        for criterion, entry in found.items():
            merged.setdefault(criterion, {}).update(entry)
    return merged


def calibration_table(entries: Iterable[CalibrationEntry]) -> list[CalibrationRow]:
    """One row per criterion and scorer, criteria in first-seen order, rules before judge."""
    by_key: dict[tuple[str, str], list[tuple[str, str]]] = {}
    order: dict[str, int] = {}
    for entry in entries:
        gold = entry.verdicts.get(GOLD)
        if gold is None:
            continue
        order.setdefault(entry.criterion, len(order))
        for scorer, verdict in entry.verdicts.items():
            if scorer != GOLD:
                by_key.setdefault((entry.criterion, scorer), []).append((gold, verdict))
    keys = sorted(by_key, key=lambda k: (order[k[0]], _SCORER_ORDER.get(k[1], 9), k[1]))
    return [_row(criterion, scorer, by_key[(criterion, scorer)]) for criterion, scorer in keys]


def _row(criterion: str, scorer: str, pairs: list[tuple[str, str]]) -> CalibrationRow:
    confusion = {g: {"passed": 0, "failed": 0, "other": 0} for g in _CLASSES}
    mismatches = 0
    for gold, verdict in pairs:
        predicted = verdict if verdict in _CLASSES else "other"
        if gold in _CLASSES:
            confusion[gold][predicted] += 1
        if (gold == "not_applicable") != (verdict == "not_applicable"):
            mismatches += 1
    agreement, kappa, cases = cohen_kappa(confusion)
    return CalibrationRow(
        criterion=criterion,
        scorer=scorer,
        cases=cases,
        agreement=agreement,
        kappa=kappa,
        confusion=confusion,
        applicability_mismatches=mismatches if scorer == "rules" else None,
    )


def cohen_kappa(
    confusion: Mapping[str, Mapping[str, int]],
) -> tuple[float | None, float | None, int]:
    """(agreement, kappa, n) of a confusion matrix {gold: {verdict: count}}.

    >>> cohen_kappa({"passed": {"passed": 20, "failed": 5}, "failed": {"passed": 10, "failed": 15}})
    (0.7, 0.4, 50)
    """
    golds = list(confusion)
    verdicts = sorted({v for row in confusion.values() for v in row} | set(golds))
    n = sum(sum(row.values()) for row in confusion.values())
    if n == 0:
        return None, None, 0
    agree = sum(confusion[g].get(g, 0) for g in golds)
    p_o = agree / n
    gold_share = {c: sum(confusion.get(c, {}).values()) / n for c in verdicts}
    verdict_share = {c: sum(row.get(c, 0) for row in confusion.values()) / n for c in verdicts}
    p_e = sum(gold_share[c] * verdict_share[c] for c in verdicts)
    if p_e >= 1.0:
        return round(p_o, 4), None, n  # one class only: chance explains everything
    return round(p_o, 4), round((p_o - p_e) / (1 - p_e), 4), n


def floor_violations(
    rows: Sequence[CalibrationRow], min_kappa: float | None, *, source: str
) -> list[str]:
    """Why the gate must be refused: each judged criterion whose kappa misses the floor."""
    if min_kappa is None:
        return []
    problems = []
    for row in rows:
        if row.scorer != "judge":
            continue
        where = f"scoring.judge.min_kappa in {source}"
        if row.kappa is None:
            why = "no golden case" if row.cases == 0 else "undefined (the labels are all one class)"
            problems.append(
                f"the judge's kappa for '{row.criterion}' is {why} on {row.cases} golden cases, "
                f"so it cannot be shown to meet the floor {min_kappa:.2f} ({where}); label "
                "cases where it was and was not presented"
            )
        elif row.kappa < min_kappa:
            problems.append(
                f"the judge's kappa for '{row.criterion}' is {row.kappa:.2f} on {row.cases} "
                f"golden cases, below the floor {min_kappa:.2f} ({where}); improve its rubric, "
                "score it with mode: rules, or lower the floor"
            )
    return problems


def format_table(rows: Sequence[CalibrationRow]) -> str:
    """The calibration table as plain text, one line per disclosure and scorer."""
    header = (
        f"{'disclosure':<24} {'scorer':<6} {'cases':>5} {'agree':>7} {'kappa':>6}  "
        f"{'passed→p/f/o':>12}  {'failed→p/f/o':>12}  {'applicability':>13}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        agree = f"{r.agreement:.1%}" if r.agreement is not None else "n/a"
        kappa = f"{r.kappa:.3f}" if r.kappa is not None else "n/a"
        cells = [
            "/".join(str(r.confusion[g][v]) for v in ("passed", "failed", "other"))
            for g in _CLASSES
        ]
        applicability = (
            "n/a" if r.applicability_mismatches is None else f"{r.applicability_mismatches} differ"
        )
        lines.append(
            f"{r.criterion:<24} {r.scorer:<6} {r.cases:>5} {agree:>7} {kappa:>6}  "
            f"{cells[0]:>12}  {cells[1]:>12}  {applicability:>13}"
        )
    lines.append(
        "passed→p/f/o: cases labelled presented that the scorer passed / failed / other\n"
        "(not applicable or error); failed→p/f/o: the same for cases labelled not presented"
    )
    return "\n".join(lines)
