"""What a green check proves: every gate policy against agents whose true pass rate is known.

    python benchmarks/gate_policy_simulation.py --trials 20000 --seed 7          # the tables
    python benchmarks/gate_policy_simulation.py --trials 20000 --seed 7 --write  # and the doc

For each true pass rate (0.90 ... 0.99) and number of applicable cases, draws ``--trials``
synthetic corpora (each case passes independently with the true rate) and puts each
through the harness's own gate decision (``judge_rate`` and ``GateResult.passed`` from
harness/gate/policy.py) under each policy a scenario can choose: point estimate or Wilson lower
bound, with an inconclusive criterion failing the check or not. The gate sees only the
pass count, so a corpus is drawn as its count; every figure is also computed exactly
(binomial sum over the same decision) to bound the simulation's noise. A sample of
corpora, drawn case by case, is written as real result parts and gated through RunStore
and DuckDB to show the shortcut gives the real gate's verdicts. The paired regression test
(exact McNemar, ``fail_on_significant_drop``) is simulated against a baseline agent too.

Deterministic given ``--seed`` (and the numpy version). ``--write`` replaces the text
between the markers in docs/statistics.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from harness.config.scenario import GatePolicy, RegressionPolicy, Thresholds
from harness.gate.drift import Regression
from harness.gate.policy import (
    CriterionResult,
    GateResult,
    cases_for_threshold,
    evaluate_gate,
    judge_rate,
)
from harness.golden.coverage import PowerSettings, corpus_stats
from harness.store.database import RunStore
from harness.store.rows import RESULT_SCHEMA, TRANSCRIPT_SCHEMA

THRESHOLD = Thresholds().default  # 95%, what a scenario gets without `thresholds:`
RATES = (0.90, 0.93, 0.95, 0.97, 0.99)
DROPS = (0.0, 0.02, 0.05)
BASELINE_RATE = 0.97
DOC = Path(__file__).resolve().parent.parent / "docs" / "statistics.md"
BEGIN = "<!-- gate-policy-simulation:begin -->"
END = "<!-- gate-policy-simulation:end -->"


@dataclass(frozen=True)
class NamedPolicy:
    """A scenario's ``gate:`` section, with the name the tables give it."""

    key: str
    title: str
    policy: GatePolicy


POLICIES = (
    NamedPolicy("point", "point estimate, inconclusive fails (the default)", GatePolicy()),
    NamedPolicy(
        "point-lenient",
        "point estimate, `inconclusive_fails: false`",
        GatePolicy(inconclusive_fails=False),
    ),
    NamedPolicy(
        "lower", "Wilson lower bound, inconclusive fails", GatePolicy(policy="lower_bound")
    ),
    NamedPolicy(
        "lower-lenient",
        "Wilson lower bound, `inconclusive_fails: false`",
        GatePolicy(policy="lower_bound", inconclusive_fails=False),
    ),
)
DEFAULT_POWER = PowerSettings()  # what `harness corpus stats` assumes without options
REGRESSION = RegressionPolicy(fail_on_significant_drop=True, alpha=0.05)


@dataclass(frozen=True)
class Cell:
    """How often one policy's check passed agents of one true rate over ``cases`` cases."""

    policy: str
    rate: float
    cases: int
    trials: int
    passes: int
    exact: float  # the same probability, summed over the binomial distribution

    @property
    def share(self) -> float:
        return self.passes / self.trials

    @property
    def stderr(self) -> float:
        return math.sqrt(max(self.exact * (1 - self.exact), 1e-12) / self.trials)


@dataclass(frozen=True)
class RegressionCell:
    """How often an exact McNemar test flagged a candidate ``drop`` below the baseline."""

    cases: int
    drop: float
    trials: int
    flagged: int

    @property
    def share(self) -> float:
        return self.flagged / self.trials


