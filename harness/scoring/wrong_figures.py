"""Figures the agent said with another value than the case's, in any form.

:func:`wrong_figures` reads every figure of every agent turn (:mod:`harness.scoring.figures`)
and every figure a key fact's phrase template holds ("{apr}% APR"), and keeps those whose
value is not the case's (or not a fixed value such as 14 days), each once, marked ``firm``
when nothing about its reading (a question, a hedge, a supposition, a later correction, a
label that may name another of the case's figures) leaves room for doubt.
"""

from __future__ import annotations

from typing import Any

from harness.config.disclosures import DisclosureVersion
from harness.corpus.cases import Case
from harness.scoring.figures import case_figures, read_figures, same_value
from harness.scoring.findings import AgentTurn
from harness.scoring.matching import template_figures


def wrong_figures(
    version: DisclosureVersion, case: Case, turns: list[AgentTurn], where: str
) -> list[dict[str, Any]]:
    """Figures said with another value than the case's (or the fixed value), each once.

    ``firm`` is False for a figure asked, quoted, hedged ("roughly £125 a month"), supposed,
    equal to another of the case's figures (the deposit read as an instalment) or corrected
    by the right figure later in time; only firm ones fail the disclosure.
    """
    # A key fact with a figure is read by its figure; its phrase templates add nothing.
    templates = [p for kf in version.key_facts if kf.figure is None for p in kf.phrases]
    specs = version.figure_specs()
    expected = {s.name: s.expected(case.facts, where=where) for s in specs if not s.is_context}
    known = case_figures(specs, case.facts, where=where)
    stated: list[dict[str, Any]] = []
    right: dict[str, list[tuple[int, int]]] = {}  # (turn, position in the turn)
    for turn in turns:
        for figure in template_figures(turn.text, templates, case.facts, where=where):
            stated.append({"turn": turn.index, "at": (turn.index, -1), **figure})
        for position, number in enumerate(read_figures(turn.text, specs, customer=turn.customer)):
            if number.name not in expected:
                continue
            spec = next(s for s in specs if s.name == number.name)
            value = expected[number.name]
            if same_value(spec, number.value, value):
                if number.reading.firm:
                    right.setdefault(number.name, []).append((turn.index, position))
                continue
            stated.append(
                {
                    "turn": turn.index,
                    "at": (turn.index, position),
                    "fact": number.name,
                    "stated": _shown(number.value),
                    "expected": _shown(value),
                    "quote": number.quote,
                    # another of the case's own figures under a label a few words off
                    # ("every instalment plus the £800 you're putting in") may be that
                    # figure; one the label names outright ("borrowing £9,950") is not
                    "firm": number.reading.kind == "statement"
                    and not number.reading.doubts
                    and not number.conditional
                    and not (
                        number.label_distance >= 2
                        and any(
                            other.name != spec.name
                            and other.unit == spec.unit
                            and same_value(other, number.value, known_value)
                            for other, known_value in known
                        )
                    ),
                }
            )
    wrong, seen = [], set()
    for item in stated:
        key = (item["turn"], item["fact"], float(item["stated"].lstrip("£")))
        if key in seen:
            continue
        seen.add(key)
        # A right figure said after the wrong one, in time order ("sorry, typo: £132.38").
        corrected = any(at > item["at"] for at in right.get(item["fact"], []))
        entry = {k: v for k, v in item.items() if k != "at"}
        wrong.append({**entry, "firm": item["firm"] and not corrected})
    return wrong


def _shown(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))
