"""Figures an agent states, whatever the form: labelled lists, tables, sentences, words.

A key fact with a ``figure`` (see :class:`harness.config.disclosures.FigureSpec`) is a
number the customer must be told: a case fact (``apr``, ``monthly_payment``) or a fixed
value (14 days). In each sentence (a line of a list or a table row is one) every number
with its unit is read, "£87.62", "9.9%", "120 months", "10 years", "24 monthly payments",
"two weeks" (number words were made digits when the text was normalised), and given to the
figure whose label is nearest: "**Monthly repayment:** £87.62", "£87.62 a month", "you'd
pay back £10,514.40 altogether". Labels of figures that are not key facts (the cash price,
the deposit, the cost of credit) take their numbers too, so a deposit is never read as the
amount of credit.

>>> from harness.config.disclosures import FigureSpec
>>> spec = FigureSpec(fact="apr", unit="percent", labels=("apr",), name="apr")
>>> [(f.name, f.value) for f in read_figures("- **APR:** 9.9% (representative)", [spec])]
[('apr', 9.9)]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.config.disclosures import FigureSpec
from harness.config.phrases import normalise
from harness.corpus.cases import FactValue
from harness.scoring.sentences import Sentence, figure_sentences, sentences
from harness.scoring.statements import Reading, reading

# A number and its unit in normalised text, and how to express it in the figure's unit.
_NUMBERS = re.compile(
    r"£(?P<money>\d+(?:\.\d+)?)"
    r"|(?P<percent>\d+(?:\.\d+)?)%"
    r"|(?P<count>\d+)\s(?P<unit>days?|weeks?|months?|years?|"
    r"(?:monthly\s)?(?:payments|instalments|installments|repayments))\b"
)
_IN_DAYS = {"day": 1, "week": 7}
_IN_MONTHS = {"month": 1, "year": 12, "payment": 1, "instalment": 1, "installment": 1,
              "repayment": 1}  # fmt: skip
MAX_LABEL_DISTANCE = 8  # words between a label and its number
_CONDITIONS = frozenset({"if", "unless", "suppose", "supposing", "say"})
# A sentence that offers another option ("I can also show you a ten-year version for
# comparison", "alternatively, over 60 months ..."): its figures are not the quote's.
_ALTERNATIVE = re.compile(
    r"\b(?:for comparison|to compare|by comparison|compared (?:with|to)|alternatively|"
    r"as an alternative|(?:another|other|a different) (?:option|term|quote|version|length)|"
    r"\d+ (?:year|month) (?:version|option|alternative|quote)|"
    r"if you(?:'d| would)? (?:rather|prefer)|(?:i|we) (?:can|could) (?:also )?show you)\b"
)


@dataclass(frozen=True, slots=True)
class StatedNumber:
    """A figure read in a sentence: whose it is, its value in the figure's unit, how said."""

    name: str  # the figure's name: the case fact, or the key fact's id for a fixed value
    value: float
    said: str  # the number as it appears in the normalised sentence
    quote: str  # the sentence as said
    reading: Reading
    #: Said inside a condition ("if the panels are fitted three weeks after you sign") or
    #: as another option offered ("a ten-year version for comparison"): the number is
    #: what is supposed, not the figure stated.
    conditional: bool = False
    #: Words between the number and the label that names it ("£87 a month": 0).
    label_distance: int = 0


@dataclass(frozen=True, slots=True)
class _Number:
    value: float
    unit: str  # money, percent, days or months
    start: int
    end: int
    said: str


def read_figures(
    text: str, specs: Sequence[FigureSpec], *, customer: str = ""
) -> list[StatedNumber]:
    """Every number in ``text`` that one of ``specs`` labels, with the reading of its sentence."""
    return list(_read_figures(text, tuple(specs), customer))


@functools.lru_cache(maxsize=16384)
def _read_figures(
    text: str, specs: tuple[FigureSpec, ...], customer: str
) -> tuple[StatedNumber, ...]:
    found = []
    for sentence in figure_sentences(text):
        numbers = list(_numbers(sentence.norm))
        if not numbers:
            continue
        labels = _labels(sentence.norm, specs)
        for number in numbers:
            nearest = _nearest(number, numbers, labels, sentence)
            if nearest is None or nearest[0].is_context:
                continue
            spec, distance = nearest
            read = reading(sentence, number.start, number.end, customer=customer)
            clause = sentence.clause_text(sentence.clause_at(number.start)).split()
            conditional = (bool(clause) and clause[0] in _CONDITIONS) or bool(
                _ALTERNATIVE.search(sentence.norm)
            )
            found.append(
                StatedNumber(
                    spec.name,
                    number.value,
                    number.said,
                    sentence.text,
                    read,
                    conditional,
                    distance,
                )
            )
    return tuple(found)


def unexplained_amounts(
    text: str, specs: Sequence[FigureSpec], known: tuple[float, ...], *, customer: str = ""
) -> list[tuple[str, str]]:
    """Sums of money stated in ``text`` that are none of the case's figures (``known``)
    and that no key figure's label claims: ``(the amount as said, its sentence)``.

    A key figure misnamed ("all in, including your deposit, you'd pay £11,921.04") is no
    wrong figure the reader can pin on a fact, but the rules cannot rule out that it is one.
    Amounts labelled by a context figure with no case fact (a saving, a commission) are
    left alone.
    """
    found = []
    for sentence in figure_sentences(text):
        numbers = list(_numbers(sentence.norm))
        if not any(n.unit == "money" for n in numbers):
            continue
        labels = _labels(sentence.norm, specs)
        for number in numbers:
            if number.unit != "money" or any(abs(number.value - v) < 0.005 for v in known):
                continue
            nearest = _nearest(number, numbers, labels, sentence)
            if nearest is not None and (not nearest[0].is_context or nearest[0].fact is None):
                continue
            if reading(sentence, number.start, number.end, customer=customer).kind != "statement":
                continue
            found.append((number.said, sentence.text))
    return found


