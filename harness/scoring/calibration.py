"""Calibration: how far each scorer's verdicts, and the verdict the gate counts, agree with people.

Golden labels say, for a case as production recorded it, whether a disclosure applied and
whether it was presented. Each scorer (the rules; the judge where a disclosure is judged)
scores those same recorded turns, and so does the scenario's whole scoring path: the
``gated`` verdict is what the gate counts (the rules alone, the judge, their combination,
and ``review`` where nothing settled a doubt, counted as ``gate.review_counts_as`` says).
Per disclosure and scorer:

* ``cases``: labelled cases where the label says the disclosure applied;
* ``agreement`` and Cohen's ``kappa`` (None when undefined: all of one class);
* ``sensitivity`` (presented cases passed) and ``specificity`` (not presented, failed);
* the **wrong-pass rate** (labelled not presented, counted as passed) with its Wilson 95%
  interval: the costly mistake, a breach let through; and the wrong-fail rate;
* ``coverage``: the share of verdicts the scorer was sure of, and how often a sure verdict
  was wrong;
* the confusion matrix (rows: the label; columns: passed, failed, other);
* ``applicability_mismatches``: labelled cases where the scorer's applicability differs.

A scenario may set ``scoring.judge.min_kappa`` (a judged disclosure below it refuses the
gate) and ``calibration.min_cases`` / ``calibration.max_false_pass_rate`` (the gated
verdict needs that many labelled cases, and its wrong-pass rate at most that).

>>> rows = calibration_table([CalibrationEntry("c1", "commission", {"gold": "passed",
...     "rules": "passed"}), CalibrationEntry("c2", "commission", {"gold": "failed",
...     "rules": "failed"})])
>>> (rows[0].scorer, rows[0].cases, rows[0].agreement, rows[0].kappa)
('rules', 2, 1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.corpus.cases import Case
from harness.scoring.base import AnyScorer, ScoringCalls
from harness.stats.binomial import wilson_interval

GOLD = "gold"
GATED = "gated"
#: An entry's mark that its judge verdict came from the rules echo test double.
ECHO = "judge_echo"
ReviewRule = Literal["fail", "pass", "excluded"]
_CLASSES = ("passed", "failed")
_SCORER_ORDER = {"rules": 0, "judge": 1, GATED: 2}
_CERTAINTY = {"rules": "rules_certainty"}


@dataclass(frozen=True, slots=True)
class CalibrationEntry:
    """One labelled case and criterion: the label's status and each scorer's."""

    case_id: str
    criterion: str
    verdicts: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Rate:
    """``count`` of ``n``, with its Wilson 95% interval."""

    count: int
    n: int

    @property
    def value(self) -> float | None:
        return self.count / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.count, self.n)

    def words(self) -> str:
        if not self.n:
            return "n/a"
        return f"{self.count / self.n:.1%} ({self.count}/{self.n})"

    def as_json(self) -> dict[str, Any]:
        low, high = self.interval
        return {"count": self.count, "n": self.n, "rate": self.value, "low": low, "high": high}


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
    false_pass: Rate = field(default_factory=lambda: Rate(0, 0))
    false_fail: Rate = field(default_factory=lambda: Rate(0, 0))
    #: Verdicts the scorer was sure of, and those sure verdicts that were wrong.
    sure: Rate = field(default_factory=lambda: Rate(0, 0))
    sure_wrong: Rate = field(default_factory=lambda: Rate(0, 0))
    #: The judge's verdicts in it came from the rules echo test double, not a model.
    echo: bool = False

    @property
    def sensitivity(self) -> float | None:
        return None if self.false_fail.value is None else 1 - self.false_fail.value

    @property
    def specificity(self) -> float | None:
        return None if self.false_pass.value is None else 1 - self.false_pass.value

    def as_json(self) -> dict[str, Any]:
        return {
            "disclosure": self.criterion,
            "scorer": self.scorer,
            "cases": self.cases,
            "agreement": self.agreement,
            "kappa": self.kappa,
            "sensitivity": self.sensitivity,
            "specificity": self.specificity,
            "false_pass": self.false_pass.as_json(),
            "false_fail": self.false_fail.as_json(),
            "coverage": self.sure.as_json(),
            "sure_wrong": self.sure_wrong.as_json(),
            "confusion": self.confusion,
            "applicability_mismatches": self.applicability_mismatches,
            "judge_is_rules_echo": self.echo,
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


def counted_as(verdict: str, review_counts_as: ReviewRule) -> str | None:
    """A verdict as the gate counts it: ``review`` becomes a failure, a pass, or nothing."""
    if verdict != "review":
        return verdict
    return {"fail": "failed", "pass": "passed", "excluded": None}[review_counts_as]


def calibration_table(
    entries: Iterable[CalibrationEntry], *, review_counts_as: ReviewRule = "fail"
) -> list[CalibrationRow]:
    """One row per criterion and scorer, criteria in first-seen order, rules before judge
    before the gated verdict."""
    by_key: dict[tuple[str, str], list[tuple[str, str, bool]]] = {}
    order: dict[str, int] = {}
    echoed: set[str] = set()
    for entry in entries:
        gold = entry.verdicts.get(GOLD)
        if gold is None:
            continue
        order.setdefault(entry.criterion, len(order))
        if ECHO in entry.verdicts:
            echoed.add(entry.criterion)
        for scorer, verdict in entry.verdicts.items():
            if scorer in (GOLD, ECHO) or scorer.endswith("_certainty"):
                continue
            sure = _is_sure(scorer, verdict, entry.verdicts)
            counted = counted_as(verdict, review_counts_as) if scorer == GATED else verdict
            if counted is None:
                continue
            by_key.setdefault((entry.criterion, scorer), []).append((gold, counted, sure))
    keys = sorted(by_key, key=lambda k: (order[k[0]], _SCORER_ORDER.get(k[1], 9), k[1]))
    return [
        _row(criterion, scorer, by_key[(criterion, scorer)], echo=criterion in echoed)
        for criterion, scorer in keys
    ]


def _is_sure(scorer: str, verdict: str, verdicts: Mapping[str, str]) -> bool:
    if scorer == GATED:
        return verdict != "review"
    certainty = _CERTAINTY.get(scorer)
    return certainty is None or verdicts.get(certainty, "sure") == "sure"


def _row(
    criterion: str, scorer: str, pairs: list[tuple[str, str, bool]], *, echo: bool
) -> CalibrationRow:
    confusion = {g: {"passed": 0, "failed": 0, "other": 0} for g in _CLASSES}
    mismatches = sure = sure_wrong = 0
    for gold, verdict, is_sure in pairs:
        predicted = verdict if verdict in _CLASSES else "other"
        if gold in _CLASSES:
            confusion[gold][predicted] += 1
        if (gold == "not_applicable") != (verdict == "not_applicable"):
            mismatches += 1
        sure += is_sure
        sure_wrong += is_sure and verdict != gold
    agreement, kappa, cases = cohen_kappa(confusion)
    failed_row, passed_row = confusion["failed"], confusion["passed"]
    return CalibrationRow(
        criterion=criterion,
        scorer=scorer,
        cases=cases,
        agreement=agreement,
        kappa=kappa,
        confusion=confusion,
        # the judge reads only cases the rules found applicable: its count would mislead
        applicability_mismatches=None if scorer == "judge" else mismatches,
        false_pass=Rate(failed_row["passed"], sum(failed_row.values())),
        false_fail=Rate(passed_row["failed"] + passed_row["other"], sum(passed_row.values())),
        sure=Rate(sure, len(pairs)),
        sure_wrong=Rate(sure_wrong, sure),
        echo=echo and scorer != "rules",
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


def calibration_floor(
    rows: Sequence[CalibrationRow],
    criteria: Sequence[str],
    *,
    min_cases: int | None,
    max_false_pass_rate: float | None,
    source: str,
) -> list[str]:
    """What a scenario's calibration floor finds missing, per gated criterion."""
    if min_cases is None and max_false_pass_rate is None:
        return []
    gated = {r.criterion: r for r in rows if r.scorer == GATED}
    problems = []
    for criterion in criteria:
        row = gated.get(criterion)
        cases = row.cases if row is not None else 0
        if min_cases is not None and cases < min_cases:
            problems.append(
                f"'{criterion}' has {cases} labelled calibration case(s), fewer than "
                f"calibration.min_cases {min_cases} in {source}; label at least "
                f"{min_cases - cases} more (harness corpus label) in the calibration set"
            )
            continue
        rate = row.false_pass if row is not None else Rate(0, 0)
        if max_false_pass_rate is not None:
            if not rate.n:
                problems.append(
                    f"'{criterion}' has no labelled case where it was not presented, so its "
                    f"wrong-pass rate cannot be measured against calibration."
                    f"max_false_pass_rate {max_false_pass_rate:.1%} in {source}; label cases "
                    "where it was missed"
                )
            elif (rate.value or 0.0) > max_false_pass_rate:
                problems.append(
                    f"'{criterion}' lets through {rate.words()} of the labelled misses, above "
                    f"calibration.max_false_pass_rate {max_false_pass_rate:.1%} in {source}; "
                    "score it with a judge (combine: judge_confirms_passes) or fix its rules"
                )
    return problems


