"""The ideal early stop of benchmarks/sequential_bound.py: exact, valid, and what it prints."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import numpy.typing as npt
import pytest

from benchmarks.sequential_bound import ideal_share_saved, log_likelihood, main


def _ordering(population: int, fails: tuple[int, ...]) -> npt.NDArray[np.int8]:
    draws = np.ones(population, dtype=np.int8)
    draws[list(fails)] = 0
    return draws


def test_the_likelihood_of_a_whole_ordering_is_one_over_the_orderings_of_its_count() -> None:
    draws = _ordering(12, (1, 5, 6))
    assert math.isclose(math.exp(log_likelihood(draws, 12, 9)[-1]), 1 / math.comb(12, 3))
    assert log_likelihood(draws, 12, 10)[-1] == -math.inf  # three fails cannot come from two


def test_under_the_threshold_s_count_the_ideal_test_wrongly_fails_at_most_alpha() -> None:
    """Every distinct ordering of a corpus of 12 with 9 passes, each equally likely."""
    population, null_passes, alpha = 12, 9, 0.2
    rates = []
    for alternative in (4, 6, 8):
        wrong = 0
        orderings = list(combinations(range(population), population - null_passes))
        for fails in orderings:
            draws = _ordering(population, fails)
            ratio = log_likelihood(draws, population, alternative) - log_likelihood(
                draws, population, null_passes
            )
            wrong += bool((ratio >= math.log(1 / alpha)).any())
        rates.append(wrong / len(orderings))
    assert max(rates) <= alpha, rates
    assert max(rates) > 0, "the test never stops: nothing is checked"


def test_the_ideal_test_saves_more_on_larger_corpora_and_never_all() -> None:
    shares = [
        ideal_share_saved(
            population=size,
            true_rate=0.85,
            threshold=0.90,
            alpha=0.05,
            orderings=200,
            every=16,
            seed=3,
        )
        for size in (200, 640)
    ]
    assert 0 < shares[0] < shares[1] < 1


def test_the_command_prints_a_line_per_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--sizes", "64", "--orderings", "20"]) == 0
    out = capsys.readouterr().out
    assert "85% against 90%" in out and "64 cases: mean share of calls saved" in out
