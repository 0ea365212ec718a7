"""Plain-text summaries of a gate for terminals and CI logs."""

from __future__ import annotations

from harness.gate.policy import CriterionResult, GateResult
from harness.outputs.sequential import sequential_lines, sequential_verdict

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
        if c.verdict == "inconclusive" and c.sequential is None:
            line += f"  ({c.needed} cases needed)"
        lines.append(line.rstrip())
    lines += sequential_lines(gate)
    return "\n".join(lines + scorer_error_lines(gate))


def scorer_error_lines(gate: GateResult) -> list[str]:
    """What the scorer gets wrong, beside the table: each criterion's wrong-pass and wrong-fail
    counts on the labelled calibration set with the pass-rate interval corrected for them, and
    the results in review with how the gate counted them.

    >>> print("\\n".join(scorer_error_lines(gate)))  # doctest: +SKIP
    scorer error on the labelled calibration set (corrected: the pass-rate interval ...
      commission  wrong pass 0/53, wrong fail 2/56 (119 labelled); corrected 80.1-90.3%
    """
    if not gate.criteria:
        return []
    width = max(len(c.criterion) for c in gate.criteria)
    measured = [c for c in gate.criteria if c.calibration is not None]
    lines = [
        "scorer error on the labelled calibration set (corrected: the pass-rate interval "
        "allowing for it):"
        if measured
        else "scorer error: not measured (no labelled case in the calibration set; label "
        "cases, then see harness calibrate)"
    ]
    for c in measured:
        error = c.calibration
        assert error is not None
        corrected = interval_text(error.corrected_low, error.corrected_high)
        line = (
            f"  {c.criterion:<{width}}  wrong pass {error.false_pass}/{error.misses}, "
            f"wrong fail {error.false_fail}/{error.presentations} ({error.cases} labelled); "
            f"corrected {corrected}"
        )
        if error.echo:
            line += "  (judge: the rules echo test double, not a model)"
        lines.append(line)
    reviewed = [c for c in gate.criteria if c.reviews]
    if reviewed:
        how = {"fail": "counted as fail", "pass": "counted as pass", "excluded": "not counted"}
        lines.append(
            "in review (the scorer unsure, nothing settled it), "
            f"{how[reviewed[0].review_counts_as]}: "
            + ", ".join(f"{c.criterion} {c.reviews}" for c in reviewed)
        )
    return lines


def _verdict(gate: GateResult, c: CriterionResult) -> str:
    if c.sequential is not None:
        return sequential_verdict(c.sequential.decided)
    if c.verdict == "inconclusive" and gate.inconclusive_fails:
        return "FAIL (inconclusive)"
    if c.verdict == "pass" and gate.blocks(c):
        return "FAIL (regression)"
    return _VERDICT[c.verdict]