@dataclass(frozen=True)
class Agreement:
    """Verdicts of the shortcut and of the real gate (Parquet parts, RunStore, DuckDB)."""

    corpora: int
    verdicts: int
    passing: int  # real verdicts that passed the check (both kinds must occur to mean much)
    disagreements: tuple[str, ...]

    @property
    def agreed(self) -> int:
        return self.verdicts - len(self.disagreements)


@dataclass(frozen=True)
class Simulation:
    """Every figure of one simulation run."""

    seed: int
    trials: int
    rates: tuple[float, ...]
    sizes: tuple[int, ...]
    recommended: int
    floor: int  # the fewest cases before the threshold is not inconclusive
    settings: PowerSettings
    cells: tuple[Cell, ...]
    regression: tuple[RegressionCell, ...]
    churn: float
    agreement: Agreement | None

    def cell(self, policy: str, rate: float, cases: int) -> Cell:
        for c in self.cells:
            if c.policy == policy and c.rate == rate and c.cases == cases:
                return c
        raise KeyError(f"no cell for policy {policy!r}, rate {rate}, {cases} cases")


def recommended_cases(settings: PowerSettings = DEFAULT_POWER) -> int:
    """The applicable cases per disclosure ``harness corpus stats`` says the gate needs.

    Taken from :func:`harness.golden.coverage.corpus_stats` itself, so the figure in the
    docs is the one the command prints.
    """
    return corpus_stats([], [], settings).needed


@cache
def gate_passes(
    passed: int, counted: int, policy: GatePolicy, threshold: float = THRESHOLD
) -> bool:
    """Whether the gate's check passes one criterion with ``passed`` of ``counted`` cases.

    The harness's own decision: ``judge_rate`` gives the verdict and ``GateResult`` decides
    whether that verdict (an inconclusive one included) blocks the check.
    """
    judged = judge_rate(passed, counted, threshold, policy)
    criterion = CriterionResult(
        criterion="simulated",
        threshold=threshold,
        applicable=counted,
        passed=passed,
        failed=counted - passed,
        errors=0,
        pass_rate=judged.pass_rate,
        verdict=judged.verdict,
        counted=counted,
        interval_low=judged.interval_low,
        interval_high=judged.interval_high,
        needed=judged.needed,
        policy=policy.policy,
    )
    gate = GateResult(
        run_id="simulated", criteria=(criterion,), inconclusive_fails=policy.inconclusive_fails
    )
    return gate.passed


@cache
def drop_flagged(
    both_pass: int, pass_to_fail: int, fail_to_pass: int, both_fail: int, policy: RegressionPolicy
) -> bool:
    """Whether the paired comparison fails the gate (the harness's ``Regression``)."""
    return Regression.from_counts(
        both_pass=both_pass,
        pass_to_fail=pass_to_fail,
        fail_to_pass=fail_to_pass,
        both_fail=both_fail,
        alpha=policy.alpha,
        fail_on_significant_drop=policy.fail_on_significant_drop,
    ).fails_gate


def _binomial_pmf(k: int, n: int, p: float) -> float:
    log = (
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
    )
    return math.exp(log)


def exact_pass_probability(rate: float, cases: int, policy: GatePolicy) -> float:
    """P(check passes) for an agent at ``rate``: the binomial sum over the gate's decision."""
    sd = math.sqrt(cases * rate * (1 - rate))
    low = max(0, math.floor(cases * rate - 12 * sd - 2))
    high = min(cases, math.ceil(cases * rate + 12 * sd + 2))  # beyond: below 1e-30
    return sum(
        _binomial_pmf(k, cases, rate) for k in range(low, high + 1) if gate_passes(k, cases, policy)
    )


def _rng(seed: int, *stream: int) -> np.random.Generator:
    """One independent stream per cell, so a cell's figures do not depend on the grid."""
    return np.random.default_rng([seed, *stream])


