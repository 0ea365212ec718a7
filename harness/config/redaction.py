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

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from harness.config.files import load_yaml_mapping, validate_model
from harness.corpus.cases import Case, FactValue, GoldenLabel, Turn

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
_POSTCODE_ANY_CASE = re.compile(_POSTCODE.pattern, re.IGNORECASE)
_NOT_DIGIT = re.compile(r"\D+")
# A run of digits and the separators phone, card, sort-code and account numbers use.
_NUMBER_RUN = re.compile(r"[\d\s()+-]*\d[\d\s()+-]*")
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}|(?:19|20)\d{6}(?!\d)"
    r"|\d{1,2}(?:st|nd|rd|th)? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{4})"
)
# A date is a date of birth when a cue precedes it ("DOB", "born on", "date of birth").
_DOB = re.compile(
    r"(?P<cue>\b(?:date of birth|d\.?o\.?b\.?|birth ?date|birthday|born(?: on)?)\b"
    r"(?:['\u2019]s)?[\s:,-]{0,3}(?:is |was |on )?)"
    r"(?P<date>" + _DATE + r")",
    re.IGNORECASE,
)
# A UK National Insurance number: two letters, six digits (often in pairs), a letter A-D.
_NI_NUMBER = re.compile(r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.IGNORECASE)
#: Case facts that hold a date of birth: their whole value is redacted.
BIRTH_FACTS = ("date_of_birth", "dob", "birth_date", "birthdate", "customer_date_of_birth")
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
    national_insurance_numbers: bool = True
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


@dataclass(frozen=True, slots=True)
class Redaction:
    """One piece of personal data found in a text: ``text[start:end]`` becomes ``placeholder``."""

    start: int
    end: int
    placeholder: str


def find_personal_data(
    text: str, policy: RedactionPolicy, *, names: Iterable[str] = (), loose: bool = False
) -> list[Redaction]:
    """Where ``text`` holds personal data ``policy`` covers, in order, never overlapping.

    Kinds are looked for in a fixed order (emails, dates of birth, National Insurance
    numbers, card numbers, phone
    numbers, sort codes, account numbers, postcodes, names); a match overlapping one
    already found is left alone, so an email's digits are never also a phone number.
    ``loose`` is for text that was normalised (lower-cased, see
    :func:`harness.config.phrases.normalise`), such as quotes in scoring evidence: names and
    postcodes then match in any case.

    >>> find_personal_data("Hi Alan", RedactionPolicy(), names=["Alan"])
    [Redaction(start=3, end=7, placeholder='[NAME]')]
    """
    if not policy.enabled or not text:
        return []
    keep = set(policy.keep)
    # A kept number is kept however it is spaced ("0800 138 7777", "08001387777").
    keep_digits = {d for k in policy.keep if len(d := _NOT_DIGIT.sub("", k)) >= 6}
    found: list[Redaction] = []
    # Cheap tests first, each a superset of its pattern: most text has no "@", no birth cue,
    # and no run of digits and separators long enough for a phone, card or account number;
    # each pattern costs a scan of the whole text.
    digits = len(_NOT_DIGIT.sub("", text))
    run = max((len(_NOT_DIGIT.sub("", m)) for m in _NUMBER_RUN.findall(text)), default=0)
    lower = text.lower()

    def free(start: int, end: int) -> bool:
        return all(end <= r.start or start >= r.end for r in found)

    def kept(value: str) -> bool:
        return value in keep or (bool(keep_digits) and _NOT_DIGIT.sub("", value) in keep_digits)

    def add(pattern: re.Pattern[str], kind: str, check: Callable[[str], bool] = bool) -> None:
        for match in pattern.finditer(text):
            value = match.group(0)
            if not kept(value) and check(value) and free(match.start(), match.end()):
                found.append(Redaction(match.start(), match.end(), f"[{kind}]"))

    if policy.emails and "@" in text:
        add(_EMAIL, "EMAIL")
    birth_cue = "birth" in lower or "born" in lower or "dob" in lower.replace(".", "")
    if policy.dates_of_birth and birth_cue and digits >= 2:
        for match in _DOB.finditer(text):
            start, end = match.span("date")
            if match.group("date") not in keep and free(start, end):
                found.append(Redaction(start, end, "[DATE_OF_BIRTH]"))
    if policy.national_insurance_numbers and digits >= 6:
        add(_NI_NUMBER, "NI_NUMBER")  # before sort codes: "QQ 12 34 56 C" holds "12 34 56"
    if policy.account_numbers and run >= 16:
        add(_CARD, "CARD_NUMBER")
    if policy.phone_numbers and run >= 10:
        add(_PHONE, "PHONE", _is_uk_phone)
    if policy.account_numbers and run >= 6:
        add(_SORT_CODE, "SORT_CODE")
        if run >= 8:
            add(_ACCOUNT, "ACCOUNT_NUMBER")
    if policy.postcodes and digits >= 2:
        add(_POSTCODE_ANY_CASE if loose else _POSTCODE, "POSTCODE")
    if policy.names:
        words = frozenset(w for n in names for w in n.split() if len(w) > 1 and w not in keep)
        if words:
            add(_names_pattern(words, loose), "NAME")
    return sorted(found, key=lambda r: r.start)


