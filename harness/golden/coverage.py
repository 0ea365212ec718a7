"""Corpus coverage: cases per disclosure, tag and length, label coverage, and power analysis.

The question a data scientist must answer before trusting a 95% gate: does each disclosure
apply to enough cases that the gate can tell a 95% agent from a worse one? For each
disclosure (applicability under the current registry), :func:`corpus_stats` counts the
applicable cases, the number :func:`harness.stats.binomial.required_cases` says the gate needs to
tell ``p_good`` from ``p_bad`` with the wanted power, and the lowest pass rate the corpus
*can* tell from ``p_good`` with that power (the detectable drop).

>>> stats = corpus_stats(list(iter_cases(["corpus/demo"])), pinned)  # doctest: +SKIP
>>> [d.disclosure_id for d in stats.under_covered]  # doctest: +SKIP
['vulnerability_support']
"""

from __future__ import annotations

import math
import statistics
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.config.disclosures import PinnedDisclosure
from harness.corpus.cases import Case
from harness.stats.binomial import binomial_cdf, critical_count, required_cases


@dataclass(frozen=True, slots=True)
class PowerSettings:
    """What the gate must tell apart: ``p_good`` from ``p_bad``, at ``alpha`` with ``power``."""

    p_good: float = 0.95
    p_bad: float = 0.90
    alpha: float = 0.05
    power: float = 0.8


@dataclass(frozen=True, slots=True)
class DisclosureCoverage:
    """One disclosure's coverage in the corpus."""

    disclosure_id: str
    version: int
    applicable: int
    needed: int
    detectable: float | None  # lowest pass rate told from p_good with the wanted power
    labelled: int  # cases with a label for this disclosure
    labelled_applicable: int
    labelled_missed: int  # labelled applicable but not presented
    disagreements: int  # labels whose applicability differs from the registry

    @property
    def enough(self) -> bool:
        return self.applicable >= self.needed

    @property
    def short_by(self) -> int:
        return max(0, self.needed - self.applicable)


@dataclass(frozen=True, slots=True)
class Distribution:
    """Summary of a count per case."""

    min: int
    p25: float
    median: float
    p75: float
    max: int
    mean: float
    histogram: dict[int, int]


@dataclass
class CorpusStats:
    """Everything ``harness corpus stats`` reports."""

    cases: int
    settings: PowerSettings
    needed: int
    disclosures: list[DisclosureCoverage]
    tags: dict[str, dict[str, int]]
    tag_applicable: dict[str, dict[str, dict[str, int]]]  # tag → value → disclosure → count
    messages: Distribution
    customer_turns: Distribution
    labelled_cases: int
    sources: dict[str, int] = field(default_factory=dict)

    @property
    def under_covered(self) -> list[DisclosureCoverage]:
        return [d for d in self.disclosures if not d.enough]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["under_covered"] = [d.disclosure_id for d in self.under_covered]
        return data


def detectable_rate(n: int, settings: PowerSettings) -> float | None:
    """The lowest pass rate (to 0.1%) the gate tells from ``p_good`` over ``n`` cases.

    Uses the same one-sided exact binomial test as :func:`harness.stats.binomial.required_cases`:
    with ``k`` the critical pass count at ``alpha``, the power against ``p`` is
    ``P(X <= k | p)``, which falls as ``p`` rises; bisect for where it meets ``power``.
    None when even a 0% agent would not be detected (too few cases for any test).
    """
    if n <= 0:
        return None
    k = critical_count(n, settings.p_good, settings.alpha)
    if k < 0:
        return None
    low, high = 0.0, settings.p_good
    for _ in range(40):
        mid = (low + high) / 2
        if binomial_cdf(k, n, mid) >= settings.power:
            low = mid
        else:
            high = mid
    return math.floor(low * 1000) / 1000  # down: never claim more power than there is


def _distribution(values: Sequence[int]) -> Distribution:
    if not values:
        return Distribution(0, 0, 0, 0, 0, 0, {})
    ordered = sorted(values)
    quartiles = statistics.quantiles(ordered, n=4) if len(ordered) > 1 else [ordered[0]] * 3
    return Distribution(
        min=ordered[0],
        p25=quartiles[0],
        median=statistics.median(ordered),
        p75=quartiles[2],
        max=ordered[-1],
        mean=round(statistics.fmean(ordered), 2),
        histogram=dict(sorted(Counter(ordered).items())),
    )


