"""Disclosures: what the agent must say, when, and in which approved wording.

Each disclosure lives in ``scenarios/disclosures/<id>.yaml`` and holds its versions. A
version carries the approved wording, the key facts that must appear (each with the phrasings
that count), the phrases that contradict it, when it applies and its deadline.

>>> registry = load_registry(Path("scenarios/disclosures"))  # doctest: +SKIP
>>> registry.get("commission", 2).wording  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import string
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness.config.conditions import Condition, CustomerCuesCondition, condition_holds
from harness.config.files import load_yaml_mapping, validate_model
from harness.config.phrases import compiled, compiling
from harness.corpus.cases import Case, FactValue
from harness.errors import ConfigError, did_you_mean

_FROZEN = ConfigDict(frozen=True, extra="forbid")


FigureUnit = Literal["money", "percent", "months", "days"]


class FigureSpec(BaseModel):
    """A figure the customer must be told: a case fact or a fixed value, and its labels.

    ``fact`` names the case fact that holds the figure (``apr``); ``value`` a fixed one (14
    days). ``labels`` are the words a figure is said with ("monthly payment", "a month",
    "instalment"); in a sentence each number goes to the figure whose label is nearest.
    A version's ``context_figures`` are figures that are not key facts (the cash price),
    listed so their numbers are never read as a key fact's.
    """

    model_config = _FROZEN
    fact: str | None = None
    value: float | None = None
    unit: FigureUnit
    labels: tuple[str, ...] = Field(min_length=1)
    name: str = ""
    is_context: bool = False

    @model_validator(mode="after")
    def _fact_or_value(self) -> FigureSpec:
        if self.fact is not None and self.value is not None:
            raise ValueError("a figure names either a case 'fact' or a fixed 'value', not both")
        if self.fact is None and self.value is None and not self.name:
            raise ValueError(
                "a figure names a case 'fact' or a fixed 'value' (a context figure may "
                "give only a 'name')"
            )
        return self

    def expected(self, facts: Mapping[str, FactValue], *, where: str) -> float:
        """The figure's value for a case (its fact, as a number), or the fixed value."""
        if self.value is not None:
            return self.value
        assert self.fact is not None
        raw = facts.get(self.fact)
        try:
            return float(str(raw).replace(",", "").replace("£", "").rstrip("%"))
        except ValueError:
            raise ConfigError(
                f"{where}: the case fact {self.fact!r} is {raw!r}, not a number"
            ) from None