def simulate_gate(
    rates: Sequence[float], sizes: Sequence[int], trials: int, seed: int
) -> tuple[Cell, ...]:
    """P(check passes) per policy, true rate and corpus size, by simulation and exactly."""
    cells = []
    for rate in rates:
        for n in sizes:
            counts = _rng(seed, 1, round(rate * 10_000), n).binomial(n, rate, size=trials)
            values, times = np.unique(counts, return_counts=True)
            for named in POLICIES:
                passes = sum(
                    int(t)
                    for k, t in zip(values, times, strict=True)
                    if gate_passes(int(k), n, named.policy)
                )
                exact = exact_pass_probability(rate, n, named.policy)
                cells.append(Cell(named.key, rate, n, trials, passes, exact))
    return tuple(cells)


def paired_probabilities(drop: float, churn: float, baseline: float = BASELINE_RATE) -> list[float]:
    """P(both pass), P(pass→fail), P(fail→pass), P(both fail) for one case.

    ``churn`` of the cases flip fail→pass by chance and as many pass→fail, and ``drop`` more
    flip pass→fail: the baseline passes at ``baseline``, the candidate at ``baseline - drop``.
    """
    probabilities = [baseline - churn - drop, churn + drop, churn, 1 - baseline - churn]
    if min(probabilities) < 0:
        raise ValueError(f"churn {churn} and drop {drop} do not fit a baseline of {baseline}")
    return probabilities


def simulate_regression(
    sizes: Sequence[int], drops: Sequence[float], churn: float, trials: int, seed: int
) -> tuple[RegressionCell, ...]:
    """How often the paired McNemar test fails the gate for each drop and corpus size."""
    cells = []
    for drop in drops:
        probabilities = paired_probabilities(drop, churn)
        for n in sizes:
            draws = _rng(seed, 2, round(drop * 10_000), n).multinomial(
                n, probabilities, size=trials
            )
            flagged = sum(drop_flagged(*(int(x) for x in row), REGRESSION) for row in draws)
            cells.append(RegressionCell(n, drop, trials, flagged))
    return tuple(cells)


def _write_run(folder: Path, run_id: str, statuses: dict[str, list[bool]]) -> dict[str, list[Path]]:
    """One run's result and transcript parts, in the harness's own Parquet schemas."""
    folder.mkdir(parents=True, exist_ok=True)
    longest = max(len(v) for v in statuses.values())
    results = [
        {
            "run_id": run_id,
            "scenario": "gate-policy-simulation",
            "case_id": f"case-{i:05d}",
            "repeat": 0,
            "criterion": criterion,
            "criterion_version": 1,
            "status": "passed" if ok else "failed",
            "passed": ok,
        }
        for criterion, outcomes in statuses.items()
        for i, ok in enumerate(outcomes)
    ]
    transcripts = [
        {"run_id": run_id, "case_id": f"case-{i:05d}", "repeat": 0, "tags": "{}", "turns": []}
        for i in range(longest)
    ]
    files: dict[str, list[Path]] = {"calls": []}
    for kind, rows, schema in (
        ("results", results, RESULT_SCHEMA),
        ("transcripts", transcripts, TRANSCRIPT_SCHEMA),
    ):
        path = folder / f"{run_id}-{kind}-000001.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
        files[kind] = [path]
    return files


