"""How many calls any valid early stop could save: the ideal test that knows the true rate.

    python benchmarks/sequential_bound.py --orderings 10000 --seed 11

The sequential gate must keep a wrong early verdict below alpha whatever the corpus's rate.
The most favourable case for *any* such test is one told in advance the rate it faces: it
then tests only "the rate is the threshold" against "the rate is this one", and for that
pair the sequential probability ratio test (Wald) stops, on average, sooner than any other
test with the same error (Wald and Wolfowitz, 1948, for independent draws). This script runs
that ideal test on a corpus of N cases replayed in random order without replacement, with the
exact likelihood of each ordering under either count of passes (the hypergeometric draw),
stopping to fail as soon as the likelihood ratio reaches 1 / alpha, checked after every case
or every ``--every`` cases (the harness checks after every 16). Under the threshold's count
the ratio is a non-negative martingale, so by Ville's inequality it wrongly fails with
probability at most alpha: the test is valid, and it is an upper bound on what a test that is
not told the rate can save.

It prints, per corpus size, the mean share of the corpus not replayed at the true rate and
threshold given (85% against 90% by default: the issue's "5 points from the threshold").
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def log_likelihood(
    draws: npt.NDArray[np.int8], population: int, passes: int
) -> npt.NDArray[np.float64]:
    """Per prefix, the log probability of this ordering's first draws if the corpus held
    ``passes`` passing cases of ``population`` (drawn without replacement)."""
    index = np.arange(len(draws))
    passed_before = np.concatenate([[0], np.cumsum(draws)[:-1]])
    failed_before = index - passed_before
    ways = np.where(draws == 1, passes - passed_before, population - passes - failed_before)
    with np.errstate(divide="ignore"):
        steps = np.log(np.maximum(ways, 0) / (population - index))
    return np.cumsum(steps)


def ideal_share_saved(
    *,
    population: int,
    true_rate: float,
    threshold: float,
    alpha: float,
    orderings: int,
    every: int,
    seed: int,
) -> float:
    """The mean share of the corpus the ideal test leaves unreplayed before it fails it."""
    true_passes = round(true_rate * population)
    null_passes = round(threshold * population)
    corpus = np.array([1] * true_passes + [0] * (population - true_passes), dtype=np.int8)
    checks = np.arange(every - 1, population, every)
    level = math.log(1 / alpha)
    rng = np.random.default_rng(seed)
    saved = 0.0
    for _ in range(orderings):
        draws = rng.permutation(corpus)
        ratio = log_likelihood(draws, population, true_passes) - log_likelihood(
            draws, population, null_passes
        )
        crossed = checks[ratio[checks] >= level]
        replayed = int(crossed[0]) + 1 if len(crossed) else population
        saved += 1 - replayed / population
    return saved / orderings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,640,5000", help="corpus sizes, comma-separated")
    parser.add_argument("--rate", type=float, default=0.85, help="the corpus's true pass rate")
    parser.add_argument("--threshold", type=float, default=0.90)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--orderings", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    print(
        f"the ideal test (told the rate: {args.rate:.0%} against {args.threshold:.0%}), "
        f"alpha {args.alpha:g}, {args.orderings:,} seeded orderings per size:"
    )
    for size in (int(part) for part in args.sizes.split(",")):
        shares = [
            ideal_share_saved(
                population=size,
                true_rate=args.rate,
                threshold=args.threshold,
                alpha=args.alpha,
                orderings=args.orderings,
                every=every,
                seed=args.seed,
            )
            for every in (1, 16)
        ]
        print(
            f"  {size:>6,} cases: mean share of calls saved {shares[0]:.1%} checked after "
            f"every case, {shares[1]:.1%} after every 16"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
