"""Figures the report draws from the store: pass-rate trends and call figures against the baseline.

:func:`trends` turns :meth:`~harness.store.database.RunStore.run_history` rows, plus this
run's gate, into one :class:`Trend` per criterion: the points of an inline SVG sparkline and
the same rates in words for its text alternative. :func:`call_comparison` sets this run's model-call
figures beside the baseline run's, with the change in words and signs, never colour alone.

>>> trend = trends(history, gate)["commission"]  # doctest: +SKIP
>>> trend.label  # doctest: +SKIP
'Pass rate in the last 3 runs, oldest first: 97.1%, 97.1%, 82.8% (this run); threshold 95%'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.gate.policy import GateResult

#: Runs of the scenario a sparkline shows (this run included).
TREND_RUNS = 20
# Sparkline geometry, in SVG user units (the viewBox).
_WIDTH = 72.0
_HEIGHT = 24.0
_PAD = 3.0


@dataclass(frozen=True)
class Trend:
    """One criterion's pass rate over the scenario's recent runs, oldest first, this run last."""

    criterion: str
    rates: list[float | None]
    threshold: float
    points: str  # SVG polyline points
    last: tuple[float, float] | None  # this run's point
    threshold_y: float

    @property
    def runs(self) -> int:
        return len(self.rates)

    @property
    def label(self) -> str:
        words = [percent(r) for r in self.rates]
        if words:
            words[-1] += " (this run)"
        runs = "run" if self.runs == 1 else f"last {self.runs} runs"
        return (
            f"Pass rate in the {runs}, oldest first: {', '.join(words)}; "
            f"threshold {percent(self.threshold, 0)}"
        )


def percent(rate: float | None, places: int = 1) -> str:
    """``0.5`` → ``50.0%``; thresholds use ``places=0`` and keep a needed decimal (97.5%)."""
    if rate is None:
        return "n/a"
    text = f"{rate * 100:.{max(places, 1)}f}"
    if places == 0 and text.endswith(".0"):
        text = text[:-2]
    return f"{text}%"


def trends(
    history: Sequence[Mapping[str, Any]], gate: GateResult, *, runs: int = TREND_RUNS
) -> dict[str, Trend]:
    """Per criterion of ``gate``: its pass rate in the earlier runs of ``history`` then this run.

    ``history`` rows are :meth:`~harness.store.database.RunStore.run_history` rows of one scenario
    (oldest first); the run being reported, if it is among them, is taken from ``gate``.
    """
    order: list[str] = []
    rates: dict[str, dict[str, float]] = {}
    for row in history:
        if row["run_id"] == gate.run_id:
            continue
        if row["run_id"] not in rates:
            order.append(row["run_id"])
        applicable = row["applicable"] or 0
        rates.setdefault(row["run_id"], {})[row["criterion"]] = (
            row["passed"] / applicable if applicable else math.nan
        )
    earlier = order[-(runs - 1) :] if runs > 1 else []
    found = {}
    for c in gate.criteria:
        series: list[float | None] = []
        for run in earlier:
            rate = rates[run].get(c.criterion)
            series.append(None if rate is None or math.isnan(rate) else rate)
        series.append(c.pass_rate)
        found[c.criterion] = _trend(c.criterion, series, c.threshold)
    return found


def _trend(criterion: str, rates: list[float | None], threshold: float) -> Trend:
    known = [r for r in rates if r is not None]
    # The chart spans from a little below the lowest rate (or the threshold) to 100%, so a
    # drop of a few points still shows; the text alternative carries the exact figures.
    floor = max(0.0, math.floor((min([*known, threshold]) - 0.02) * 20) / 20)
    span = 1.0 - floor or 1.0

    def y(rate: float) -> float:
        return round(_HEIGHT - _PAD - (rate - floor) / span * (_HEIGHT - 2 * _PAD), 2)

    step = (_WIDTH - 2 * _PAD) / max(len(rates) - 1, 1)
    xy = [
        (round(_PAD + i * step if len(rates) > 1 else _WIDTH / 2, 2), y(r))
        for i, r in enumerate(rates)
        if r is not None
    ]
    last = xy[-1] if rates and rates[-1] is not None else None
    return Trend(
        criterion=criterion,
        rates=rates,
        threshold=threshold,
        points=" ".join(f"{a},{b}" for a, b in xy),
        last=last,
        threshold_y=y(threshold),
    )


@dataclass(frozen=True)
class CallFigure:
    """One model-call figure: this run, the baseline, and the change in words."""

    label: str
    now: str
    baseline: str | None
    change: str | None


# (key, label, kind): how each figure reads and how its change is written.
_FIGURES = (
    ("calls", "Calls", "count"),
    ("failed_calls", "Failed calls", "count"),
    ("input_tokens", "Input tokens", "count"),
    ("output_tokens", "Output tokens", "count"),
    ("cache_hits", "Cache hits", "count"),
    ("retries", "Retries", "count"),
    ("cache_read_tokens", "Prompt-cache tokens read", "count"),
    ("cache_write_tokens", "Prompt-cache tokens written", "count"),
    ("cost_usd", "Cost (USD)", "usd"),
    ("median_latency_ms", "Median latency", "ms"),
    ("median_queued_ms", "Median wait for a call slot", "ms"),
)


def _figure(value: Any, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "usd":
        return f"{float(value):.4f}"
    if kind == "ms":
        return f"{float(value):.1f} ms"
    return f"{int(value):,}"


def _change(now: Any, before: Any, kind: str) -> str:
    if now is None or before is None:
        return "n/a"
    diff = float(now) - float(before)
    if kind == "count":
        shown = f"{abs(round(diff)):,}"
    elif kind == "usd":
        shown = f"{abs(diff):.4f}"
    else:
        shown = f"{abs(diff):.1f} ms"
    if abs(diff) < (0.5 if kind == "count" else 0.00005):
        return "\u00b10 (no change)"
    sign = "+" if diff > 0 else "\u2212"
    relative = f" ({sign}{abs(diff) / float(before):.0%})" if before else ""
    return f"{sign}{shown}{relative}"


def call_comparison(now: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> list[CallFigure]:
    """This run's call figures, and with a baseline its figures and the signed change.

    >>> call_comparison({"calls": 12}, {"calls": 10})[0]
    CallFigure(label='Calls', now='12', baseline='10', change='+2 (+20%)')
    """
    figures = []
    for key, label, kind in _FIGURES:
        if key not in now:
            continue
        before = baseline.get(key) if baseline is not None else None
        figures.append(
            CallFigure(
                label=label,
                now=_figure(now.get(key), kind),
                baseline=_figure(before, kind) if baseline is not None else None,
                change=_change(now.get(key), before, kind) if baseline is not None else None,
            )
        )
    return figures
