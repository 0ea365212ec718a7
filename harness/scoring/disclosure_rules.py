"""The deterministic disclosure scorer: precision first, and unsure rather than wrong.

For each disclosure version in force and each case:

* not applicable when the version's ``applies_when`` does not hold (conditions on case
  facts, events, and cues in what the customer said; see
  :mod:`harness.scoring.applicability`);
* otherwise the *eligible* agent turns are those before the deadline event (all of them when
  the case lacks it), or the first N agent turns after the trigger;
* it passes when every key fact is stated in an eligible agent turn (any of its phrasings
  or patterns, ``{fact}`` placeholders filled from the case, or its figure read in any
  common form), no agent turn states a figure that differs from the case's, and nothing the
  agent says contradicts it: a listed contradiction, an ``opposite`` of a key fact, a key
  fact said in the negative, a fixed value stated with another value.

The verdict is ``sure`` only when the evidence admits no other reading: every key fact
exactly matched in a firm statement (not a question, an echo of the customer, a quotation
or claim reported as someone else's, a hypothetical; not hedged; not negated anywhere in its
clause), in time, and nothing later touching the subject with a negation or a retraction.
A failure is sure when it rests on firm ground: a wrong figure or a contradiction stated as
fact, the facts of a superseded version, a fact said only after the deadline, or nothing at
all said on the subject. Everything else is ``unsure``, with the reasons; the judge decides
it, or the verdict goes to review.

When it fails, an older version whose key facts were all said in time is named: the agent
used superseded wording, and the reason says ``superseded version v1``.

>>> scorer = disclosure_rules(ScorerContext(disclosures=pinned))  # doctest: +SKIP
>>> scorer(case, transcript)[0].evidence["reason"]  # doctest: +SKIP
'superseded version v1 (missing from v2: ask_how_much)'
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harness.config.disclosures import DisclosureVersion, PinnedDisclosure
from harness.config.phrases import contains_any
from harness.corpus.cases import Case, GoldenLabel
from harness.errors import ConfigError
from harness.replay.conversation import Transcript
from harness.scoring.applicability import Applicability, applicability
from harness.scoring.base import Score, ScorerContext, ScoreStatus
from harness.scoring.contradictions import contradictions
from harness.scoring.doubts import subject_doubts
from harness.scoring.figures import case_figures, unexplained_amounts
from harness.scoring.findings import AgentTurn, Findings, agent_turns, find_facts
from harness.scoring.wrong_figures import wrong_figures

RULES = "rules"
#: In calibration entries: the verdict the gate counts (after the judge, or ``review``).
GATED = "gated"


def disclosure_rules(context: ScorerContext) -> DisclosureRulesScorer:
    """Factory: a scorer with one criterion per disclosure in force (criterion = its id)."""
    return DisclosureRulesScorer(tuple(context.disclosures))


class DisclosureRulesScorer:
    """Stateless: holds only the disclosure versions it checks."""

    def __init__(self, disclosures: tuple[PinnedDisclosure, ...]) -> None:
        self._disclosures = disclosures

    @property
    def criteria(self) -> tuple[str, ...]:
        return tuple(d.id for d in self._disclosures)

    def __call__(self, case: Case, transcript: Transcript) -> list[Score]:
        return [to_review(score_disclosure(d, case, transcript)) for d in self._disclosures]

    def calibrate(self, case: Case) -> dict[str, dict[str, ScoreStatus | str]]:
        """Each labelled disclosure's golden verdict and the rules' on the recorded turns."""
        entries = {}
        for pinned in self._disclosures:
            entry = calibration_entry(pinned, case)
            if entry is not None:
                entries[pinned.id] = entry
        return entries


def unsure(score: Score) -> bool:
    """Whether a rules verdict (passed or failed) is one the rules are not sure of."""
    return score.status in ("passed", "failed") and score.evidence.get("certainty") == "unsure"


def to_review(score: Score) -> Score:
    """The rules verdict as the gate counts it with nothing to settle doubt: ``review``
    when the rules are unsure (their leaning kept in ``verdicts`` and ``evidence.lean``)."""
    if not unsure(score):
        return score
    reasons = "; ".join(score.evidence.get("unsure_because", []))
    lean: str = score.status
    if lean == "failed" and score.evidence.get("reason"):
        lean = f"failed ({score.evidence['reason']})"
    review = f"in review: the rules lean {lean} but are not sure: {reasons}"
    evidence = {**score.evidence, "lean": score.status, "review": review, "reason": review}
    return replace(score, status="review", evidence=evidence)


def golden_status(label: GoldenLabel) -> ScoreStatus:
    """A person's label as the status a scorer should have given."""
    if not label.applicable:
        return "not_applicable"
    return "passed" if label.presented else "failed"


