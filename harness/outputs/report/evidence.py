"""What a failure's evidence says, as the report writes it: labelled lines, and turn citations.

:func:`evidence_items` lays out a (redacted) evidence mapping as labelled lines whose turn
references link to the turn; :func:`citations` says, per turn, why the evidence cites it
and which spans it quotes there, for the transcript's notes and highlights.

>>> [item.label for item in evidence_items({"deadline": "before offer_presented (turn 2)",
...                                         "missing": ["apr"]})]
['Deadline', 'Missing']
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.config.phrases import normalise

# Evidence keys laid out by name; any other key a scorer adds is listed as is.
_KNOWN_EVIDENCE = frozenset(
    {"deadline", "facts", "missing", "late", "contradiction", "reason"}
    | {"superseded", "negated", "wrong_figures", "judge", "combined", "rules_reason"}
    | {"certainty", "unsure_because"}
)
# How the disclosure scorer words a deadline that sits on a turn (see scoring/disclosure_rules).
_DEADLINE_TURN = re.compile(r"^before (?P<event>.+) \(turn (?P<turn>\d+)\)$")
_TRIGGER_TURN = re.compile(r"of the trigger at turn (?P<turn>\d+)$")


@dataclass(frozen=True)
class Inline:
    """A piece of an evidence line; linked to a turn of the case when ``turn`` is set."""

    text: str
    turn: int | None = None


@dataclass(frozen=True)
class EvidenceItem:
    """One labelled entry of a failure's evidence: a line, or a list of lines."""

    label: str
    lines: list[list[Inline]]
    listed: bool = False


