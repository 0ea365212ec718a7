"""The offline reference agent on the shipped prompts, disclosures and demo corpus."""

from __future__ import annotations

import asyncio
import random
import zlib
from pathlib import Path

import pytest

from harness.config.disclosures import PinnedDisclosure, fill, load_registry
from harness.config.phrases import find_phrase
from harness.config.prompts import PromptVersion
from harness.corpus.cases import Case, Turn
from harness.corpus.files import iter_cases
from harness.demo.quotes import price_quote
from harness.errors import ConfigError
from harness.models.base import CompletionRequest, Message
from harness.models.offline import OfflineModel, OfflineOptions
from harness.models.offline_brief import read_brief
from harness.models.offline_cues import read_message
from harness.models.offline_paraphrase import LEAD_INS, toggle_contractions, with_lead_in
from harness.replay.conversation import user_messages
from harness.scoring.base import ScorerContext, Transcript
from harness.scoring.disclosure_rules import disclosure_rules

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = load_registry(ROOT / "scenarios" / "disclosures")
PINNED = tuple(REGISTRY.pin(d, "latest") for d in REGISTRY.ids)
CORPUS = list(iter_cases([ROOT / "corpus" / "demo"]))
EXACT = OfflineOptions(paraphrase_rate=1.0, omission_rate=0.0)  # varied wording, no slips


def _prompt(version: int) -> PromptVersion:
    path = ROOT / "scenarios" / "prompts" / "broker_agent" / f"v{version}.j2"
    return PromptVersion.load(path, "broker_agent", version)


def _replay(
    case: Case, prompt: PromptVersion, model: OfflineModel, seed: int | None = None
) -> Transcript:
    """The conversation as the runner replays it (the runner's own user messages), and
    (by default) a seed of its own for each case."""
    seed = zlib.crc32(case.case_id.encode()) if seed is None else seed
    system = prompt.render(case, PINNED)
    turns = list(case.turns)
    messages: list[Message] = []
    for index, user in user_messages(case):
        messages.append(Message("user", user))
        request = CompletionRequest(system, tuple(messages), seed, case, index)
        text = asyncio.run(model.complete(request)).text
        messages.append(Message("assistant", text))
        turns[index] = Turn(role="agent", text=text)
    return Transcript(tuple(turns))


def _verdicts(case: Case, transcript: Transcript) -> dict[str, str]:
    scores = disclosure_rules(ScorerContext(disclosures=PINNED))(case, transcript)
    return {s.criterion: s.status for s in scores if s.status != "not_applicable"}


def _request(system: str, text: str, case: Case, seed: int = 7) -> CompletionRequest:
    return CompletionRequest(system, (Message("user", text),), seed, case, 1)


def _case(case_id: str, turns: list[Turn]) -> Case:
    quote = price_quote(
        cash_price=8450, deposit=0, apr=9.9, term_months=84, lender="Northmoor Bank"
    )
    facts = {
        "customer_first_name": "Priya",
        "product": "heat_pump",
        "product_name": "air source heat pump",
        "installer": "Greenfield Heating",
        **quote.facts(),
    }
    return Case(case_id=case_id, source="test", facts=facts, turns=tuple(turns))


def test_same_request_and_seed_give_the_same_answer() -> None:
    case = CORPUS[0]
    first = _replay(case, _prompt(1), OfflineModel("ref", OfflineOptions()))
    again = _replay(case, _prompt(1), OfflineModel("ref", OfflineOptions()))
    assert first == again


def test_the_seed_changes_the_wording_not_the_verdict() -> None:
    case = next(c for c in CORPUS if c.tags["outcome"] == "applied")
    model = OfflineModel("ref", EXACT)
    answers = {seed: _replay(case, _prompt(1), model, seed=seed) for seed in (1, 2, 3)}
    assert len({t.turns for t in answers.values()}) > 1
    assert {seed: set(_verdicts(case, t).values()) for seed, t in answers.items()} == {
        1: {"passed"},
        2: {"passed"},
        3: {"passed"},
    }


def test_presents_every_disclosure_the_prompt_lists_in_time() -> None:
    model = OfflineModel("ref", EXACT)
    failures = {
        (case.case_id, criterion)
        for case in CORPUS[::3]
        for criterion, status in _verdicts(case, _replay(case, _prompt(1), model)).items()
        if status != "passed"
    }
    assert failures == set()


def _asks_about_commission(case: Case) -> bool:
    return any("commission" in (t.text or "") for t in case.turns if t.role == "customer")


def _hurried_offer_cases(asks_commission: bool) -> list[Case]:
    return [
        c
        for c in CORPUS
        if c.tags["hurried"] == "yes"
        and "offer_presented" in c.events
        and _asks_about_commission(c) == asks_commission
    ]


def test_prompt_v2_skips_commission_for_a_hurried_customer() -> None:
    model = OfflineModel("ref", EXACT)
    cases = _hurried_offer_cases(asks_commission=False)
    assert len(cases) >= 40
    v1 = {c.case_id: _verdicts(c, _replay(c, _prompt(1), model))["commission"] for c in cases}
    v2 = {c.case_id: _verdicts(c, _replay(c, _prompt(2), model))["commission"] for c in cases}
    assert set(v1.values()) == {"passed"}
    assert set(v2.values()) == {"failed"}


def test_prompt_v2_still_explains_commission_when_the_customer_asks() -> None:
    model = OfflineModel("ref", EXACT)
    cases = _hurried_offer_cases(asks_commission=True)
    assert cases
    assert {_verdicts(c, _replay(c, _prompt(2), model))["commission"] for c in cases} == {"passed"}


