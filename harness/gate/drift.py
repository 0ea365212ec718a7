"""Drift: one run against its baseline, paired on the same cases.

For each criterion the store counts the (case, repeat) pairs that passed in both runs,
flipped pass→fail or fail→pass, or failed in both; an exact McNemar test on the flips says
whether the change is more than chance, and the flipped cases are listed for the report.

>>> Regression.from_counts(both_pass=90, pass_to_fail=10, fail_to_pass=0, both_fail=0
... ).verdict
'significant_drop'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from harness.config.scenario import RegressionPolicy
from harness.stats.binomial import mcnemar_exact

RegressionVerdict = Literal["significant_drop", "significant_gain", "no_significant_change"]


class Flip(BaseModel):
    """A case whose verdict on one criterion changed between the baseline and this run."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    repeat: int
    direction: Literal["pass_to_fail", "fail_to_pass"]


class Regression(BaseModel):
    """One criterion against the baseline run, paired on the same case and repeat."""

    model_config = ConfigDict(frozen=True)

    both_pass: int
    pass_to_fail: int
    fail_to_pass: int
    both_fail: int
    p_value: float
    alpha: float
    verdict: RegressionVerdict
    fails_gate: bool = False
    flips: tuple[Flip, ...] = ()

    @property
    def pairs(self) -> int:
        return self.both_pass + self.pass_to_fail + self.fail_to_pass + self.both_fail

    @classmethod
    def from_counts(
        cls,
        *,
        both_pass: int,
        pass_to_fail: int,
        fail_to_pass: int,
        both_fail: int,
        alpha: float = 0.05,
        fail_on_significant_drop: bool = False,
        flips: tuple[Flip, ...] = (),
    ) -> Regression:
        """Exact McNemar on the discordant pairs; a drop is significant when p < ``alpha``.

        >>> Regression.from_counts(both_pass=90, pass_to_fail=10, fail_to_pass=0, both_fail=0
        ... ).verdict
        'significant_drop'
        """
        p = mcnemar_exact(pass_to_fail, fail_to_pass)
        verdict: RegressionVerdict = "no_significant_change"
        if p < alpha and pass_to_fail != fail_to_pass:
            verdict = "significant_drop" if pass_to_fail > fail_to_pass else "significant_gain"
        return cls(
            both_pass=both_pass,
            pass_to_fail=pass_to_fail,
            fail_to_pass=fail_to_pass,
            both_fail=both_fail,
            p_value=p,
            alpha=alpha,
            verdict=verdict,
            fails_gate=fail_on_significant_drop and verdict == "significant_drop",
            flips=flips,
        )


def regression_from_row(
    row: Mapping[str, Any] | None, policy: RegressionPolicy
) -> Regression | None:
    """The comparison of one criterion from the store's paired counts (None: no baseline)."""
    if row is None:
        return None
    return Regression.from_counts(
        both_pass=row["both_pass"],
        pass_to_fail=row["pass_to_fail"],
        fail_to_pass=row["fail_to_pass"],
        both_fail=row["both_fail"],
        alpha=policy.alpha,
        fail_on_significant_drop=policy.fail_on_significant_drop,
        flips=tuple(Flip(**f) for f in row["flips"] or ()),
    )