def check_against_store(
    corpora: int, sizes: Sequence[int], rates: Sequence[float], churn: float, seed: int
) -> Agreement:
    """Gate sampled corpora for real (Parquet parts → RunStore → DuckDB → evaluate_gate).

    ``corpora`` corpora are drawn case by case at a random rate and size of the grid and
    judged under every policy; as many baseline/candidate pairs are drawn for the paired
    test. Each real verdict is compared with :func:`gate_passes` / :func:`drop_flagged`
    on the same counts.
    """
    rng = _rng(seed, 3)
    candidate: dict[str, list[bool]] = {}
    baseline: dict[str, list[bool]] = {}
    expected_counts: dict[str, int] = {}
    for i in range(corpora):
        n, rate = int(rng.choice(sizes)), float(rng.choice(rates))
        outcomes = [bool(x) for x in rng.random(n) < rate]
        candidate[f"gate-{i:03d}"] = outcomes
        expected_counts[f"gate-{i:03d}"] = sum(outcomes)
        drop = float(rng.choice(DROPS))
        kinds = rng.choice(4, size=n, p=paired_probabilities(drop, churn))
        baseline[f"paired-{i:03d}"] = [bool(k in (0, 1)) for k in kinds]
        candidate[f"paired-{i:03d}"] = [bool(k in (0, 2)) for k in kinds]
    thresholds = dict.fromkeys(candidate, THRESHOLD)
    disagreements: list[str] = []
    verdicts = passing = 0
    with tempfile.TemporaryDirectory() as tmp, RunStore(":memory:") as store:
        store.ingest_parts("base", _write_run(Path(tmp) / "base", "base", baseline))
        store.ingest_parts("cand", _write_run(Path(tmp) / "cand", "cand", candidate))
        for named in POLICIES:
            gate = evaluate_gate(
                store, "cand", thresholds, errors_are_failures=True, policy=named.policy
            )
            for c in gate.criteria:
                if not c.criterion.startswith("gate-"):
                    continue
                verdicts += 1
                passing += not gate.blocks(c)
                shortcut = gate_passes(expected_counts[c.criterion], c.applicable, named.policy)
                if (c.passed, not gate.blocks(c)) != (expected_counts[c.criterion], shortcut):
                    disagreements.append(
                        f"{named.key} {c.criterion}: {c.passed}/{c.applicable} "
                        f"store {c.verdict}, shortcut {'pass' if shortcut else 'fail'}"
                    )
        paired_policy = GatePolicy(inconclusive_fails=False, regression=REGRESSION)
        gate = evaluate_gate(
            store,
            "cand",
            thresholds,
            errors_are_failures=True,
            baseline_run_id="base",
            policy=paired_policy,
        )
        for c in gate.criteria:
            if not c.criterion.startswith("paired-"):
                continue
            verdicts += 1
            passing += not gate.blocks(c)
            was, now = baseline[c.criterion], candidate[c.criterion]
            counts = (
                sum(a and b for a, b in zip(was, now, strict=True)),
                sum(a and not b for a, b in zip(was, now, strict=True)),
                sum(b and not a for a, b in zip(was, now, strict=True)),
                sum(not a and not b for a, b in zip(was, now, strict=True)),
            )
            r = c.regression
            got = None if r is None else (r.both_pass, r.pass_to_fail, r.fail_to_pass, r.both_fail)
            if got != counts or r is None or r.fails_gate != drop_flagged(*counts, REGRESSION):
                disagreements.append(f"paired {c.criterion}: store {got}, expected {counts}")
    return Agreement(
        corpora=2 * corpora,
        verdicts=verdicts,
        passing=passing,
        disagreements=tuple(disagreements),
    )


def run_simulation(
    *,
    trials: int,
    seed: int,
    sizes: Sequence[int] | None = None,
    rates: Sequence[float] = RATES,
    churn: float = 0.01,
    end_to_end: int = 20,
    settings: PowerSettings = DEFAULT_POWER,
) -> Simulation:
    """Simulate every policy over the grid.

    The grid always holds the recommended size and the fewest cases the threshold needs
    before the gate stops calling it inconclusive.
    """
    recommended = recommended_cases(settings)
    floor = cases_for_threshold(THRESHOLD) or recommended
    chosen = sorted(set(sizes or (50, 100, 300, 600, 1000, 2000)) | {recommended, floor})
    agreement = (
        check_against_store(end_to_end, chosen, rates, churn, seed) if end_to_end > 0 else None
    )
    return Simulation(
        seed=seed,
        trials=trials,
        rates=tuple(rates),
        sizes=tuple(chosen),
        recommended=recommended,
        floor=floor,
        settings=settings,
        cells=simulate_gate(rates, chosen, trials, seed),
        regression=simulate_regression(chosen, DROPS, churn, trials, seed),
        churn=churn,
        agreement=agreement,
    )


