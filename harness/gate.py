"""The gate: per criterion, pass rate against threshold, computed in DuckDB.

A failed gate is a result, not an exception: the CLI and the pytest plugin turn
:attr:`GateResult.passed` into exit status 0 or 1.

>>> with RunStore(":memory:") as store:  # doctest: +SKIP
...     gate = evaluate_gate(store, "run-1", {"commission": 0.95}, errors_are_failures=True)
>>> gate.failing  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict

from harness.store import RunStore

CriterionVerdict = Literal["pass", "fail", "no_cases"]


class CriterionResult(BaseModel):
    """One criterion's figures in one run."""

    model_config = ConfigDict(frozen=True)

    criterion: str
    threshold: float
    applicable: int
    passed: int
    failed: int
    errors: int
    pass_rate: float | None
    not_run: int = 0
    verdict: CriterionVerdict
    baseline_pass_rate: float | None = None

    @property
    def delta(self) -> float | None:
        if self.pass_rate is None or self.baseline_pass_rate is None:
            return None
        return self.pass_rate - self.baseline_pass_rate

    @property
    def reason(self) -> str:
        if self.verdict == "no_cases":
            return "no applicable case in the corpus selection: nothing was checked"
        rate = f"{self.pass_rate:.1%}" if self.pass_rate is not None else "n/a"
        relation = "at or above" if self.verdict == "pass" else "below"
        return (
            f"{rate} of {self.applicable} applicable cases passed, {relation} {self.threshold:.0%}"
        )


class GateResult(BaseModel):
    """The gate over a run: every criterion's figures and the overall verdict."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    criteria: tuple[CriterionResult, ...]
    baseline_run_id: str | None = None
    stopped: tuple[str, ...] = ()
    #: Why the gate was refused (a judge below its kappa floor): the figures stand, the
    #: verdict is a failure.
    refused: tuple[str, ...] = ()
    repeat_policy: Literal["mean", "pass_k"] = "mean"

    @property
    def passed(self) -> bool:
        return (
            not self.stopped
            and not self.refused
            and all(c.verdict == "pass" for c in self.criteria)
        )

    @property
    def failing(self) -> list[CriterionResult]:
        return [c for c in self.criteria if c.verdict != "pass"]

    @property
    def verdict(self) -> Literal["pass", "fail"]:
        return "pass" if self.passed else "fail"

    def headline(self) -> str:
        """The verdict in plain words, for a terminal, a summary or a report."""
        if self.refused:
            return f"NOT GATED (a failure): refusing to gate: {'; '.join(self.refused)}."
        if self.stopped:
            return (
                f"FAILED: the run stopped early ({'; '.join(self.stopped)}); "
                "cases not replayed count as failures."
            )
        if self.passed:
            return f"PASSED: all {len(self.criteria)} criteria met their thresholds."
        names = ", ".join(c.criterion for c in self.failing)
        count = f"{len(self.failing)} of {len(self.criteria)}"
        return f"FAILED: {count} criteria below threshold ({names})."


def evaluate_gate(
    store: RunStore,
    run_id: str,
    thresholds: Mapping[str, float],
    *,
    errors_are_failures: bool,
    baseline_run_id: str | None = None,
    stopped: tuple[str, ...] = (),
    repeat_policy: Literal["mean", "pass_k"] = "mean",
    refused: tuple[str, ...] = (),
) -> GateResult:
    """Compute the gate of ``run_id`` in the store, with deltas against ``baseline_run_id``.

    With repeats, ``repeat_policy`` ``pass_k`` gates the share of cases whose every repeat
    passed; ``mean`` the share of all (case, repeat) results.
    """
    rows = store.gate_rows(
        run_id, thresholds, errors_are_failures=errors_are_failures, repeat_policy=repeat_policy
    )
    baseline = store.pass_rates(baseline_run_id) if baseline_run_id else {}
    return GateResult(
        run_id=run_id,
        baseline_run_id=baseline_run_id,
        stopped=stopped,
        refused=refused,
        repeat_policy=repeat_policy,
        criteria=tuple(
            CriterionResult(
                criterion=r["criterion"],
                threshold=r["threshold"],
                applicable=r["applicable"],
                passed=r["passed"],
                failed=r["failed"],
                errors=r["errors"],
                not_run=r["not_run"],
                pass_rate=r["pass_rate"],
                verdict=r["verdict"],
                baseline_pass_rate=baseline.get(r["criterion"]),
            )
            for r in rows
        ),
    )
