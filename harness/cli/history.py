"""``harness history``: each finished run's pass rate per criterion, oldest first.

A thin client over :meth:`harness.store.database.RunStore.run_history`; the table is built by
:func:`history_table`, a plain function over the store's rows.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.cli.groups import add_db_option
from harness.errors import ConfigError, ExitStatus
from harness.outputs.console import emit


def register(subparsers: Any) -> None:
    """Add ``harness history`` to the CLI's sub-commands."""
    history = subparsers.add_parser(
        "history",
        help="show the pass rate of every criterion across recorded runs",
        description="Print, per scenario, each finished run in the run database (oldest first, "
        "newest last) with its verdict and each criterion's pass rate over applicable "
        "results (errors counted as failures), so a trend shows at a glance.",
    )
    history.add_argument("--scenario", metavar="NAME", help="only runs of this scenario")
    history.add_argument(
        "--limit", type=int, default=20, metavar="N", help="the N newest runs per scenario"
    )
    add_db_option(history)
    history.set_defaults(func=run_history)


def run_history(args: argparse.Namespace) -> int:
    from harness.store.database import RunStore

    if args.limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {args.limit}")
    if not Path(args.db).exists():
        raise ConfigError(f"{args.db}: no run database; run a scenario first or pass --db")
    with RunStore(args.db) as store:
        rows = store.run_history(args.scenario, limit=args.limit)
    if not rows:
        which = f"of scenario {args.scenario} " if args.scenario else ""
        emit(f"no finished run {which}in {args.db}")
        return ExitStatus.PASSED
    emit(history_table(rows))
    return ExitStatus.PASSED


def history_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """One block per scenario: a line per run (oldest first), a column per criterion.

    ``rows`` are :meth:`RunStore.run_history` rows (scenario, run_id, verdict, model,
    git_commit, criterion, passed, applicable), ordered by scenario then time. The model
    and commit say which runs compare: a ``--model`` run is never a baseline.

    >>> print(history_table(rows))  # doctest: +SKIP
    scenario demo-candidate
    run                                     verdict  model                       commit  ...
    demo-candidate-20261123T195544Z-70e511  fail     offline:reference-broker-1  554483  ...
    """
    blocks: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        runs = blocks.setdefault(row["scenario"], {})
        run = runs.setdefault(
            row["run_id"],
            {
                "verdict": row["verdict"] or "?",
                "model": row.get("model") or "?",
                "commit": row.get("git_commit") or "unknown",
                "rates": {},
            },
        )
        run["rates"][row["criterion"]] = row["passed"] / row["applicable"]
    out: list[str] = []
    for scenario, runs in blocks.items():
        criteria = sorted({c for run in runs.values() for c in run["rates"]})
        width = max(len("run"), *(len(r) for r in runs))
        model = max(len("model"), *(len(r["model"]) for r in runs.values()))
        header = f"{'run':<{width}}  {'verdict':<7}  {'model':<{model}}  {'commit':<12}" + "".join(
            f"  {c:>{max(len(c), 6)}}" for c in criteria
        )
        out += [f"scenario {scenario}", header, "-" * len(header)]
        for run_id, run in runs.items():
            cells = "".join(f"  {_rate(run['rates'].get(c)):>{max(len(c), 6)}}" for c in criteria)
            out.append(
                f"{run_id:<{width}}  {run['verdict']:<7}  {run['model']:<{model}}  "
                f"{run['commit']:<12}{cells}"
            )
        out.append("")
    return "\n".join(out).rstrip()


def _rate(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1%}"
