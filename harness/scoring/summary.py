"""What a finished run says about its scorers: calibration, the kappa floor, flaky repeats.

Read from the run store by the controller when a run finishes, for the gate (a judge below
its kappa floor refuses it) and the report (a calibration section and a flaky-cases section).

Built by :func:`harness.run.scoring_summary.summarise_scoring`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.scoring.calibration import CalibrationRow
from harness.scoring.repeats import RepeatReport


@dataclass(frozen=True)
class ScoringSummary:
    """Calibration rows, reasons to refuse the gate, and the repeats report (k > 1 only)."""

    calibration: tuple[CalibrationRow, ...] = ()
    refused: tuple[str, ...] = ()
    repeats: RepeatReport | None = None
    min_kappa: float | None = None
    judge_calls: dict[str, Any] | None = None
    judge_model: str | None = None
    #: What the scenario's calibration floor found missing (the run is refused: exit 2).
    floor_missing: tuple[str, ...] = ()
    review_counts_as: str = "fail"

    def gated(self) -> dict[str, CalibrationRow]:
        """The calibration row of the verdict the gate counts, per criterion."""
        return {r.criterion: r for r in self.calibration if r.scorer == "gated"}