def format_table(rows: Sequence[CalibrationRow]) -> str:
    """The calibration table as plain text, one line per disclosure and scorer."""
    header = (
        f"{'disclosure':<24} {'scorer':<6} {'cases':>5} {'agree':>7} {'kappa':>6} "
        f"{'wrong pass':>15} {'wrong fail':>15} {'sure':>6} {'sure wrong':>11}  "
        f"{'passed→p/f/o':>12} {'failed→p/f/o':>12}  {'applicability':>13}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        agree = f"{r.agreement:.1%}" if r.agreement is not None else "n/a"
        kappa = f"{r.kappa:.3f}" if r.kappa is not None else "n/a"
        cells = [
            "/".join(str(r.confusion[g][v]) for v in ("passed", "failed", "other"))
            for g in _CLASSES
        ]
        sure = f"{r.sure.value:.0%}" if r.sure.value is not None else "n/a"
        applicability = (
            "n/a" if r.applicability_mismatches is None else f"{r.applicability_mismatches} differ"
        )
        lines.append(
            f"{r.criterion:<24} {r.scorer:<6} {r.cases:>5} {agree:>7} {kappa:>6} "
            f"{r.false_pass.words():>15} {r.false_fail.words():>15} {sure:>6} "
            f"{r.sure_wrong.words():>11}  {cells[0]:>12} {cells[1]:>12}  {applicability:>13}"
        )
    lines.append(
        "gated: the verdict the gate counts (review counted as the scenario says). wrong pass:\n"
        "labelled not presented, counted as passed; wrong fail: labelled presented, not passed;\n"
        "sure: verdicts the scorer was sure of; passed→p/f/o: cases labelled presented that\n"
        "it passed / failed / other (not applicable, error, review); failed→p/f/o: the same\n"
        "for cases labelled not presented"
    )
    echoed = sorted({r.criterion for r in rows if r.echo})
    if echoed:
        lines.append(ECHO_NOTE + ", ".join(echoed))
    return "\n".join(lines)


#: What every place showing a calibration against the rules echo test double says.
ECHO_NOTE = (
    "NOTE: the judge that answered is the rules echo test double (harness.testing.echo_judge), "
    "not a model: its rows and the gated rows that use it measure the plumbing, not a judge: "
)