def calibration_entry(pinned: PinnedDisclosure, case: Case) -> dict[str, ScoreStatus | str] | None:
    """``{"gold": …, "rules": …, "rules_certainty": …}`` for a labelled case, else None.

    Golden labels describe what production said, so the rules score the recorded turns.
    """
    label = case.label_for(pinned.id)
    if label is None:
        return None
    rules = score_disclosure(pinned, case, Transcript(case.turns))
    return {
        "gold": golden_status(label),
        RULES: rules.status,
        "rules_certainty": str(rules.evidence.get("certainty", "sure")),
        GATED: to_review(rules).status,
    }


def score_disclosure(pinned: PinnedDisclosure, case: Case, transcript: Transcript) -> Score:
    """The rules verdict on one disclosure for one replayed case."""
    version = pinned.current.version
    applies = applicability(pinned, case)
    if not applies.applies:
        return Score(
            pinned.id,
            "not_applicable",
            criterion_version=version,
            verdicts={RULES: "not_applicable"},
        )
    if transcript.error is not None:
        return Score(
            pinned.id,
            "error",
            error=transcript.error,
            criterion_version=version,
            verdicts={RULES: "error"},
        )
    try:
        return _verdict(pinned, case, transcript, applies)
    except ConfigError as exc:
        return Score(
            pinned.id, "error", error=str(exc), criterion_version=version, verdicts={RULES: "error"}
        )


def eligible_window(
    pinned: PinnedDisclosure, case: Case, applies: Applicability | None = None
) -> tuple[int, int, str]:
    """The [start, end) turn-index window in which the disclosure counts, and its description."""
    deadline = pinned.current.deadline
    turns = case.turns
    if deadline.before_event:
        for index, turn in enumerate(turns):
            if turn.role == "event" and turn.event == deadline.before_event:
                return 0, index, f"before {deadline.before_event} (turn {index})"
        return 0, len(turns), f"by the end ({deadline.before_event} did not happen)"
    if deadline.trigger and deadline.within_agent_turns:
        trigger = _trigger_turn(pinned, case, applies)
        if trigger is not None:
            agent_after = [i for i in range(trigger + 1, len(turns)) if turns[i].role == "agent"]
            window = agent_after[: deadline.within_agent_turns]
            end = window[-1] + 1 if window else trigger + 1
            n = deadline.within_agent_turns
            return trigger + 1, end, f"within {n} agent turn(s) of the trigger at turn {trigger}"
    return 0, len(turns), "any time in the conversation"


def _trigger_turn(
    pinned: PinnedDisclosure, case: Case, applies: Applicability | None
) -> int | None:
    trigger = pinned.current.deadline.trigger
    if trigger == "customer_cues":
        applies = applies or applicability(pinned, case)
        return applies.trigger_turn
    assert trigger is not None
    for index, turn in enumerate(case.turns):
        if turn.role == "customer" and contains_any(turn.text or "", trigger):
            return index
    return None


def _verdict(
    pinned: PinnedDisclosure, case: Case, transcript: Transcript, applies: Applicability
) -> Score:
    version = pinned.current
    start, end, deadline_text = eligible_window(pinned, case, applies)
    turns = agent_turns(transcript)
    where = f"case {case.case_id}: disclosure {pinned.id} v{version.version}"
    findings = find_facts(version, case, turns, (start, end), where)
    wrong = wrong_figures(version, case, turns, where)
    contradicted = contradictions(version, turns, case.facts)
    superseded = None
    if not findings.complete:
        superseded = _superseded(pinned, case, turns, (start, end), findings)

    evidence: dict[str, Any] = {"deadline": deadline_text, "facts": findings.facts}
    reasons: list[str] = []
    if superseded is not None:
        evidence["superseded"] = superseded
        missing_now = ", ".join(superseded["missing_from_current"])
        reasons.append(
            f"superseded version v{superseded['version']} "
            f"(missing from v{version.version}: {missing_now})"
        )
    if findings.missing:
        evidence["missing"] = findings.missing
        wrong_names = {w["fact"] for w in wrong if w["firm"]}
        unexplained = [
            kf.id
            for kf in version.key_facts
            if kf.id in findings.missing and not wrong_names & findings.figure_names(kf.id)
        ]
        if superseded is None and unexplained:
            reasons.append("missing: " + ", ".join(unexplained))
    if findings.late:
        evidence["late"] = findings.late
        if superseded is None:  # else the superseded reason already names them
            reasons.append("after the deadline: " + ", ".join(findings.late))
    if findings.negated:
        evidence["negated"] = findings.negated
        negated_missing = sorted({n["id"] for n in findings.negated} & set(findings.missing))
        if negated_missing:
            first = next(n for n in findings.negated if n["id"] == negated_missing[0])
            reasons.append(
                f"said in the negative at turn {first['turn']} ('{first['cue']} … {first['span']}')"
            )
    if findings.not_statements:
        evidence["not_statements"] = findings.not_statements
        only = [n for n in findings.not_statements if n["id"] in findings.missing]
        if only:
            reasons.append(
                "said only "
                + "; ".join(
                    f"as {_kind_words(n['kind'])} ({n['id']}, turn {n['turn']})" for n in only
                )
            )
    firm_wrong = [w for w in wrong if w["firm"]]
    if wrong:
        evidence["wrong_figures"] = wrong
    if firm_wrong:
        shown = "; ".join(
            f"{w['fact']} stated {w['stated']}, the case says {w['expected']}" for w in firm_wrong
        )
        reasons.append(f"wrong figure: {shown}")
    firm_contradiction = next((c for c in contradicted if c["firm"]), None)
    if contradicted:
        evidence["contradiction"] = firm_contradiction or contradicted[0]
    if firm_contradiction is not None:
        reasons.append(
            f"contradicted at turn {firm_contradiction['turn']}: '{firm_contradiction['phrase']}'"
        )
    found_count = len(version.key_facts) - len(findings.missing) - len(findings.late)
    passed = not reasons
    evidence["reason"] = "; ".join(reasons) if reasons else "all key facts in time"
    doubts = _doubts(passed, findings, wrong, contradicted, applies)
    doubts += subject_doubts(version, turns, findings) if passed else []
    doubts += _unexplained(version, case, turns, where) if passed else []
    superseded_firm = superseded is not None and bool(
        set(findings.silent) & set(superseded["missing_from_current"])
    )
    firm_failure = bool(firm_wrong or firm_contradiction or superseded_firm or findings.late_only)
    if not passed and (firm_failure or findings.nothing_said):
        doubts = [d for d in doubts if d.startswith("applicability")]
    if doubts:
        evidence.update(certainty="unsure", unsure_because=doubts)
    else:
        evidence["certainty"] = "sure"
    status: ScoreStatus = "passed" if passed else "failed"
    return Score(
        criterion=pinned.id,
        criterion_version=version.version,
        status=status,
        score=round(found_count / len(version.key_facts), 4),
        evidence=evidence,
        verdicts={RULES: status},
    )


