"""The scorer's own error beside a gated pass rate: what the gated verdict gets wrong on the
scenario's labelled calibration set, and the pass rate corrected for it.

>>> error = ScorerError(cases=20, false_pass=1, misses=10, false_fail=2, presentations=10)
>>> error.words()
'wrong pass 1/10, wrong fail 2/10 on 20 labelled cases'
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from harness.scoring.calibration import CalibrationRow
from harness.stats.misclassification import corrected_interval


class ScorerError(BaseModel):
    """What the gated verdict gets wrong on the labelled calibration set, and the pass rate
    corrected for it (Rogan–Gladen, conservative interval)."""

    model_config = ConfigDict(frozen=True)

    cases: int  # labelled cases where the disclosure applied
    false_pass: int  # labelled not presented, counted as passed
    misses: int  # labelled not presented
    false_fail: int  # labelled presented, not counted as passed
    presentations: int  # labelled presented
    corrected_low: float | None = None
    corrected_high: float | None = None
    #: Measured against the rules echo test double standing in for the judge, not a model.
    echo: bool = False

    @property
    def false_pass_rate(self) -> float | None:
        return self.false_pass / self.misses if self.misses else None

    @property
    def false_fail_rate(self) -> float | None:
        return self.false_fail / self.presentations if self.presentations else None

    def words(self) -> str:
        """ "wrong pass 0/53, wrong fail 2/56 on 119 labelled cases"."""
        return (
            f"wrong pass {self.false_pass}/{self.misses}, wrong fail "
            f"{self.false_fail}/{self.presentations} on {self.cases} labelled cases"
        )


def scorer_error(row: CalibrationRow, passed: int, counted: int) -> ScorerError:
    """The calibration row of a gated criterion as the gate shows it beside the pass rate."""
    low = high = None
    if counted:
        low, high = corrected_interval(
            passed,
            counted,
            false_pass=(row.false_pass.count, row.false_pass.n),
            false_fail=(row.false_fail.count, row.false_fail.n),
        )
    return ScorerError(
        cases=row.cases,
        false_pass=row.false_pass.count,
        misses=row.false_pass.n,
        false_fail=row.false_fail.count,
        presentations=row.false_fail.n,
        corrected_low=low,
        corrected_high=high,
        echo=row.echo,
    )
