"""The command line's side of an interruption: the resume command and the one line."""

from __future__ import annotations

import pytest

from harness.cli.interrupts import interrupted_line, resume_command
from harness.errors import RunInterrupted


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["s.yaml"], "harness run s.yaml --resume r-1 --out reports/r-1"),
        (
            ["s.yaml", "--out", "o", "--db", "x.db", "--shard", "1/2"],
            "harness run s.yaml --resume r-1 --out reports/r-1 --db x.db",
        ),
        (
            ["--model=anthropic:claude-sonnet-4-6", "s.yaml", "--cache-dir", "my cache"],
            "harness run s.yaml --resume r-1 --out reports/r-1 --model "
            "anthropic:claude-sonnet-4-6 --cache-dir 'my cache'",
        ),
        (
            ["s.yaml", "--concurrency", "8", "--processes", "2", "--batch", "--cache", "off"],
            "harness run s.yaml --resume r-1 --out reports/r-1 --concurrency 8 --processes 2 "
            "--batch --cache off",
        ),
    ],
    ids=["plain", "db-kept-shard-dropped", "model-and-quoted-cache", "all-kept"],
)
def test_the_resume_command_keeps_what_the_resumed_run_needs(argv: list[str], command: str) -> None:
    assert resume_command("s.yaml", argv, "r-1", "reports/r-1") == command


def test_the_one_line_an_interrupted_run_prints() -> None:
    stop = RunInterrupted(2, run_id="r-1", out_dir="o", committed=1234)
    assert interrupted_line(stop, 5000, "harness run s.yaml --resume r-1 --out o") == (
        "interrupted: 1,234 of 5,000 cases committed; finish with "
        "harness run s.yaml --resume r-1 --out o"
    )
    assert interrupted_line(stop, 5000, "X", bound=True) == (
        "interrupted: 1,234 of at most 5,000 cases committed; finish with X"
    )
    assert interrupted_line(RunInterrupted(15), 5000, None) == (
        "interrupted before the run started: nothing was replayed"
    )
    assert (RunInterrupted(2).exit_status, RunInterrupted(15).exit_status) == (130, 143)