def _size_label(sim: Simulation, n: int) -> str:
    if n == sim.recommended:
        return f"**{n}** (recommended)"
    if n == sim.floor:
        return f"{n} (inconclusive below)"
    return str(n)


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _rate_heading(rate: float) -> str:
    if rate < THRESHOLD - 1e-9:
        kind = "bad"
    elif rate > THRESHOLD + 1e-9:
        kind = "good"
    else:
        kind = "at threshold"
    return f"{rate:.2f} ({kind})"


def render_markdown(sim: Simulation, *, command: str, machine: str, seconds: float) -> str:
    """The generated part of docs/statistics.md: set-up, tables and key figures."""
    s = sim.settings
    r = sim.recommended
    out = [
        f"Generated by `{command}` in {seconds:.1f} s on {machine}: "
        f"{sim.trials:,} synthetic corpora per cell, seed {sim.seed}, threshold "
        f"{THRESHOLD:.0%}. Recommended corpus size (`harness corpus stats`, "
        f"{s.p_good:.0%} vs {s.p_bad:.0%}, power {s.power:.0%}, alpha {s.alpha}): "
        f"**{r} applicable cases per disclosure**.",
        "",
        "**How often the check passes**, by true pass rate of the agent (columns) and "
        "applicable cases of the disclosure (rows). For a bad agent the figure is the "
        "chance of a wrong green check; for a good agent, 100% minus it is the chance of a "
        "wrong red one.",
    ]
    header = "| applicable cases | " + " | ".join(_rate_heading(p) for p in sim.rates) + " |"
    rule = "|---:|" + "---:|" * len(sim.rates)
    for named in POLICIES:
        out += ["", f"*{named.title}* (`{_policy_yaml(named.policy)}`)", "", header, rule]
        for n in sim.sizes:
            label = _size_label(sim, n)
            cells = [_pct(sim.cell(named.key, p, n).share) for p in sim.rates]
            out.append(f"| {label} | " + " | ".join(cells) + " |")
    worst = max(sim.cells, key=lambda c: abs(c.share - c.exact) / c.stderr)
    gap = max(abs(c.share - c.exact) for c in sim.cells)
    out += [
        "",
        f"Every figure is also computed exactly (the binomial sum over the same gate "
        f"decision): the largest gap between simulated and exact is {gap * 100:.1f} pts, "
        f"the largest in standard errors {abs(worst.share - worst.exact) / worst.stderr:.1f}.",
    ]
    if sim.agreement is not None:
        a = sim.agreement
        out += [
            "",
            f"End to end: {a.corpora} corpora drawn case by case, written as result parts "
            f"and gated through RunStore and DuckDB (`evaluate_gate`): {a.agreed} of "
            f"{a.verdicts} verdicts ({a.passing} green, {a.verdicts - a.passing} red) equal the "
            "shortcut's.",
        ]
    out += [
        "",
        f"**Paired regression (exact McNemar, `fail_on_significant_drop: true`, alpha "
        f"{REGRESSION.alpha})**: how often a drop against a baseline agent at "
        f"{BASELINE_RATE:.0%} is flagged, with {sim.churn:.0%} of cases flipping each way "
        "by chance. The first column is the false-alarm rate.",
        "",
        "| applicable cases | "
        + " | ".join(
            f"{BASELINE_RATE:.0%} → {BASELINE_RATE - d:.0%} (drop {d * 100:.0f} pts)" for d in DROPS
        )
        + " |",
        "|---:|" + "---:|" * len(DROPS),
    ]
    for n in sim.sizes:
        cells = [
            _pct(c.share) for d in DROPS for c in sim.regression if (c.cases, c.drop) == (n, d)
        ]
        label = _size_label(sim, n)
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    out += ["", "Key figures:", ""] + [f"- {line}" for line in key_figures(sim)]
    return "\n".join(out)


def _policy_yaml(policy: GatePolicy) -> str:
    fails = "true" if policy.inconclusive_fails else "false"
    return f"gate: {{policy: {policy.policy}, inconclusive_fails: {fails}}}"