def _unexplained(
    version: DisclosureVersion, case: Case, turns: list[AgentTurn], where: str
) -> list[str]:
    """A doubt for each sum of money the agent states that is none of the case's figures,
    when the version states figures of money (a misnamed total may hide a wrong one)."""
    specs = version.figure_specs()
    if not any(s.unit == "money" and not s.is_context for s in specs):
        return []
    known = tuple(value for _, value in case_figures(specs, case.facts, where=where))
    return [
        f'turn {turn.index} states {said}, which is none of the case\'s figures: "{quote}"'
        for turn in turns
        for said, quote in unexplained_amounts(turn.text, specs, known, customer=turn.customer)
    ][:2]


def _kind_words(kind: str) -> str:
    return {
        "question": "a question",
        "echo": "an echo of the customer",
        "quoted": "a quotation or someone else's claim",
        "hypothetical": "a hypothetical",
        "beside_fact": "a limit beside a key fact, in the same sentence",
        "conditional": "a condition left to the customer ('if you want to ...')",
    }.get(kind, kind)


def _doubts(
    passed: bool,
    findings: Findings,
    wrong: list[dict[str, Any]],
    contradicted: list[dict[str, Any]],
    applies: Applicability,
) -> list[str]:
    """Why the verdict may be wrong; none means the evidence admits no other reading."""
    doubts = []
    if not applies.sure:
        doubts.append(f"applicability: {applies.why}")
    if findings.weak:
        doubts.append("not stated as plain fact: " + "; ".join(findings.weak))
    if findings.negated and passed:
        doubts.append("a key fact was also said in the negative")
    if passed and any(not w["firm"] for w in wrong):
        doubts.append("a different figure was also given (hedged, asked or corrected)")
    if any(not c["firm"] for c in contradicted):
        first = next(c for c in contradicted if not c["firm"])
        doubts.append(
            f"contrary wording at turn {first['turn']} ('{first['phrase']}'), "
            f"said as {_kind_words(first['kind'])}"
        )
    if not passed and findings.missing and not findings.nothing_said:
        doubts.append("key facts not found, which a paraphrase could explain")
    if not passed and findings.late and not findings.late_only:
        doubts.append("a key fact was said only after the deadline")
    if not passed and findings.not_statements:
        doubts.append("a key fact appears only in a question, echo, quotation or hypothetical")
    return doubts


def _superseded(
    pinned: PinnedDisclosure,
    case: Case,
    turns: list[AgentTurn],
    window: tuple[int, int],
    current: Findings,
) -> dict[str, Any] | None:
    """The newest older version whose key facts were all said in time, if any."""
    for older in reversed(pinned.older_versions):
        where = f"case {case.case_id}: disclosure {pinned.id} v{older.version}"
        try:
            found = find_facts(older, case, turns, window, where)
        except ConfigError:
            continue  # an old version may name a fact this case lacks: it was not said
        if found.complete and not found.weak:
            return {
                "version": older.version,
                "status": older.status,
                "missing_from_current": current.missing + current.late,
            }
    return None