def citations(
    evidence: Sequence[tuple[str, Mapping[str, Any]]],
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Per turn: why each criterion's evidence cites it, and the spans it quotes there."""
    notes: dict[int, list[str]] = {}
    spans: dict[int, list[str]] = {}
    for criterion, ev in evidence:
        _cite(criterion, ev, notes, spans)
    return notes, spans


def _cite(
    criterion: str,
    evidence: Mapping[str, Any],
    notes: dict[int, list[str]],
    spans: dict[int, list[str]],
) -> None:
    found: dict[int, list[str]] = {}
    late: dict[int, list[str]] = {}
    for fact in evidence.get("facts") or []:
        turn = fact.get("turn")
        if not isinstance(turn, int):
            continue
        (late if fact.get("late") else found).setdefault(turn, []).append(str(fact.get("id")))
        if not fact.get("late") and fact.get("span"):
            spans.setdefault(turn, []).append(str(fact["span"]))
    for turn, ids in found.items():
        notes.setdefault(turn, []).append(f"{criterion}: key facts found here ({', '.join(ids)})")
    for turn, ids in late.items():
        notes.setdefault(turn, []).append(
            f"{criterion}: said here, after the deadline ({', '.join(ids)})"
        )
    judge = evidence.get("judge") or {}
    if isinstance(judge.get("turn"), int) and judge.get("cited_span"):
        notes.setdefault(judge["turn"], []).append(f"{criterion}: the judge quotes this turn")
        spans.setdefault(judge["turn"], []).append(normalise(str(judge["cited_span"])))
    for wrong in evidence.get("wrong_figures") or []:
        if isinstance(wrong.get("turn"), int):
            notes.setdefault(wrong["turn"], []).append(
                f"{criterion}: {wrong.get('fact')} stated {wrong.get('stated')}, "
                f"the case says {wrong.get('expected')}"
            )
    contradiction = evidence.get("contradiction") or {}
    if isinstance(contradiction.get("turn"), int):
        turn = contradiction["turn"]
        phrase = str(contradiction.get("phrase") or "")
        notes.setdefault(turn, []).append(f"{criterion}: contradicted here (\u201c{phrase}\u201d)")
        if phrase:
            spans.setdefault(turn, []).append(phrase)
    deadline = str(evidence.get("deadline") or "")
    if match := _DEADLINE_TURN.match(deadline):
        notes.setdefault(int(match["turn"]), []).append(
            f"{criterion}: the deadline; its key facts had to come before this"
        )
    elif match := _TRIGGER_TURN.search(deadline):
        notes.setdefault(int(match["turn"]), []).append(
            f"{criterion}: the trigger; its key facts had to follow soon after"
        )


def display(item: Any) -> str:
    """A manifest or fact value as plain text: strings as they are, anything else as JSON."""
    if item is None:
        return "not recorded"
    if isinstance(item, str):
        return item
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


def _turn(item: Any) -> int | None:
    return item if isinstance(item, int) and not isinstance(item, bool) else None


def _at(prefix: str, turn: Any, suffix: str = "") -> list[Inline]:
    """``prefix`` then "turn N" (linked to the turn) then ``suffix``."""
    line = [Inline(prefix), Inline(f"turn {turn}", _turn(turn))]
    return [*line, Inline(suffix)] if suffix else line


def described(fact_id: Any, descriptions: Mapping[str, str]) -> str:
    """A key fact in words, its id after: ``the APR (apr)``; the id alone when unknown.

    >>> described("apr", {"apr": "the APR"}), described("term", {})
    ('the APR (apr)', 'term')
    """
    words = descriptions.get(str(fact_id))
    return f"{words} ({fact_id})" if words else str(fact_id)


def evidence_items(
    ev: Mapping[str, Any], descriptions: Mapping[str, str] | None = None
) -> list[EvidenceItem]:
    """A failure's (redacted) evidence as labelled lines, in the order a reader needs them.

    ``descriptions``: the criterion's key facts in words, by id (from the manifest), so a
    missing fact is named by what it says, not only by its id.
    """
    items: list[EvidenceItem] = []
    words = descriptions or {}

    def one(label: str, *parts: Inline) -> None:
        items.append(EvidenceItem(label, [list(parts)]))

    if ev.get("deadline"):
        one("Deadline", Inline(str(ev["deadline"])))
    facts = [f for f in ev.get("facts") or [] if isinstance(f, dict)]
    found = [f for f in facts if not f.get("late")]
    if found:
        lines = []
        for fact in found:
            suffix = f": \u201c{fact['span']}\u201d" if fact.get("span") else ""
            if fact.get("exact"):
                suffix += " (exact wording)"
            elif fact.get("similarity") is not None:
                suffix += f" (close wording, similarity {fact['similarity']:.1f}%)"
            lines.append(_at(f"{fact.get('id')} at ", fact.get("turn"), suffix))
        items.append(EvidenceItem("Found in time", lines, listed=True))
    late = [f for f in facts if f.get("late")]
    if late:
        lines = [_at(f"{f.get('id')}, first at ", f.get("turn")) for f in late]
        items.append(EvidenceItem("Said after the deadline", lines, listed=True))
    if ev.get("missing"):
        lines = [[Inline(described(fact, words))] for fact in ev["missing"]]
        items.append(EvidenceItem("Missing", lines, listed=True))
    if contradiction := ev.get("contradiction"):
        items.append(
            EvidenceItem(
                "Contradiction",
                [
                    _at(
                        "at ",
                        contradiction.get("turn"),
                        f": \u201c{contradiction.get('phrase')}\u201d",
                    )
                ],
            )
        )
    if superseded := ev.get("superseded"):
        gone = superseded.get("missing_from_current") or []
        missing = "; ".join(described(f, words) for f in gone)
        one(
            "Superseded wording",
            Inline(
                f"the agent used version v{superseded.get('version')} "
                f"({superseded.get('status')}), not the version in force; missing from it: "
                f"{missing}"
            ),
        )
    if ev.get("negated"):
        lines = [
            _at(
                f"{n.get('id')} at ",
                n.get("turn"),
                f": \u201c{n.get('cue')} \u2026 {n.get('span')}\u201d",
            )
            for n in ev["negated"]
        ]
        items.append(EvidenceItem("Said in the negative", lines, listed=True))
    if ev.get("wrong_figures"):
        lines = [
            _at(
                f"{w.get('fact')} at ",
                w.get("turn"),
                f": stated {w.get('stated')}, the case says {w.get('expected')}",
            )
            for w in ev["wrong_figures"]
        ]
        items.append(EvidenceItem("Wrong figures", lines, listed=True))
    if judge := ev.get("judge"):
        items.append(_judge_item(judge))
    if ev.get("combined"):
        rules = f" (rules: {ev['rules_reason']})" if ev.get("rules_reason") else ""
        one("How the verdict was reached", Inline(f"{ev['combined']}{rules}"))
    if ev.get("certainty") == "unsure":
        one("Rules unsure", Inline("; ".join(map(str, ev.get("unsure_because") or []))))
    for key, item in sorted(ev.items()):
        if key not in _KNOWN_EVIDENCE:
            one(key, Inline(display(item)))
    return items


def _judge_item(judge: Mapping[str, Any]) -> EvidenceItem:
    label = f"Judge ({judge['model']})" if judge.get("model") else "Judge"
    if not judge.get("verdict"):
        text = f"no usable answer after {judge.get('attempts')} attempt(s)"
        if judge.get("last_answer"):
            text += f"; its last answer began: \u201c{judge['last_answer']}\u201d"
        return EvidenceItem(label, [[Inline(text)]])
    line = [Inline(str(judge["verdict"]).replace("_", " "))]
    if judge.get("turn") is not None:
        line += [Inline(", citing "), Inline(f"turn {judge['turn']}", _turn(judge["turn"]))]
    if judge.get("cited_span"):
        line.append(Inline(f": \u201c{judge['cited_span']}\u201d"))
    line.append(Inline(f". {judge.get('reasoning') or ''}"))
    return EvidenceItem(label, [line])
