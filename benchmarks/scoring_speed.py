"""How long the rules take per disclosure and case, on the shipped demo corpus.

Scores the recorded turns of every case of ``scenarios/demo-recorded.yaml`` (the demo and
its hard cases) with the disclosures in force, ``--rounds`` times, and prints the median
milliseconds per (case, disclosure) pair and per case. No model call is made::

    python benchmarks/scoring_speed.py --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from harness.replay.conversation import Transcript
from harness.run.plan import load_plan
from harness.scoring.disclosure_rules import score_disclosure

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios/demo-recorded.yaml")
    args = parser.parse_args()
    plan = load_plan(args.scenario)
    cases = [(case, Transcript(case.turns)) for case in plan.cases()]
    pairs = len(cases) * len(plan.disclosures)
    timings = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        for case, transcript in cases:
            for pinned in plan.disclosures:
                score_disclosure(pinned, case, transcript)
        timings.append(time.perf_counter() - started)
    median = statistics.median(timings)
    print(
        f"{len(cases)} cases x {len(plan.disclosures)} disclosures = {pairs} pairs, "
        f"{args.rounds} rounds: median {median:.2f} s, {median / pairs * 1000:.3f} ms per "
        f"pair, {median / len(cases) * 1000:.2f} ms per case"
    )


if __name__ == "__main__":
    main()