def case_figures(
    specs: Sequence[FigureSpec], facts: Mapping[str, FactValue], *, where: str
) -> list[tuple[FigureSpec, float]]:
    """Each figure of ``specs`` the case holds (context ones, the deposit, too), with its
    value: a fixed value, or a case fact the case has."""
    return [
        (s, s.expected(facts, where=where))
        for s in specs
        if s.value is not None or (s.fact is not None and s.fact in facts)
    ]


def same_value(spec: FigureSpec, stated: float, expected: float) -> bool:
    """Whether ``stated`` is the figure's value (money to the penny, rates to 0.01)."""
    return abs(stated - expected) < 0.005


def _numbers(norm: str) -> list[_Number]:
    numbers = []
    for found in _NUMBERS.finditer(norm):
        if found["money"] is not None:
            numbers.append(_Number(float(found["money"]), "money", *found.span(), found[0]))
        elif found["percent"] is not None:
            numbers.append(_Number(float(found["percent"]), "percent", *found.span(), found[0]))
        else:
            unit = found["unit"].split()[-1].rstrip("s")
            count = float(found["count"])
            if unit in _IN_DAYS:
                numbers.append(_Number(count * _IN_DAYS[unit], "days", *found.span(), found[0]))
            if unit in _IN_MONTHS:
                value = count * _IN_MONTHS[unit]
                numbers.append(_Number(value, "months", *found.span(), found[0]))
    return numbers


def _labels(norm: str, specs: Sequence[FigureSpec]) -> list[tuple[int, int, FigureSpec]]:
    """Where each figure's labels occur: longer labels win where two overlap."""
    hits: list[tuple[int, int, FigureSpec]] = []
    for spec in specs:
        for label in spec.labels:
            # A label is a word stem: "borrow" labels "borrowing" and "borrowed" too.
            for found in _label_pattern(normalise(label)).finditer(norm):
                hits.append((found.start(), found.end(), spec))
    # Where labels of one unit overlap, the longer wins ("total amount payable" over
    # "total"); labels of different units may overlap ("120 monthly payments of £87").
    kept: list[tuple[int, int, FigureSpec]] = []
    for hit in sorted(hits, key=lambda h: -(h[1] - h[0])):
        if all(hit[1] <= k[0] or hit[0] >= k[1] or k[2].unit != hit[2].unit for k in kept):
            kept.append(hit)
    return sorted((k for k in kept if not _qualifies(norm, k[0], k[1])), key=lambda h: h[0])


# A label that only qualifies another figure's label: "total to repay (including deposit):
# £6,324.40", "what you'd pay back, deposit included: ...". One followed by its own number
# ("including a deposit of £295") still labels it.
_QUALIFIER_BEFORE = re.compile(
    r"\b(?:including|includes|incl|inc|excluding|excludes|excl)(?: (?:the|your|any|a))? $"
)
_QUALIFIER_AFTER = re.compile(r"^ (?:included|excluded|incl|inc)\b")
_OWN_NUMBER = re.compile(r"^ of £?\d")
_NUMBER_BEFORE = re.compile(r"\d (?:\w+ )?$")  # "your £400 deposit included"


def _qualifies(norm: str, start: int, end: int) -> bool:
    """Whether the label at ``norm[start:end]`` only qualifies another figure's label."""
    after = norm[end : end + 16]
    if _OWN_NUMBER.match(after) or _NUMBER_BEFORE.search(norm[max(0, start - 24) : start]):
        return False
    return bool(_QUALIFIER_BEFORE.search(norm[max(0, start - 24) : start])) or bool(
        _QUALIFIER_AFTER.match(after)
    )


@functools.lru_cache(maxsize=1024)
def _label_pattern(label: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w.£])" + re.escape(label) + r"\w*")


def _nearest(
    number: _Number,
    numbers: list[_Number],
    labels: list[tuple[int, int, FigureSpec]],
    sentence: Sentence,
) -> tuple[FigureSpec, int] | None:
    """The figure whose label is nearest ``number``, with no other number in between, and
    how many words lie between them; a label in the number's own clause first ("you'd pay
    £116.08 a month, £14,879.60 in total": the total is not "a month")."""
    norm = sentence.norm
    clause = sentence.clause_at(number.start)
    best: tuple[bool, int, int, FigureSpec] | None = None
    for start, end, spec in labels:
        if spec.unit != number.unit:
            continue
        if end <= number.start:  # label before the number: "APR 9.9%", "payments of £87"
            gap, between = norm[end : number.start], (end, number.start)
            side = 0
        elif start >= number.end:  # after it: "£87.62 a month", "9.9% APR"
            gap, between = norm[number.end : start], (number.end, start)
            side = 1
        elif start >= number.start and end <= number.end:  # "120 monthly payments"
            gap, between, side = "", (start, start), 0
        else:
            continue
        if any(between[0] <= n.start < between[1] for n in numbers if n is not number):
            continue
        distance = len(gap.split())
        if distance > MAX_LABEL_DISTANCE:
            continue
        elsewhere = sentence.clause_at(start) != clause
        if best is None or (elsewhere, distance, side) < best[:3]:
            best = (elsewhere, distance, side, spec)
    return (best[3], best[1]) if best is not None else None


def sentence_of(text: str, quote: str) -> Sentence | None:
    """The sentence of ``text`` said as ``quote`` (for evidence)."""
    return next((s for s in sentences(text) if s.text == quote), None)
