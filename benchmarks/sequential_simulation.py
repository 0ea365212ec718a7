"""The sequential gate against the full replay: how often it disagrees, how many calls it saves.

    python benchmarks/sequential_simulation.py --orderings 10000 --seed 11          # the table
    python benchmarks/sequential_simulation.py --orderings 10000 --seed 11 --write  # and the docs

For each corpus size N (200, 640, 5,000), threshold (90%, 95%, 97%) and true rate of the
corpus (80% ... 99%), a corpus of N cases with round(rate x N) passes is replayed in
``--orderings`` seeded random orders through the harness's own confidence sequence
(``advance`` in harness/stats/confidence_sequence.py, one row per ordering, fed in blocks as
the run feeds it). Each ordering stops at the first case at which the criterion is decided;
``stop_on: fail`` stops only on a failing verdict, ``decided`` on either. A disagreement is an
ordering whose early verdict differs from the full replay's (the rate over all N cases
against the threshold); calls saved is 1 - (cases replayed / N), with the cases of a run that
never stops counted as all N. One criterion, alpha 0.05.

Vectorised over orderings; an ordering block stops computing once every ordering in it has
stopped. Deterministic given ``--seed`` (and the numpy version). ``--write`` replaces the
text between the markers in docs/statistics.md and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.stats.confidence_sequence import _Bets, _zeros, advance, evidence_level

SIZES = (200, 640, 5000)
THRESHOLDS = (0.90, 0.95, 0.97)
RATES = (0.80, 0.85, 0.88, 0.90, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99)
ALPHA = 0.05
BLOCK = 16  # cases fed per check, as `harness run` checks its ordered prefix
ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "docs" / "statistics.md", ROOT / "docs" / "benchmarks.md")
BEGIN = "<!-- sequential-simulation:begin -->"
END = "<!-- sequential-simulation:end -->"


@dataclass(frozen=True, slots=True)
class Setting:
    """One cell of the table: its set-up and what the orderings showed."""

    size: int
    threshold: float
    rate: float  # the corpus's exact rate, round(rate x N) / N
    full_passes: bool
    disagree_fail: float  # stop_on: fail, share of orderings whose verdict differs
    saved_fail: float  # stop_on: fail, mean share of calls saved
    disagree_decided: float
    saved_decided: float


def simulate(
    size: int, threshold: float, rate: float, orderings: int, rng: np.random.Generator
) -> Setting:
    """Replay one corpus in ``orderings`` random orders; see the module docstring."""
    passes = round(rate * size)
    exact = passes / size
    full_passes = exact >= threshold - 1e-12
    level = evidence_level(ALPHA)
    fail_at = np.zeros(orderings, dtype=np.int64)
    pass_at = np.zeros(orderings, dtype=np.int64)
    rows = max(1, min(orderings, 4_000_000 // size))  # about 32 MB per float array
    corpus = np.zeros(size, dtype=np.float64)
    corpus[:passes] = 1.0
    for start in range(0, orderings, rows):
        count = min(rows, orderings - start)
        order = rng.permuted(np.tile(corpus, (count, 1)), axis=1)
        bets = _Bets(0, _zeros(count), _zeros(count), _zeros(count), _zeros(count))
        first_fail = np.zeros(count, dtype=np.int64)
        first_pass = np.zeros(count, dtype=np.int64)
        live = np.arange(count)  # orderings not yet failed: stop_on: fail still reads them
        for left in range(0, size, BLOCK):
            step = advance(
                bets,
                order[live, left : left + BLOCK],
                population=size,
                threshold=np.full(len(live), threshold),
                level=level,
            )
            end = min(left + BLOCK, size)  # checked at the block's end, as the run checks
            first_pass[live] = np.where(
                (first_pass[live] == 0) & (step.pass_at > 0), end, first_pass[live]
            )
            failed = step.fail_at > 0
            first_fail[live[failed]] = end
            keep = ~failed
            live = live[keep]
            bets = _Bets(
                bets.seen,
                bets.total[keep],
                bets.spread[keep],
                bets.log_low[keep],
                bets.log_high[keep],
            )
            if len(live) == 0:
                break
        fail_at[start : start + count] = first_fail
        pass_at[start : start + count] = first_pass
    stop_fail = np.where(fail_at > 0, fail_at, size)
    early_fail_verdict = np.where(fail_at > 0, False, full_passes)  # no stop: the full verdict
    decided_at = np.where(
        (fail_at > 0) & ((pass_at == 0) | (fail_at <= pass_at)),
        fail_at,
        np.where(pass_at > 0, pass_at, size),
    )
    decided_verdict = np.where(
        (fail_at > 0) & ((pass_at == 0) | (fail_at <= pass_at)),
        False,
        np.where(pass_at > 0, True, full_passes),
    )
    return Setting(
        size=size,
        threshold=threshold,
        rate=exact,
        full_passes=bool(full_passes),
        disagree_fail=float(np.mean(early_fail_verdict != full_passes)),
        saved_fail=float(np.mean(1 - stop_fail / size)),
        disagree_decided=float(np.mean(decided_verdict != full_passes)),
        saved_decided=float(np.mean(1 - decided_at / size)),
    )


def run(orderings: int, seed: int) -> tuple[list[Setting], float]:
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    table = [
        simulate(size, threshold, rate, orderings, rng)
        for size in SIZES
        for threshold in THRESHOLDS
        for rate in RATES
    ]
    return table, time.perf_counter() - started


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def render(table: list[Setting], orderings: int, seed: int, elapsed: float) -> str:
    """The generated text: set-up, the whole table, and the checks against the targets."""
    command = f"python benchmarks/sequential_simulation.py --orderings {orderings} --seed {seed}"
    lines = [
        f"Generated by `{command}` in {elapsed:.0f} s on {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} cores (shared), Python "
        f"{platform.python_version()}, numpy {np.__version__}: {orderings:,} seeded orderings "
        f"per setting, alpha {ALPHA:.0%}, one criterion, checked after every {BLOCK} cases.",
        "",
        "| cases | threshold | corpus rate | full replay | `fail`: differs "
        "| `fail`: calls saved | `decided`: differs | `decided`: calls saved |",
        "|---:|---:|---:|:---|---:|---:|---:|---:|",
    ]
    for s in table:
        verdict = "pass" if s.full_passes else "fail"
        lines.append(
            f"| {s.size:,} | {s.threshold:.0%} | {_pct(s.rate)} | {verdict} "
            f"| {_pct(s.disagree_fail)} | {_pct(s.saved_fail)} "
            f"| {_pct(s.disagree_decided)} | {_pct(s.saved_decided)} |"
        )
    worst = max(max(s.disagree_fail, s.disagree_decided) for s in table)
    lines += [
        "",
        f"Largest disagreement in any setting: **{_pct(worst)}** "
        f"(target: at most alpha, {ALPHA:.0%}).",
        "",
        "Smallest mean share of calls saved where the corpus rate is 5 or more points from "
        "the threshold (target: at least 60%), by corpus size:",
        "",
    ]
    for size in SIZES:
        far = [s for s in table if s.size == size and abs(s.rate - s.threshold) >= 0.05 - 1e-9]
        decided = min(far, key=lambda s: s.saved_decided)
        failing = min((s for s in far if not s.full_passes), key=lambda s: s.saved_fail)
        lines.append(
            f"- {size:,} cases: {_pct(decided.saved_decided)} with `stop_on: decided` (at "
            f"{_pct(decided.rate)} against {decided.threshold:.0%}); {_pct(failing.saved_fail)} "
            f"with `stop_on: fail` on a failing corpus (at {_pct(failing.rate)} against "
            f"{failing.threshold:.0%})."
        )
    return "\n".join(lines)


def write(text: str) -> None:
    for doc in DOCS:
        body = doc.read_text(encoding="utf-8")
        if BEGIN not in body:
            raise SystemExit(f"{doc}: no {BEGIN} marker to write between")
        head, rest = body.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        doc.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--orderings", type=_positive, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--write", action="store_true", help="write the table into the docs")
    args = parser.parse_args(argv)
    table, elapsed = run(args.orderings, args.seed)
    text = render(table, args.orderings, args.seed, elapsed)
    print(text)
    if args.write:
        write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
