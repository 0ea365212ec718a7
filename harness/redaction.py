"""Redacting personal data from case text: one policy for corpus imports and reports.

A :class:`RedactionPolicy` says which kinds of personal data to replace; every kind is on by
default, because a corpus of regulated conversations should never hold more than it needs.
:func:`redact` replaces each match with a placeholder naming its kind (``[EMAIL]``), so a
reader still sees that something was there. Names cannot be found by a pattern: they come
from the case facts (``customer_first_name`` and friends) and are passed in.

>>> policy = RedactionPolicy()
>>> redact("I'm Alan, alan@example.com, 07700 900123, SW1A 1AA", policy, names=["Alan"])
"I'm [NAME], [EMAIL], [PHONE], [POSTCODE]"
>>> redact("Call MoneyHelper on 0800 138 7777", RedactionPolicy(keep=("0800 138 7777",)))
'Call MoneyHelper on 0800 138 7777'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from harness.cases import Case, FactValue, GoldenLabel, Turn
from harness.config_files import load_yaml_mapping, validate_model

NAME_FACTS = (
    "customer_first_name",
    "customer_last_name",
    "customer_name",
    "first_name",
    "last_name",
    "full_name",
)

_EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# UK numbers: +44 or a leading 0, then 9 or 10 more digits in groups; checked by digit count.
_PHONE = re.compile(r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|\(?0)\d[\d\s()-]{7,14}\d(?!\w)")
_POSTCODE = re.compile(r"\b(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})\b")
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}(?:st|nd|rd|th)? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{4})"
)
# A date is a date of birth when a cue precedes it ("DOB", "born on", "date of birth").
_DOB = re.compile(
    r"(?P<cue>\b(?:date of birth|d\.?o\.?b\.?|birthday|born(?: on)?)\b[\s:,-]{0,3}(?:is |was )?)"
    r"(?P<date>" + _DATE + r")",
    re.IGNORECASE,
)
_SORT_CODE = re.compile(r"(?<![\d-])\d{2}[- ]\d{2}[- ]\d{2}(?![\d-])")
_CARD = re.compile(r"(?<!\d)(?:\d{4}[ -]?){3}\d{4}(?!\d)")
_ACCOUNT = re.compile(r"(?<![\d.,£$])\d{8}(?![\d.,]\d)")


class RedactionPolicy(BaseModel):
    """Which personal data to replace. Every kind is on by default.

    ``keep`` lists exact strings that are never redacted, such as a public helpline number
    in approved disclosure wording. ``name_facts`` names the case facts that hold names.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    names: bool = True
    emails: bool = True
    phone_numbers: bool = True
    postcodes: bool = True
    dates_of_birth: bool = True
    account_numbers: bool = True
    name_facts: tuple[str, ...] = NAME_FACTS
    keep: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> RedactionPolicy:
        """Read a policy from a YAML file of the fields above (unknown keys are refused)."""
        return validate_model(cls, load_yaml_mapping(path), str(path))


def _is_uk_phone(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    if match.lstrip("(").startswith("+44"):
        digits = "0" + digits[2:].removeprefix("0")
    return digits.startswith("0") and len(digits) in (10, 11)


def redact(text: str, policy: RedactionPolicy, *, names: Iterable[str] = ()) -> str:
    """``text`` with the personal data ``policy`` covers replaced by ``[KIND]`` placeholders.

    ``names`` are people's names known for this text (see :func:`names_in_facts`); they are
    matched as whole words, case-sensitively, so "Grace" is redacted and "grace period" is not.

    >>> redact("DOB 04/07/1981, sort code 12-34-56, account 12345678", RedactionPolicy())
    'DOB [DATE_OF_BIRTH], sort code [SORT_CODE], account [ACCOUNT_NUMBER]'
    """
    if not policy.enabled or not text:
        return text
    keep = set(policy.keep)

    def sub(pattern: re.Pattern[str], kind: str, text: str, check: Callable[[str], bool]) -> str:
        def replace(match: re.Match[str]) -> str:
            found = match.group(0)
            if found in keep or not check(found):
                return found
            return f"[{kind}]"

        return pattern.sub(replace, text)

    def always(_: str) -> bool:
        return True

    if policy.emails:
        text = sub(_EMAIL, "EMAIL", text, always)
    if policy.dates_of_birth:
        text = _DOB.sub(
            lambda m: m.group(0) if m.group("date") in keep else m.group("cue") + "[DATE_OF_BIRTH]",
            text,
        )
    if policy.account_numbers:
        text = sub(_CARD, "CARD_NUMBER", text, always)
    if policy.phone_numbers:
        text = sub(_PHONE, "PHONE", text, _is_uk_phone)
    if policy.account_numbers:
        text = sub(_SORT_CODE, "SORT_CODE", text, always)
        text = sub(_ACCOUNT, "ACCOUNT_NUMBER", text, always)
    if policy.postcodes:
        text = sub(_POSTCODE, "POSTCODE", text, always)
    if policy.names:
        words = sorted({w for n in names for w in n.split() if len(w) > 1 and w not in keep})
        if words:
            pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")
            text = pattern.sub("[NAME]", text)
    return text


def names_in_facts(facts: Mapping[str, FactValue], policy: RedactionPolicy) -> tuple[str, ...]:
    """The names held in ``facts`` under the policy's ``name_facts``.

    >>> names_in_facts({"customer_first_name": "Alan", "apr": 9.9}, RedactionPolicy())
    ('Alan',)
    """
    return tuple(
        str(facts[key])
        for key in policy.name_facts
        if isinstance(facts.get(key), str) and facts[key]
    )


def redact_case(case: Case, policy: RedactionPolicy) -> Case:
    """``case`` with every text redacted: turns, string facts, tags, question, contexts,
    reference and label notes. Name facts themselves become ``[NAME]``.

    >>> case = Case(case_id="c1", source="s", facts={"customer_first_name": "Alan"},
    ...             turns=[Turn(role="customer", text="Alan here, alan@example.com")])
    >>> redact_case(case, RedactionPolicy()).turns[0].text
    '[NAME] here, [EMAIL]'
    """
    if not policy.enabled:
        return case
    names = names_in_facts(case.facts, policy)

    def clean(text: str) -> str:
        return redact(text, policy, names=names)

    def clean_fact(key: str, value: FactValue) -> FactValue:
        if not isinstance(value, str):
            return value
        if policy.names and key in policy.name_facts and value:
            return "[NAME]"
        return clean(value)

    turns = tuple(
        Turn(role=t.role, text=clean(t.text), event=t.event) if t.text else t for t in case.turns
    )
    labels = tuple(
        GoldenLabel(
            disclosure_id=lb.disclosure_id,
            applicable=lb.applicable,
            presented=lb.presented,
            note=clean(lb.note) if lb.note else lb.note,
        )
        for lb in case.labels
    )
    return case.model_copy(
        update={
            "turns": turns,
            "facts": {k: clean_fact(k, v) for k, v in case.facts.items()},
            "tags": {k: clean(v) for k, v in case.tags.items()},
            "labels": labels,
            "question": clean(case.question) if case.question else case.question,
            "contexts": tuple(clean(c) for c in case.contexts) if case.contexts else case.contexts,
            "reference": clean(case.reference) if case.reference else case.reference,
        }
    )