class KeyFact(BaseModel):
    """A fact the disclosure must convey; any one of ``phrases`` conveys it.

    Phrases may name case facts in braces (``"{apr}% APR"``), filled from the case, so a
    stated figure is checked against the case's own figure. ``patterns`` are regular
    expressions for wording a list of phrases cannot capture; they are searched in the
    normalised text (lower case, curly quotes and dashes folded, punctuation dropped) and
    take no placeholders. A pattern that does not compile is refused when the file loads.
    """

    model_config = _FROZEN
    id: str
    description: str
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    #: A number the fact states (a case fact or a fixed value), read in any common form.
    figure: FigureSpec | None = None
    #: Wording that states the contrary of this fact: said anywhere, it contradicts it.
    opposites: tuple[str, ...] = ()
    opposite_patterns: tuple[str, ...] = ()
    #: An opposite does not count in a sentence that holds one of these (it is about
    #: something else: "a hard search *can* affect your score" is not about the soft one).
    opposite_unless: tuple[str, ...] = ()
    #: Words that show this fact's subject came up (default: the version's ``topics``).
    topics: tuple[str, ...] = ()
    #: The fact is an offer that a question conveys ("Would you like to pause here?"): said
    #: in a question, it still counts. Otherwise a fact only asked about is not presented.
    may_be_asked: bool = False

    @field_validator("patterns", "opposite_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        return compiling(patterns)

    @model_validator(mode="after")
    def _something_to_match(self) -> KeyFact:
        if not self.phrases and not self.patterns and self.figure is None:
            raise ValueError(f"key fact '{self.id}' needs at least one phrase, pattern or figure")
        if self.figure is not None and not self.figure.name:
            named = self.figure.model_copy(update={"name": self.figure.fact or self.id})
            object.__setattr__(self, "figure", named)
        return self

    def compiled_patterns(self) -> tuple[re.Pattern[str], ...]:
        """The patterns, matched against normalised text (lower case, plain punctuation)."""
        return compiled(self.patterns)

    def compiled_opposites(self) -> tuple[re.Pattern[str], ...]:
        return compiled(self.opposite_patterns)


class Deadline(BaseModel):
    """By when the disclosure must have been presented.

    ``before_event``: in an agent turn before the first such event (when the case has it;
    otherwise by the end of the conversation). ``within_agent_turns``: within that many
    agent turns after the ``trigger``: the first customer turn mentioning a trigger phrase,
    or, with ``trigger: customer_cues``, one of the version's ``applies_when`` cues.
    """

    model_config = _FROZEN
    before_event: str | None = None
    within_agent_turns: int | None = Field(default=None, ge=1)
    trigger: tuple[str, ...] | Literal["customer_cues"] | None = None

    @model_validator(mode="after")
    def _trigger_with_window(self) -> Deadline:
        if (self.within_agent_turns is None) != (self.trigger is None):
            raise ValueError("'within_agent_turns' and 'trigger' go together")
        return self


VersionStatus = Literal["draft", "approved", "superseded", "retired"]


class DisclosureVersion(BaseModel):
    """One immutable version of a disclosure."""

    model_config = _FROZEN
    version: int = Field(ge=1)
    status: VersionStatus
    approved_by: str | None = None
    approved_on: date | None = None
    wording: str = Field(min_length=1)
    key_facts: tuple[KeyFact, ...] = Field(min_length=1)
    contradictions: tuple[str, ...] = ()
    #: Words that show the disclosure's subject came up ("commission", "credit score"): an
    #: agent turn in time that holds one but conveys a fact only in other words leaves the
    #: rules unsure, and a later one with a negation or a retraction may contradict it.
    topics: tuple[str, ...] = ()
    #: Patterns (regular expressions over normalised text) for what may take the disclosure
    #: back in words no opposite pins down ("your details stay with us", "we'll approve
    #: you"): an agent sentence anywhere that matches one, and restates no key fact, leaves
    #: a pass unsure. A doubt, not a failure: the words have innocent readings too.
    may_contradict: tuple[str, ...] = ()
    #: Figures that are not key facts (cash price, deposit), so their numbers are not
    #: read as a key fact's figure.
    context_figures: tuple[FigureSpec, ...] = ()
    applies_when: Condition | None = None
    deadline: Deadline = Deadline()
    fuzzy_threshold: int = Field(default=90, ge=50, le=100)

    @field_validator("may_contradict")
    @classmethod
    def _may_contradict_compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        return compiling(patterns)

    def compiled_may_contradict(self) -> tuple[re.Pattern[str], ...]:
        return compiled(self.may_contradict)

    @model_validator(mode="after")
    def _approved_has_approver(self) -> DisclosureVersion:
        if self.status in ("approved", "superseded") and not self.approved_by:
            raise ValueError(f"version {self.version} is {self.status} but has no approved_by")
        if self.deadline.trigger == "customer_cues" and not isinstance(
            self.applies_when, CustomerCuesCondition
        ):
            raise ValueError(
                "deadline 'trigger: customer_cues' needs 'applies_when: {customer_cues: ...}'"
            )
        context = tuple(f.model_copy(update={"is_context": True, "name": f.name or (f.fact or "")})
                        for f in self.context_figures)  # fmt: skip
        object.__setattr__(self, "context_figures", context)
        return self

    def trigger_phrases(self) -> tuple[str, ...]:
        """The phrases a deadline's trigger names (for prompts): its own list, or with
        ``trigger: customer_cues`` every driver's cue phrases."""
        trigger = self.deadline.trigger
        if trigger == "customer_cues" and isinstance(self.applies_when, CustomerCuesCondition):
            drivers = self.applies_when.customer_cues.drivers.values()
            return tuple(dict.fromkeys(p for cues in drivers for p in cues.phrases))
        return tuple(trigger or ()) if trigger != "customer_cues" else ()

    def figure_specs(self) -> tuple[FigureSpec, ...]:
        """Every figure the version reads: its key facts' and its context figures."""
        own = tuple(kf.figure for kf in self.key_facts if kf.figure is not None)
        return own + self.context_figures


class Disclosure(BaseModel):
    """A disclosure and all its versions, oldest first."""

    model_config = _FROZEN
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    purpose: str
    versions: tuple[DisclosureVersion, ...] = Field(min_length=1)

    @field_validator("versions")
    @classmethod
    def _unique_versions(cls, versions: tuple[DisclosureVersion, ...]) -> tuple[Any, ...]:
        numbers = [v.version for v in versions]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"version numbers repeat: {numbers}")
        return tuple(sorted(versions, key=lambda v: v.version))

    def version(self, number: int) -> DisclosureVersion:
        for v in self.versions:
            if v.version == number:
                return v
        known = ", ".join(str(v.version) for v in self.versions)
        raise ConfigError(
            f"disclosure '{self.id}' has no version {number}; known versions: {known}"
        )

    def latest_approved(self) -> DisclosureVersion:
        approved = [v for v in self.versions if v.status == "approved"]
        if not approved:
            raise ConfigError(f"disclosure '{self.id}' has no approved version")
        return approved[-1]