def key_figures(sim: Simulation) -> list[str]:
    """The sentences docs/statistics.md quotes, worded from the measured table."""
    r, s = sim.recommended, sim.settings
    lines = []
    small = 100 if 100 in sim.sizes else sim.sizes[0]
    lines.append(
        f"Default policy, {small} cases: a 93% agent gets a green check "
        f"{_pct(sim.cell('point', 0.93, small).share)} of the time; at {r} cases "
        f"{_pct(sim.cell('point', 0.93, r).share)}."
    )
    large = sim.sizes[-1]
    lines.append(
        f"Default policy, an agent exactly at 95%: passes "
        f"{_pct(sim.cell('point', 0.95, r).share)} at {r} cases and "
        f"{_pct(sim.cell('point', 0.95, large).share)} at {large}: a coin toss at any size."
    )
    lines.append(
        f"At the recommended {r} cases a {s.p_bad:.0%} agent passes "
        f"{_pct(sim.cell('point', s.p_bad, r).share)} (default) and "
        f"{_pct(sim.cell('lower', s.p_bad, r).share)} (lower bound): each gate catches it "
        f"more often than the {s.power:.0%} power the corpus size was chosen for."
    )
    lines.append(
        f"Lower-bound policy: a 97% agent passes {_pct(sim.cell('lower', 0.97, r).share)} "
        f"at {r} cases and {_pct(sim.cell('lower', 0.97, large).share)} at {large}; "
        f"a 99% agent {_pct(sim.cell('lower', 0.99, r).share)} at {r}."
    )
    first = sim.sizes[0]
    lines.append(
        f"With `inconclusive_fails: false` and only {first} cases, both policies fall back to "
        f"the point estimate: a 90% agent passes "
        f"{_pct(sim.cell('lower-lenient', 0.90, first).share)} of the time."
    )
    return lines


def machine_description() -> str:
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )


def write_doc(path: Path, block: str) -> None:
    """Replace the text between the markers in ``path`` with ``block``."""
    text = path.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(
            f"{path}: markers {BEGIN} ... {END} not found; add them where the table goes"
        )
    path.write_text(text[: start + len(BEGIN)] + "\n" + block + "\n" + text[end:], encoding="utf-8")


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _sizes(text: str) -> list[int]:
    return [_positive(part.strip()) for part in text.split(",")]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--trials", type=_positive, default=20_000, help="corpora per cell (20000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (7)")
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default="50,100,300,600,1000,2000",
        help="applicable cases, comma-separated; the recommended size is always added",
    )
    parser.add_argument(
        "--churn", type=float, default=0.01, help="share of cases flipping by chance each way"
    )
    parser.add_argument(
        "--end-to-end", type=int, default=20, help="corpora (and pairs) gated through DuckDB (20)"
    )
    parser.add_argument(
        "--write", action="store_true", help=f"update {DOC.name} between its markers"
    )
    parser.add_argument("--json", action="store_true", help="print every figure as JSON instead")
    args = parser.parse_args(argv)
    try:
        for drop in DROPS:
            paired_probabilities(drop, args.churn)
    except ValueError as exc:
        parser.error(f"--churn: {exc}")
    began = time.perf_counter()
    sim = run_simulation(
        trials=args.trials,
        seed=args.seed,
        sizes=args.sizes,
        churn=args.churn,
        end_to_end=args.end_to_end,
    )
    seconds = time.perf_counter() - began
    shown = [a for a in (sys.argv[1:] if argv is None else argv) if a not in ("--write", "--json")]
    command = " ".join(["python benchmarks/gate_policy_simulation.py", *shown])
    if args.json:
        print(json.dumps(asdict(sim), indent=1))
    else:
        block = render_markdown(
            sim, command=command, machine=machine_description(), seconds=seconds
        )
        print(block)
        if args.write:
            write_doc(DOC, block)
            print(f"\nwrote {DOC}", file=sys.stderr)
    if sim.agreement is not None and sim.agreement.disagreements:
        for line in sim.agreement.disagreements:
            print(f"DISAGREEMENT: {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
