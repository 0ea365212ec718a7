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
    """One criterion in a sequential run: what was decided, and its whole-corpus interval.

    Under the ``lower_bound`` policy the interval is compared with a cut rather than the
    threshold: the rate at which the Wilson 95% lower bound over the full replay's counted
    results reaches the threshold (harness/stats/wilson_cut.py). That count is known only at
    the end, so the cut is a range: ``cut_low`` at the most results the full replay can
    count (``counted_high``), ``cut_high`` at those counted so far (``counted_low``).

    >>> fail = SequentialCriterion(decided="fail", interval_low=0.7, interval_high=0.93,
    ...     cut_low=0.9669, cut_high=0.98, counted_low=300, counted_high=640)
    >>> fail.compared(0.95)
    '95% (cut at least 96.7%)'
    >>> fail.words(0.95).split(" (")[0]
    'whole corpus 70.0%-93.0%; its rate will be below its lower-bound cut, at least 96.7%'
    """

    model_config = _FROZEN
    decided: Literal["fail", "pass", "open"]
    #: The confidence interval for the pass rate of the whole selected corpus.
    interval_low: float
    interval_high: float
    #: Under the lower_bound policy: the cut rates and counted results still possible.
    cut_low: float | None = None
    cut_high: float | None = None
    counted_low: int | None = None
    counted_high: int | None = None

    @classmethod
    def of(
        cls,
        decided: Literal["fail", "pass", "open"],
        interval: tuple[float, float],
        cuts: tuple[float, float, int, int] | None,
    ) -> SequentialCriterion:
        """From a verdict, an interval and (lower_bound) ``RateSequence.cut_range``."""
        low, high = interval
        if cuts is None:
            return cls(decided=decided, interval_low=low, interval_high=high)
        return cls(
            decided=decided,
            interval_low=low,
            interval_high=high,
            cut_low=cuts[0],
            cut_high=cuts[1],
            counted_low=cuts[2],
            counted_high=cuts[3],
        )

    def compared(self, threshold: float) -> str:
        """What the verdict compared: '95%', or under lower_bound '95% (cut at least 96.7%)'
        for a fail, '(cut at most ...)' for a pass, '(cut 96.7% to 98.0%)' while open."""
        if self.cut_low is None or self.cut_high is None:
            return f"{threshold:.0%}"
        if self.cut_low == self.cut_high:
            return f"{threshold:.0%} (cut {_rate(self.cut_low)})"
        if self.decided == "fail":
            return f"{threshold:.0%} (cut at least {_rate(self.cut_low)})"
        if self.decided == "pass":
            return f"{threshold:.0%} (cut at most {_rate(self.cut_high)})"
        return f"{threshold:.0%} (cut {_rate(self.cut_low)} to {_rate(self.cut_high)})"

    def words(self, threshold: float | None = None) -> str:
        """'whole corpus 70.3%-90.7%' style wording of the interval (and, with ``threshold``,
        what the verdict compared)."""
        interval = f"{self.interval_low:.1%}-{self.interval_high:.1%}"
        if self.decided == "open":
            found = f"whole corpus {interval}: not decided when the run stopped"
            if threshold is not None and self.cut_low is not None:
                found += (
                    f"; the lower-bound cut for {threshold:.0%} is {_rate(self.cut_low)} to "
                    f"{_rate(self.cut_high)} for the {self._counts()} counted results the "
                    "full replay can have"
                )
            return found
        if threshold is None:
            return f"whole corpus {interval}"
        relation = "below" if self.decided == "fail" else "at or above"
        if self.cut_low is None or self.cut_high is None:
            return f"whole corpus {interval}, {relation} {threshold:.0%}"
        # The verdict is the cut test's own (harness/stats/confidence_sequence.py,
        # advance_counts), not read off the interval: it says where the full replay's rate
        # lies against the cut at its own count, which is only known to lie in this range.
        if self.decided == "fail":
            bound, cut, counted, which = "at least", self.cut_low, self.counted_high, "most"
        else:
            bound, cut, counted, which = "at most", self.cut_high, self.counted_low, "fewest"
        return (
            f"whole corpus {interval}; its rate will be {relation} its lower-bound cut, "
            f"{bound} {_rate(cut)} (where a Wilson 95% lower bound over {counted:,} results, "
            f"the {which} the full replay can count, reaches {threshold:.0%})"
        )

    def _counts(self) -> str:
        if self.counted_low == self.counted_high:
            return f"{self.counted_low:,}"
        return f"{self.counted_low:,}-{self.counted_high:,}"

    def reason(self, passed: int, counted: int | None, threshold: float) -> str:
        """Why the criterion got its verdict, for the gate table and the CI surfaces."""
        rate = f"{passed / counted:.1%}" if counted else "n/a"
        seen = f"{rate} of {counted or 0} replayed results passed"
        return f"{seen}; {self.words(threshold)}"


def _rate(cut: float | None) -> str:
    """A cut rate: above 100% no count can reach it."""
    if cut is None:
        return "n/a"
    return "above 100%" if cut > 1 else f"{cut:.1%}"


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
    criteria: int = 1  # the criteria sharing alpha
    #: The case tag or fact the order was stratified by (None: one random order).
    stratify_by: str | None = None
    #: Per stratum, the cases of the decided prefix (a run stopped early and stratified).
    strata: tuple[StratumSeen, ...] = ()

    @property
    def interval_confidence(self) -> float:
        """How often each criterion's interval covers its whole-corpus rate, at least:
        ``1 - 2 alpha / criteria`` (each side runs at ``alpha / criteria``; the verdicts
        together are wrong with probability at most ``alpha``, see docs/statistics.md).

        >>> SequentialSummary(alpha=0.05, stop_on="fail", population=9, decided_after=None,
        ...                   replayed=9, calls_made=9, cost_usd=0.0,
        ...                   criteria=2).interval_confidence
        0.95
        """
        return 1 - 2 * self.alpha / max(self.criteria, 1)

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