def test_prompt_v2_keeps_commission_for_customers_not_in_a_hurry() -> None:
    model = OfflineModel("ref", EXACT)
    cases = [c for c in CORPUS if c.tags["hurried"] == "no" and "offer_presented" in c.events]
    verdicts = {_verdicts(c, _replay(c, _prompt(2), model))["commission"] for c in cases[:60]}
    assert verdicts == {"passed"}


def test_answers_from_the_prompt_and_messages_never_from_request_case() -> None:
    real = _case("real", [Turn(role="customer", text="Hi"), Turn(role="agent", text="Hello")])
    other = _case(
        "other",
        [
            Turn(role="customer", text="I want to apply, my husband passed away"),
            Turn(role="event", event="offer_presented"),
            Turn(role="agent", text="We are the lender."),
        ],
    ).model_copy(update={"facts": {"apr": 99.9}, "tags": {"hurried": "yes"}})
    system = _prompt(2).render(real, PINNED)
    model = OfflineModel("ref", OfflineOptions())
    text = "Can you check if I'd qualify?"
    assert (
        asyncio.run(model.complete(_request(system, text, real))).text
        == asyncio.run(model.complete(_request(system, text, other))).text
    )


def test_reports_usage_and_its_model_id() -> None:
    case = _case("c", [Turn(role="customer", text="Hi")])
    system = _prompt(1).render(case, PINNED)
    model = OfflineModel("reference-broker-1")
    completion = asyncio.run(model.complete(_request(system, "Hi", case)))
    assert completion.model == "reference-broker-1"
    assert completion.usage.input_tokens == (len(system) + 2) // 4 + 1
    assert completion.usage.output_tokens == len(completion.text) // 4 + 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"omision_rate": 0.1},
            "test: model.options: unknown key 'omision_rate' (did you mean 'omission_rate'?); "
            "allowed keys: omission_rate, paraphrase_rate",
        ),
        (
            {"omission_rate": 0.9},
            "test: model.options: field 'omission_rate': Input should be less than or equal "
            "to 0.5 (got 0.9)",
        ),
    ],
)
def test_options_are_closed_and_bounded(options: dict[str, float], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        OfflineModel.from_config("ref", options, "test")
    assert str(caught.value) == message


def test_reads_its_brief_back_from_the_rendered_prompt() -> None:
    case = _case("c", [Turn(role="customer", text="Hi")])
    v1 = read_brief(_prompt(1).render(case, PINNED))
    v2 = read_brief(_prompt(2).render(case, PINNED))
    assert [(d.id, d.version, d.moment, d.before_event) for d in v1.disclosures] == [
        ("broker_status", 2, "opening", "eligibility_check"),
        ("commission", 2, "stage", "offer_presented"),
        ("data_sharing", 1, "stage", "application_submitted"),
        ("representative_example", 1, "stage", "offer_presented"),
        ("right_to_withdraw", 1, "stage", "application_submitted"),
        ("soft_search", 1, "stage", "eligibility_check"),
        ("vulnerability_support", 1, "trigger", None),
    ]
    vulnerability = REGISTRY.disclosure("vulnerability_support").latest_approved()
    assert v1.disclosures[-1].triggers == vulnerability.trigger_phrases()
    assert (v1.skip_when_hurried, v1.short_when_hurried) == ((), False)
    assert (v2.skip_when_hurried, v2.short_when_hurried) == (("commission",), True)
    assert v1.detail("Customer's first name") == "Priya"
    assert v1.disclosures[3].wording == fill(
        REGISTRY.disclosure("representative_example").version(1).wording.strip(),
        case.facts,
        where="test",
    )


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Can you see if I'd qualify?", ("eligibility", 0, False)),
        ("[event: eligibility_check]\nGreat. How much a month?", ("cost", 1, False)),
        ("That all sounds fine. Let's apply.", ("apply", 2, False)),
        ("I'm interested in finance. Sorry, I'm short on time today.", (None, -1, True)),
        ("Hmm, too much. I'll leave it for now, thanks.", ("decline", -1, False)),
    ],
)
def test_reads_the_customer_intent(message: str, expected: tuple[object, ...]) -> None:
    cues = read_message(message)
    assert (cues.intent, cues.stage, cues.hurried) == expected


@pytest.mark.parametrize("pinned", PINNED, ids=[p.id for p in PINNED])
def test_accepted_variations_still_convey_every_key_fact(pinned: PinnedDisclosure) -> None:
    facts = _case("c", [Turn(role="customer", text="Hi")]).facts
    version = pinned.current
    wording = fill(version.wording.strip(), facts, where="test")
    variants = [toggle_contractions(wording)]
    variants += [with_lead_in(v, lead) for v in (wording, variants[0]) for lead in LEAD_INS]
    for variant in variants:
        for kf in version.key_facts:
            phrases = [fill(p, facts, where="test") for p in kf.phrases]
            assert find_phrase(variant, phrases, fuzzy_threshold=version.fuzzy_threshold), (
                kf.id,
                variant,
            )
        assert find_phrase(variant, version.contradictions) is None, variant
    assert toggle_contractions(variants[0]) == wording


def test_omissions_are_rare_and_seeded() -> None:
    model = OfflineModel("ref", OfflineOptions(paraphrase_rate=0.3, omission_rate=0.05))
    cases = random.Random(3).sample(CORPUS, 80)
    verdicts = [s for c in cases for s in _verdicts(c, _replay(c, _prompt(1), model)).values()]
    failed = verdicts.count("failed") / len(verdicts)
    assert 0.0 < failed < 0.1
