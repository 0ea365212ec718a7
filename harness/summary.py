"""Plain-text summaries of a gate for terminals and CI logs."""

from __future__ import annotations

from harness.gate import GateResult

_VERDICT = {"pass": "pass", "fail": "FAIL", "no_cases": "FAIL (no cases)"}


def gate_table(gate: GateResult) -> str:
    """A fixed-width per-criterion table: pass rate, cases, threshold, verdict, baseline delta.

    >>> print(gate_table(gate))  # doctest: +SKIP
    criterion              pass rate  passed/applicable  threshold  verdict
    commission                 86.2%            300/348        95%  FAIL
    """
    has_baseline = gate.baseline_run_id is not None
    width = max([len("criterion"), *(len(c.criterion) for c in gate.criteria)])
    header = (
        f"{'criterion':<{width}}  {'pass rate':>9}  {'passed/applicable':>17}  "
        f"{'threshold':>9}  {'verdict':<15}"
    )
    if has_baseline:
        header += "  vs baseline"
    lines = [header, "-" * len(header)]
    for c in gate.criteria:
        rate = f"{c.pass_rate:.1%}" if c.pass_rate is not None else "n/a"
        counts = f"{c.passed}/{c.applicable}"
        line = (
            f"{c.criterion:<{width}}  {rate:>9}  {counts:>17}  {c.threshold:>9.0%}  "
            f"{_VERDICT[c.verdict]:<15}"
        )
        if has_baseline:
            line += f"  {c.delta * 100:+.1f} pts" if c.delta is not None else "  n/a"
        if c.errors:
            line += f"  ({c.errors} errors)"
        if c.not_run:
            line += f"  ({c.not_run} not run)"
        lines.append(line.rstrip())
    return "\n".join(lines)