@functools.lru_cache(maxsize=1024)
def _names_pattern(words: frozenset[str], loose: bool) -> re.Pattern[str]:
    """Whole-word alternatives of ``words``, longest first (case-insensitive when ``loose``)."""
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))
    return re.compile(r"\b(?:" + alternatives + r")\b", re.IGNORECASE if loose else 0)


def apply_redactions(text: str, redactions: Iterable[Redaction]) -> str:
    """``text`` with each (ordered, non-overlapping) redaction replaced by its placeholder."""
    pieces = []
    cursor = 0
    for r in redactions:
        pieces += [text[cursor : r.start], r.placeholder]
        cursor = r.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def redact(
    text: str, policy: RedactionPolicy, *, names: Iterable[str] = (), loose: bool = False
) -> str:
    """``text`` with the personal data ``policy`` covers replaced by ``[KIND]`` placeholders.

    ``names`` are people's names known for this text (see :func:`names_in_facts`); they are
    matched as whole words, case-sensitively, so "Grace" is redacted and "grace period" is not
    (unless ``loose``, for normalised text: see :func:`find_personal_data`).

    >>> redact("DOB 04/07/1981, sort code 12-34-56, account 12345678", RedactionPolicy())
    'DOB [DATE_OF_BIRTH], sort code [SORT_CODE], account [ACCOUNT_NUMBER]'
    """
    return apply_redactions(text, find_personal_data(text, policy, names=names, loose=loose))


def keep_wordings(policy: RedactionPolicy, wordings: Iterable[str]) -> RedactionPolicy:
    """``policy`` that also keeps what ``wordings`` hold that it would redact.

    An approved disclosure wording may hold a number compliance checks, such as the free
    debt-advice helpline: said by the agent, it is not personal data and stays readable.

    >>> keep_wordings(RedactionPolicy(), ["Call MoneyHelper on 0800 138 7777."]).keep
    ('0800 138 7777',)
    """
    if not policy.enabled:
        return policy
    found = [w[r.start : r.end] for w in wordings for r in find_personal_data(w, policy)]
    keep = tuple(dict.fromkeys((*policy.keep, *found)))
    return policy if keep == policy.keep else policy.model_copy(update={"keep": keep})


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


def redact_facts(facts: Mapping[str, FactValue], policy: RedactionPolicy) -> dict[str, FactValue]:
    """``facts`` with name facts replaced by ``[NAME]``, date-of-birth facts (:data:`BIRTH_FACTS`)
    by ``[DATE_OF_BIRTH]``, and every other string redacted.

    >>> redact_facts({"customer_first_name": "Alan", "note": "Alan's DOB 1/2/1960"},
    ...              RedactionPolicy())
    {'customer_first_name': '[NAME]', 'note': "[NAME]'s DOB [DATE_OF_BIRTH]"}
    """
    if not policy.enabled:
        return dict(facts)
    names = names_in_facts(facts, policy)

    def clean(key: str, value: FactValue) -> FactValue:
        if not isinstance(value, str):
            return value
        if policy.names and key in policy.name_facts and value:
            return "[NAME]"
        if policy.dates_of_birth and key in BIRTH_FACTS and value:
            return "[DATE_OF_BIRTH]"
        return redact(value, policy, names=names)

    return {k: clean(k, v) for k, v in facts.items()}


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
            "facts": redact_facts(case.facts, policy),
            "tags": {k: clean(v) for k, v in case.tags.items()},
            "labels": labels,
            "question": clean(case.question) if case.question else case.question,
            "contexts": tuple(clean(c) for c in case.contexts) if case.contexts else case.contexts,
            "reference": clean(case.reference) if case.reference else case.reference,
        }
    )
