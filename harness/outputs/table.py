"""Plain-text summaries of a gate for terminals and CI logs."""

from __future__ import annotations

from harness.gate.policy import CriterionResult, GateResult

_VERDICT = {
    "pass": "pass",
    "fail": "FAIL",
    "no_cases": "FAIL (no cases)",
    "inconclusive": "inconclusive",
}


def interval_text(low: float | None, high: float | None) -> str:
    """A Wilson interval as ``94.1-98.3%`` (ASCII, for terminals); ``n/a`` without one."""
    if low is None or high is None:
        return "n/a"
    return f"{low * 100:.1f}-{high * 100:.1f}%"


def gate_table(gate: GateResult) -> str:
    """A fixed-width per-criterion table: pass rate, its Wilson 95% interval, cases,
    threshold, verdict and, with a baseline, the delta and the paired McNemar p-value.

    >>> print(gate_table(gate))  # doctest: +SKIP
    criterion              pass rate   95% interval  passed/applicable  threshold  verdict
    commission                 86.2%     82.2-89.4%            300/348        95%  FAIL
    """
    has_baseline = gate.baseline_run_id is not None
    width = max([len("criterion"), *(len(c.criterion) for c in gate.criteria)])
    header = (
        f"{'criterion':<{width}}  {'pass rate':>9}  {'95% interval':>12}  "
        f"{'passed/applicable':>17}  {'threshold':>9}  {'verdict':<15}"
    )
    if has_baseline:
        header += "  vs baseline"
    lines = [header, "-" * len(header)]
    for c in gate.criteria:
        rate = f"{c.pass_rate:.1%}" if c.pass_rate is not None else "n/a"
        counts = f"{c.passed}/{c.applicable}"
        interval = interval_text(c.interval_low, c.interval_high)
        line = (
            f"{c.criterion:<{width}}  {rate:>9}  {interval:>12}"
            f"  {counts:>17}  {c.threshold:>9.0%}  {_verdict(gate, c):<15}"
        )
        if has_baseline:
            line += f"  {c.delta * 100:+.1f} pts" if c.delta is not None else "  n/a"
            if c.regression is not None and c.regression.pairs:
                r = c.regression
                line += f" (-{r.pass_to_fail}/+{r.fail_to_pass} flips, p={r.p_value:.2g})"
                if r.fails_gate:
                    line += " SIGNIFICANT DROP"
        if c.errors:
            line += f"  ({c.errors} errors)"
        if c.not_run:
            line += f"  ({c.not_run} not run)"
        if c.verdict == "inconclusive":
            line += f"  ({c.needed} cases needed)"
        lines.append(line.rstrip())
    return "\n".join(lines)


def _verdict(gate: GateResult, c: CriterionResult) -> str:
    if c.verdict == "inconclusive" and gate.inconclusive_fails:
        return "FAIL (inconclusive)"
    if c.verdict == "pass" and gate.blocks(c):
        return "FAIL (regression)"
    return _VERDICT[c.verdict]
