"""What a sequential run decided, as the gate and every surface show it.

>>> summary = SequentialSummary(alpha=0.05, stop_on="fail", population=640, decided_after=96,
...                             replayed=100, calls_made=300, cost_usd=0.5)
>>> summary.words()
'decided after 96 of 640 cases (16% of the calls, alpha 5%)'
>>> summary.savings()
'calls saved: about 1,620 (84%), cost saved: about $2.70'
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

_FROZEN = ConfigDict(frozen=True)


class SequentialCriterion(BaseModel):
    """One criterion in a sequential run: what was decided, and its whole-corpus interval."""

    model_config = _FROZEN
    decided: Literal["fail", "pass", "open"]
    #: The confidence interval for the pass rate of the whole selected corpus.
    interval_low: float
    interval_high: float

    def words(self) -> str:
        """'whole corpus 70.3-90.7%: below 95%' style wording of the interval."""
        interval = f"{self.interval_low:.1%}-{self.interval_high:.1%}"
        if self.decided == "open":
            return f"whole corpus {interval}: not decided when the run stopped"
        return f"whole corpus {interval}"

    def reason(self, passed: int, counted: int | None, threshold: float) -> str:
        """Why the criterion got its verdict, for the gate table and the CI surfaces."""
        rate = f"{passed / counted:.1%}" if counted else "n/a"
        seen = f"{rate} of {counted or 0} replayed results passed"
        if self.decided == "open":
            return f"{seen}; {self.words()}"
        relation = "below" if self.decided == "fail" else "at or above"
        return f"{seen}; {self.words()}, {relation} {threshold:.0%}"


class StratumSeen(BaseModel):
    """In a stratified sequential run: how many of a stratum's cases the verdict rests on."""

    model_config = _FROZEN
    name: str
    seen: int
    size: int


class SequentialSummary(BaseModel):
    """What a sequential run did: when it was decided, and the calls and cost it saved."""

    model_config = _FROZEN
    alpha: float
    stop_on: Literal["fail", "decided"]
    population: int  # the cases selected
    decided_after: int | None  # cases of the random order read when the verdict was known
    replayed: int  # cases replayed (some beyond that prefix were in flight)
    calls_made: int
    cost_usd: float
    #: The case tag or fact the order was stratified by (None: one random order).
    stratify_by: str | None = None
    #: Per stratum, the cases of the decided prefix (a run stopped early and stratified).
    strata: tuple[StratumSeen, ...] = ()

    @property
    def share_of_calls(self) -> float:
        """The calls made as a share of a full replay's (estimated from the calls per case)."""
        return self.replayed / self.population if self.population else 1.0

    @property
    def calls_saved(self) -> int:
        if not self.replayed:
            return 0
        return round(self.calls_made * (self.population - self.replayed) / self.replayed)

    @property
    def cost_saved_usd(self) -> float:
        if not self.replayed:
            return 0.0
        return self.cost_usd * (self.population - self.replayed) / self.replayed

    def words(self) -> str:
        """'decided after 96 of 640 cases (15% of the calls, alpha 5%)', or why not."""
        alpha = f"alpha {self.alpha:.0%}" if self.alpha >= 0.01 else f"alpha {self.alpha:g}"
        if self.decided_after is None:
            return f"not decided early: all {self.population} cases replayed ({alpha})"
        return (
            f"decided after {self.decided_after} of {self.population} cases "
            f"({self.share_of_calls:.0%} of the calls, {alpha})"
        )

    def strata_words(self) -> str | None:
        """'every channel was seen: in_home 26 of 318, online 18 of 222, phone 8 of 100'."""
        if not self.strata:
            return None
        seen = ", ".join(f"{s.name} {s.seen:,} of {s.size:,}" for s in self.strata)
        unseen = [s.name for s in self.strata if s.seen == 0]
        if unseen:
            return f"stratified by {self.stratify_by}, not yet seen: {', '.join(unseen)}; {seen}"
        return f"every {self.stratify_by} was seen: {seen}"

    def savings(self) -> str:
        """'calls saved: about 1,480 (85%), cost saved: about $0.42'."""
        share = 1 - self.share_of_calls
        return (
            f"calls saved: about {self.calls_saved:,} ({share:.0%}), "
            f"cost saved: about ${self.cost_saved_usd:,.2f}"
        )
