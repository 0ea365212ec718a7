"""How every surface words a sequential run: when it was decided, intervals, what it saved.

The gate table (:mod:`harness.outputs.table`), summary.md and the PR comment
(:mod:`harness.outputs.github`) and the report each call these, so they say the same thing.

>>> sequential_verdict("open")
'not decided'
"""

from __future__ import annotations

from collections.abc import Callable

from harness.gate.policy import GateResult

_VERDICTS = {"fail": "FAIL", "pass": "pass", "open": "not decided"}


def sequential_verdict(decided: str) -> str:
    """A criterion's verdict in a sequential run that stopped early."""
    return _VERDICTS[decided]


def sequential_lines(gate: GateResult) -> list[str]:
    """Plain-text lines under the gate table: the stop, the savings, each whole-corpus interval."""
    summary = gate.sequential
    if summary is None:
        return []
    if summary.decided_after is None:
        return [f"sequential gate: {summary.words()}"]
    lines = [f"sequential gate: {summary.words()}; {summary.savings()}"]
    strata = summary.strata_words()
    if strata is not None:  # a stratified order: what each segment showed before the stop
        lines.append(f"  {strata}")
    for c in gate.criteria:
        if c.sequential is not None:
            lines.append(
                f"  {c.criterion}: {c.sequential.reason(c.passed, c.counted, c.threshold)}"
            )
    return lines


def sequential_markdown(gate: GateResult, cell: Callable[[object], str]) -> list[str]:
    """GitHub Markdown lines for summary.md and the PR comment (``cell`` escapes a cell)."""
    summary = gate.sequential
    if summary is None:
        return []
    if summary.decided_after is None:
        return ["", f"Sequential gate: {summary.words()}."]
    lines = [
        "",
        f"**Sequential gate: {summary.words()}**; {summary.savings()}. Cases not replayed "
        "are not run, not failures.",
        *([f"Stratified: {cell(summary.strata_words())}."] if summary.strata else []),
        "",
        "| Disclosure | Whole-corpus interval | Threshold | Decided |",
        "|---|---:|---:|---|",
    ]
    for c in gate.criteria:
        if c.sequential is not None:
            interval = f"{c.sequential.interval_low:.1%}-{c.sequential.interval_high:.1%}"
            decided = {"fail": "will fail", "pass": "will pass", "open": "not decided"}
            lines.append(
                f"| {cell(c.criterion)} | {interval} | {c.sequential.compared(c.threshold)} "
                f"| {decided[c.sequential.decided]} |"
            )
    lines += [
        "",
        f"Each interval covers its whole-corpus rate with probability at least "
        f"{summary.interval_confidence:.1%}; that any decided verdict differs from the full "
        f"replay's, at most {summary.alpha:.1%} (only one side of a criterion can be wrong).",
    ]
    return lines