class PinnedDisclosure(BaseModel):
    """A disclosure at the version a scenario runs: what prompts render and scorers check."""

    model_config = ConfigDict(frozen=True)
    disclosure: Disclosure
    current: DisclosureVersion

    @property
    def id(self) -> str:
        return self.disclosure.id

    @property
    def title(self) -> str:
        return self.disclosure.title

    @property
    def older_versions(self) -> tuple[DisclosureVersion, ...]:
        return tuple(v for v in self.disclosure.versions if v.version < self.current.version)

    def content_hash(self) -> str:
        """sha256 of this version's canonical JSON: changes whenever its content changes."""
        payload = json.dumps(self.current.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(f"{self.id}\n{payload}".encode()).hexdigest()

    def applies_to(self, case: Case) -> bool:
        return condition_holds(self.current.applies_when, case)


class DisclosureRegistry:
    """All disclosures found in a folder, by id."""

    def __init__(self, disclosures: Mapping[str, Disclosure], folder: Path) -> None:
        self._by_id = dict(sorted(disclosures.items()))
        self.folder = folder

    @property
    def ids(self) -> list[str]:
        return list(self._by_id)

    def disclosure(self, disclosure_id: str) -> Disclosure:
        try:
            return self._by_id[disclosure_id]
        except KeyError:
            hint = did_you_mean(disclosure_id, self._by_id)
            raise ConfigError(
                f"unknown disclosure '{disclosure_id}'{hint}; {self.folder} defines: "
                f"{', '.join(self._by_id) or 'none'}"
            ) from None

    def pin(self, disclosure_id: str, version: int | Literal["latest"]) -> PinnedDisclosure:
        """The disclosure at ``version`` (``"latest"``: the newest approved version)."""
        disclosure = self.disclosure(disclosure_id)
        current = (
            disclosure.latest_approved() if version == "latest" else disclosure.version(version)
        )
        return PinnedDisclosure(disclosure=disclosure, current=current)


def load_registry(folder: Path) -> DisclosureRegistry:
    """Load every ``<id>.yaml`` in ``folder``; the file name must match the disclosure id."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: disclosure folder not found")
    disclosures: dict[str, Disclosure] = {}
    for path in sorted(folder.glob("*.yaml")):
        data = load_yaml_mapping(path)
        disclosure = validate_model(Disclosure, data, str(path))
        if disclosure.id != path.stem:
            raise ConfigError(
                f"{path}: field 'id' is '{disclosure.id}' but the file is named "
                f"'{path.name}'; name the file '{disclosure.id}.yaml'"
            )
        for v in disclosure.versions:
            _check_placeholders(path, disclosure.id, v)
        disclosures[disclosure.id] = disclosure
    if not disclosures:
        raise ConfigError(f"{folder}: no disclosure files (<id>.yaml) found")
    return DisclosureRegistry(disclosures, folder)


def placeholders(text: str) -> list[str]:
    """The ``{fact}`` names a wording or phrase refers to."""
    if "{" not in text and "}" not in text:
        return []
    return list(_placeholders(text))


@functools.lru_cache(maxsize=4096)
def _placeholders(text: str) -> tuple[str, ...]:
    try:
        return tuple(name for _, name, _, _ in string.Formatter().parse(text) if name)
    except ValueError as exc:
        raise ConfigError(f"bad placeholder in {text!r}: {exc}") from None


def _check_placeholders(path: Path, disclosure_id: str, version: DisclosureVersion) -> None:
    texts = [version.wording] + [p for kf in version.key_facts for p in kf.phrases]
    for text in texts:
        try:
            placeholders(text)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {disclosure_id} v{version.version}: {exc}") from None


def fill(text: str, facts: Mapping[str, FactValue], *, where: str) -> str:
    """Fill ``{fact}`` placeholders in ``text`` from case facts.

    >>> fill("{apr}% APR", {"apr": 9.9}, where="x")
    '9.9% APR'
    """
    names = placeholders(text)
    if not names:
        return text
    missing = [name for name in names if name not in facts]
    if missing:
        raise ConfigError(
            f"{where}: the case has no fact {', '.join(repr(m) for m in missing)} "
            f"needed by {text!r}"
        )
    return text.format_map({k: _format_fact(facts[k]) for k in names})


def _format_fact(value: FactValue) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{int(value):,}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)