def corpus_stats(
    cases: Sequence[Case],
    pinned: Sequence[PinnedDisclosure],
    settings: PowerSettings = PowerSettings(),
) -> CorpusStats:
    """Coverage of ``cases`` for the disclosures in ``pinned`` (their current versions)."""
    needed = required_cases(
        settings.p_good, settings.p_bad, alpha=settings.alpha, power=settings.power
    )
    applicable = Counter[str]()
    labelled, labelled_applicable, missed, disagree = (Counter[str]() for _ in range(4))
    tags: dict[str, Counter[str]] = {}
    tag_applicable: dict[str, dict[str, Counter[str]]] = {}
    for case in cases:
        applies = {p.id for p in pinned if p.applies_to(case)}
        applicable.update(applies)
        for name, value in case.tags.items():
            tags.setdefault(name, Counter())[value] += 1
            tag_applicable.setdefault(name, {}).setdefault(value, Counter()).update(applies)
        for p in pinned:
            label = case.label_for(p.id)
            if label is None:
                continue
            labelled[p.id] += 1
            labelled_applicable[p.id] += label.applicable
            missed[p.id] += label.applicable and not label.presented
            disagree[p.id] += label.applicable != (p.id in applies)
    detectable = {n: detectable_rate(n, settings) for n in set(applicable.values()) | {0}}
    disclosures = [
        DisclosureCoverage(
            disclosure_id=p.id,
            version=p.current.version,
            applicable=applicable[p.id],
            needed=needed,
            detectable=detectable[applicable[p.id]],
            labelled=labelled[p.id],
            labelled_applicable=labelled_applicable[p.id],
            labelled_missed=missed[p.id],
            disagreements=disagree[p.id],
        )
        for p in pinned
    ]
    return CorpusStats(
        cases=len(cases),
        settings=settings,
        needed=needed,
        disclosures=disclosures,
        tags={k: dict(sorted(v.items())) for k, v in sorted(tags.items())},
        tag_applicable={
            k: {value: dict(c) for value, c in sorted(v.items())}
            for k, v in sorted(tag_applicable.items())
        },
        messages=_distribution([sum(t.role != "event" for t in c.turns) for c in cases]),
        customer_turns=_distribution([c.customer_turn_count for c in cases]),
        labelled_cases=sum(1 for c in cases if c.labels),
        sources=dict(sorted(Counter(c.source for c in cases).items())),
    )


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%".replace(".0%", "%")


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A plain-text table: numbers right-aligned, text left-aligned."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    numeric = [all(isinstance(row[i], int | float) for row in rows) for i in range(len(header))]
    lines = []
    for number, row in enumerate(cells):
        parts = [
            c.rjust(w) if numeric[i] else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(parts).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def render_stats(stats: CorpusStats) -> str:
    """The stats as the plain-text report ``harness corpus stats`` prints."""
    s = stats.settings
    out = [f"{stats.cases} cases, {stats.labelled_cases} with golden labels", ""]
    out += textwrap.wrap(
        f"Power analysis: to tell a {_pct(s.p_good)} pass rate from {_pct(s.p_bad)} with "
        f"{_pct(s.power)} power (one-sided exact binomial test, alpha {s.alpha}), the gate "
        f"needs {stats.needed} applicable cases per disclosure.",
        width=96,
    )
    rows = [
        [
            d.disclosure_id,
            f"v{d.version}",
            d.applicable,
            d.needed,
            "yes" if d.enough else f"NO ({d.short_by} short)",
            f"{_pct(s.p_good)} vs {d.detectable * 100:.1f}%" if d.detectable is not None else "-",
        ]
        for d in stats.disclosures
    ]
    out += _table(["disclosure", "version", "applicable", "needed", "enough", "detects"], rows)
    under = stats.under_covered
    out.append("")
    if under:
        names = ", ".join(f"{d.disclosure_id} ({d.applicable} of {d.needed})" for d in under)
        out.append(f"Under-covered: {names}.")
        out.append(
            "Add applicable cases to these, or accept that their gate only reliably catches a "
            "drop to the 'detects' rate."
        )
    else:
        out.append("Every disclosure has enough applicable cases.")
    out += ["", "Golden labels"]
    out += _table(
        ["disclosure", "labelled", "applicable", "missed", "disagree w/ registry"],
        [
            [d.disclosure_id, d.labelled, d.labelled_applicable, d.labelled_missed, d.disagreements]
            for d in stats.disclosures
        ],
    )
    ids = [d.disclosure_id for d in stats.disclosures]
    out += ["", "Segments: cases per tag value, and applicable cases per disclosure"]
    out += _table(
        ["tag", "value", "cases", "share", *(i[:8] for i in ids)],
        [
            [
                tag,
                value,
                n,
                _pct(n / stats.cases),
                *(stats.tag_applicable[tag][value].get(i, 0) for i in ids),
            ]
            for tag, values in stats.tags.items()
            for value, n in values.items()
        ],
    )
    for title, dist in (
        ("Messages per case", stats.messages),
        ("Customer turns per case", stats.customer_turns),
    ):
        out += [
            "",
            f"{title}: min {dist.min}, p25 {dist.p25:g}, median {dist.median:g}, "
            f"p75 {dist.p75:g}, max {dist.max}, mean {dist.mean:g}",
        ]
        top = max(dist.histogram.values(), default=1)
        for value, count in dist.histogram.items():
            out.append(f"  {value:>3} {'#' * max(1, round(40 * count / top))} {count}")
    return "\n".join(out)
