"""What kind of statement a phrase was found in: said as fact, or only asked, echoed, quoted.

A disclosure is presented only by a *statement*: the agent telling the customer something as
fact. The same words inside a question ("Did you know we're paid by the lender?"), an echo
of the customer ("You're asking whether the search affects your score"), a quotation or a
claim reported as someone else's ("Some sites say it won't affect your credit score"), or a
hypothetical ("If we were the lender...") convey nothing, and a hedge ("I think we might get
something") or a negation a few clauses earlier leaves the reading open. Given an agent
turn's sentences (:mod:`harness.scoring.sentences`: clause pieces, quoted pieces), this
module classifies a position in a sentence:

* ``kind``: ``statement``, ``question``, ``echo``, ``quoted`` or ``hypothetical``;
* ``negated_by``: a negation cue earlier in the same clause ("we are **not** paid...");
* ``doubts``: why a statement is not a firm one (a hedge, a negation in an earlier clause
  that may reach it, a question tag).

The cue lists are English and deliberately broad: a doubt costs a verdict its ``sure``
mark (the judge or a person decides), while a missed doubt can pass a breach.

>>> from harness.scoring.sentences import sentences
>>> sentence = sentences("Did you know we're paid a commission by the lender?")[0]
>>> reading(sentence, sentence.norm.index("paid")).kind
'question'
>>> sentence = sentences("We're a credit broker, not a lender. Shall I run the check?")[0]
>>> reading(sentence, sentence.norm.index("credit")).kind
'statement'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from harness.config.phrases import normalise
from harness.scoring.sentences import Sentence

QUESTION_MARK = "said with a question mark"
StatementKind = Literal["statement", "question", "echo", "quoted", "hypothetical"]

# Words that negate what follows them in the same clause.
NEGATION_CUES = frozenset(
    {
        "not", "no", "never", "don't", "doesn't", "didn't", "won't", "wouldn't", "isn't",
        "aren't", "wasn't", "weren't", "can't", "cannot", "couldn't", "shouldn't", "haven't",
        "hasn't", "without", "nothing", "neither", "nor", "dont", "doesnt", "wont", "cant",
        "isnt", "arent", "none", "nobody", "hardly", "barely", "shan't", "mustn't",
    }
)  # fmt: skip
# Words that start a new clause: a negation before them does not reach past them.
CLAUSE_WORDS = frozenset(
    {
        "and", "but", "so", "because", "which", "if", "when", "while", "or", "however",
        "though", "although", "whereas", "instead", "rather", "plus", "also", "then",
        "since", "cos", "coz",
    }
)  # fmt: skip
# A clause that starts with its own subject is not reached by a negation in an earlier one.
_SUBJECTS = frozenset(
    {
        "we", "we're", "we've", "we'll", "we'd", "i", "i'm", "i'll", "i've", "you", "you're",
        "you'll", "you've", "you'd", "they", "they're", "they'll", "it", "it's", "this",
        "that", "there", "there's", "the", "our", "your", "their", "he", "she", "brightwell",
    }
)  # fmt: skip
_QUESTION_OPENERS = re.compile(
    r"^(?:(?:so|and|but|ok|okay|also|now|first|quick question|just to check|"
    r"can i ask)\s+)?"
    r"(?:(?:do|does|did|would|could|can|will|shall|should|is|are|was|were|have|has|had|may|"
    r"might|isn't|aren't|doesn't|don't|won't|wouldn't)\s+(?:i|you|we|they|it|he|she|there|"
    r"that|this|the|my|your|our|any|anyone|anything)\b|(?:what|how|why|when|where|which|who|"
    r"whether|any idea|is it true)\b)"
)
_ECHO = re.compile(
    r"\b(?:you(?:'re| are| were)? ask(?:ed|ing)?|"
    r"(?<!if )you(?:'d| would)? (?:like|want(?:ed)?) to know (?:whether|if)|"
    r"you(?:'re| are| were)? wonder(?:ed|ing)?|you mentioned|you said|you(?:'ve| have) heard|"
    r"your question|you(?:'re| are) worried|you(?:'re| are) concerned|asking (?:me )?whether|"
    r"asking (?:me )?if|the question (?:of|is)|to check (?:what you|whether you)|"
    r"if i understand you|in other words you)\b"
    r"|^(?:are you |you(?:'re| are) )?(?:worried|concerned|wondering|nervous|anxious)\b"
)
_REPORTED = re.compile(
    r"\b(?:some (?:people|sites|websites|brokers|firms|companies|adverts|ads|lenders|"
    r"comparison sites|forums|customers)? ?(?:say|says|said|claim|claims|tell you|suggest|"
    r"think|assume|believe|will tell you|might tell you)|you (?:may|might|will|'ll|could) "
    r"(?:have )?(?:hear|heard|read|see|seen)|(?:people|customers|many|most people) (?:often )?"
    r"(?:think|assume|believe|expect)|(?:don't|do not|never) (?:believe|say|tell|assume)|"
    r"not allowed to (?:say|claim|tell)|"
    r"(?:can't|cannot|shouldn't|mustn't|must not|should not|won't) (?:say|claim|tell you|"
    r"promise|guarantee)|rather than (?:saying|telling|claim)|instead of (?:saying|telling)|"
    r"contrary to|old script|used to (?:say|tell)|avoid saying|rumou?r|the idea that|"
    r"(?:claim|claims|claimed|suggestion|impression) that|whoever told you|"
    r"heard that|read that|been told|"
    # a third party's words ("the fitter's told you we're a broker")
    r"(?:fitter|installer|engineer|surveyor|salesman|saleswoman|sales rep|rep|neighbour|friend|"
    r"brother|sister|son|daughter|mum|dad|husband|wife|partner|leaflet|website|brochure|advert|"
    r"someone|somebody|the guy|the man|the lady|the chap)(?:'s| has| have| had| who)? "
    r"(?:told you|said|says|reckons|reckoned|mentioned|claims|claimed|tells you|told me))\b"
)
# A claim called false: it governs what follows it in its own clause ("it's a myth that
# applying hurts your score"), or after "that"; not a later clause ("..., but it's not true
# for this one, ours is a soft search").
_MYTH = re.compile(
    r"\b(?:(?:it's|it is|that's|that is) (?:a )?(?:common )?(?:myth|misconception|not true|"
    r"untrue|wrong)|a common (?:myth|misconception|mistake))\b"
)
_MYTH_THAT = re.compile(_MYTH.pattern + r" that\b")
# Words after which what a quotation, report or hypothetical said is over ("people say it
# hurts your score, but it's not true: ours is a soft search").
_TURN_BACK = re.compile(r"\b(?:but|however|though|although|yet|whereas|actually|in fact)\b")
# A sentence that opens by refusing to say what follows ("what I won't do, however
# tempting, is tell you that it's a soft search"): what follows is not the agent's claim.
_WONT_SAY = re.compile(
    r"^(?:and |but |so )?what (?:i|we) (?:won't|will not|can't|cannot|wouldn't|would not|"
    r"won't ever|will never|'ll never|never|am not going to|'m not going to|i'm not going to|"
    r"shouldn't|should not|don't|do not) (?:\w+ )?(?:do|say|promise|tell you|claim|pretend)\b"
)
_HYPOTHETICAL = re.compile(
    r"\b(?:if (?:we|i|it|this|that|they) (?:were|was)|were we|suppose|supposing|imagine|"
    r"hypothetically|in theory|in principle|let's say|say for example|"
    r"in a world where|pretend|if we did|if we had|if there were|"
    # a past that did not happen ("if you'd taken a bank loan instead"); "would have" alone
    # is not one: "you would have 14 days" is "you'd have 14 days" written out, and "the
    # total you would have paid" a future
    r"if (?:you|i|they)(?:'d| had) (?:already |instead )?(?:been|had|got|gotten|taken|gone|"
    r"chosen|done|made|signed|\w+ed))\b"
)
# Hedges that cover the whole sentence, wherever they sit ("..., I think").
_HEDGES_ANYWHERE = re.compile(
    r"\b(?:i think|i believe|i'm not sure|i am not sure|not sure|not certain|unsure|"
    r"not 100|as far as i know|i guess|i assume|i suppose|if i remember|don't quote me|"
    r"i could be wrong|i reckon|i imagine|i'd have to check|i would have to check|"
    r"i'll need to check|can't say for certain|hard to say|or so|give or take|it's possible|"
    r"it is possible|i'd hesitate|i would hesitate|wouldn't want to say|would not want to say|"
    r"can't promise|cannot promise|in some circumstances)\b"
)
# Hedges that qualify what follows them ("we might get a small fee").
_HEDGES_BEFORE = re.compile(
    r"\b(?:probably|possibly|perhaps|maybe|might|may well|may or may not|supposedly|"
    r"apparently|roughly|sort of|kind of|something like|not always|in some cases|"
    r"sometimes|occasionally|could be|can be)\b"
)
# "the light-touch kind of enquiry", "this sort of check": a kind of thing, not a hedge.
_A_KIND_OF = re.compile(
    r"\b(?:the|a|an|this|that|these|those|what|which|any|some|every|same|one|another|"
    r"other|our|your)(?: [\w']+){0,2} $"
)


def _hedge_before(before: str) -> re.Match[str] | None:
    """The first hedge in ``before`` that qualifies what follows it."""
    for hedge in _HEDGES_BEFORE.finditer(before):
        if hedge.group(0) in ("sort of", "kind of") and _A_KIND_OF.search(before[: hedge.start()]):
            continue
        return hedge
    return None


# A figure rounded off: an approximation right before the words found ("around a hundred
# pounds a month", "approximately £116"); not "over" or "under" ("£5,000 over 60 months").
_APPROXIMATELY = re.compile(
    r"\b(?:around|about|approximately|approx|nearly|almost|circa|just shy of|"
    r"in the region of|in the ballpark of|ballpark|somewhere around)(?: an?)?\s*$"
)
# A hedging modal right after the words found ("a hard search *might* be carried out").
_MODAL_AFTER = re.compile(r"\s*(?:might|may|could possibly|may or may not)\b")
_QUESTION_TAG = re.compile(r"\b(?:right|ok|okay|yes|yeah|isn't it|don't we|aren't we)\s*$")


@dataclass(frozen=True, slots=True)
class Reading:
    """How a position in a sentence reads: what kind of statement, negated, doubted."""

    kind: StatementKind
    negated_by: str | None = None
    doubts: tuple[str, ...] = ()

    @property
    def asked(self) -> bool:
        """Said with a question mark, though not worded as a question ("..., right?")."""
        return QUESTION_MARK in self.doubts

    @property
    def firm(self) -> bool:
        """A statement of fact, not negated, with nothing that leaves the reading open."""
        return self.kind == "statement" and self.negated_by is None and not self.doubts


def reading(
    sentence: Sentence, start: int, end: int | None = None, *, customer: str = ""
) -> Reading:
    """How ``sentence.norm[start:end]`` reads; ``customer`` is what the customer just said."""
    end = start if end is None else end
    before = sentence.norm[:start]
    clause = sentence.clause_at(start)
    kind = _kind(sentence, start, end, clause, before, customer)
    negated_by, reaches = _negation(sentence, start, clause)
    doubts: list[str] = []
    if reaches is not None:
        doubts.append(f"a negation ('{reaches}') earlier in the sentence may reach it")
    own_clause = sentence.clause_text(clause)
    after_in_clause = own_clause[max(0, end - sentence.clause_starts[clause]) :]
    hedge = (
        _HEDGES_ANYWHERE.search(sentence.norm)
        or _hedge_before(before)
        or _APPROXIMATELY.search(before)
        or _MODAL_AFTER.match(after_in_clause)
    )
    if hedge is not None:
        doubts.append(f"hedged ('{hedge.group(0)}')")
    last_clause = len(sentence.clause_starts) - 1
    if kind == "statement" and sentence.question and clause == last_clause:
        doubts.append(QUESTION_MARK)
    return Reading(kind, negated_by, tuple(doubts))


def _kind(
    sentence: Sentence, start: int, end: int, clause: int, before: str, customer: str
) -> StatementKind:
    if any(s <= start < e or s < end <= e for s, e in sentence.quoted):
        return "quoted"
    own = sentence.clause_text(clause)[:start]
    if _reaches(_REPORTED, before) or _REPORTED.search(own):
        return "quoted"
    if _MYTH.search(own) or _reaches(_MYTH_THAT, before):
        return "quoted"
    if _WONT_SAY.match(before):
        return "quoted"
    if _reaches(_HYPOTHETICAL, before):
        return "hypothetical"
    if _ECHO.search(before) or _ECHO.match(sentence.clause_text(clause)):
        return "echo"
    if sentence.question:
        opened = any(_QUESTION_OPENERS.match(sentence.clause_text(i)) for i in range(clause + 1))
        if opened:
            return "question"
        if customer and _repeats(sentence.norm, customer):
            return "echo"
    return "statement"


def _reaches(marker: re.Pattern[str], before: str) -> bool:
    """Whether the last ``marker`` before a phrase still governs it: no "but" or "actually"
    between them turns back to the agent's own voice."""
    found = list(marker.finditer(before))
    return bool(found) and _TURN_BACK.search(before, found[-1].end()) is None


def _repeats(said: str, customer: str) -> bool:
    """Whether the agent's sentence mostly repeats the customer's words back."""
    theirs = {w for w in normalise(customer).split() if len(w) > 3}
    ours = [w for w in said.split() if len(w) > 3]
    if len(ours) < 3 or not theirs:
        return False
    return sum(w in theirs for w in ours) / len(ours) >= 0.7


def _negation(sentence: Sentence, start: int, clause: int) -> tuple[str | None, str | None]:
    """(the cue negating ``start`` in its own clause, a cue in an earlier clause that may
    reach it); a clause word ("but", "and") between stops the search."""
    clause_start = sentence.clause_starts[clause]
    own = sentence.norm[clause_start:start].split()
    for index in range(len(own) - 1, -1, -1):
        word = own[index]
        if word in CLAUSE_WORDS:
            return None, None
        after = sentence.norm[start:].split()[:1]
        if is_cue(own, index, after):
            if _only_its_noun(own + after, index):
                continue
            return word, None
    first = own[0] if own else sentence.norm[start:].split()[0] if sentence.norm[start:] else ""
    if first in _SUBJECTS:
        return None, None  # a clause with its own subject: an earlier negation is its own
    for index in range(clause - 1, -1, -1):
        words = sentence.clause_text(index).split()
        # Only a clause word that opens a clause ends the reach; inside a parenthetical
        # ("unlike the others and as a matter of policy") it does not.
        for position in range(len(words) - 1, -1, -1):
            if is_cue(words, position) and not _only_its_noun(words, position):
                return None, words[position]
        if words and words[0] in CLAUSE_WORDS:
            return None, None
    return None, None


# Who does something: after "with no deposit", "you'd borrow" starts what is said.
_ACTORS = frozenset({
    "you", "you'd", "you'll", "you're", "we", "we'd", "we'll", "we're", "i", "i'd", "i'll",
    "i'm", "they", "they'd", "they'll", "they're",
})  # fmt: skip
# "No" and a term of the deal, then a span of time or a rate: what follows is said of the
# deal ("with no deposit over 48 months at 12.9% APR"); "no pressure at all to decide
# today" still negates what follows.
_TERMS = frozenset({"deposit", "fee", "fees", "interest", "charge", "charges"})
_ADJUNCTS = frozenset({"over", "at", "across", "until", "during", "throughout"})
# After "no", words that make it more than "none of this noun" ("no one", "no way").
_NOT_A_NOUN = frozenset({"one", "way", "longer", "doubt", "matter", "more", "less", "need"})


def _only_its_noun(words: list[str], index: int) -> bool:
    """Whether the "no" or "without" at ``index`` only says there is none of its noun, and
    a new subject (or, after a term of the deal, a span or a rate) says what follows: "with
    no deposit you'd borrow £4,800 over 60 months", "£6,300 with no deposit over 48 months
    at 12.9% APR" and "there's no interest, the total payable is £6,300" state their
    figures; "no lender pays us" and "no one says we're paid" still negate."""
    if words[index] not in ("no", "without") or index + 2 >= len(words):
        return False
    noun = words[index + 1]
    if noun in _ACTORS or noun in _SUBJECTS or noun in _NOT_A_NOUN or noun in NEGATION_CUES:
        return False
    if noun in _TERMS and words[index + 2] in _ADJUNCTS:
        return True  # "with no deposit over 48 months at an APR of 12.9%"
    return any(word in _ACTORS or word in _SUBJECTS for word in words[index + 2 :])


# "not long ago", "not only", "not just": a negation cue that negates nothing after it.
_IDIOMS = {"not": {"long", "only", "just", "least", "sure"}, "no": {"doubt", "matter"}}
# "Nothing lost by stopping", "no harm in waiting", "no penalty for cancelling": the cue
# negates the loss, and what the preposition leads to is said.
_LOSSES = frozenset({
    "lost", "loss", "harm", "penalty", "penalties", "cost", "costs", "charge", "fee", "shame",
    "wrong", "problem", "problems",
})  # fmt: skip
_LEADING_TO = frozenset({"by", "in", "with", "for", "from"})


def _a_loss_leading_on(words: list[str], index: int) -> bool:
    """Whether the cue at ``index`` negates a loss that a preposition then leads on from
    ("nothing (is) lost by", "no harm in"), with what follows in ``words``."""
    rest = words[index + 1 : index + 4]
    if rest[:1] in (["is"], ["gets"], ["was"]):
        rest = rest[1:]
    return len(rest) >= 2 and rest[0] in _LOSSES and rest[1] in _LEADING_TO


def is_cue(words: list[str], index: int, after: list[str] | None = None) -> bool:
    """Whether ``words[index]`` negates (and is not an idiom such as "not long")."""
    word = words[index]
    if word not in NEGATION_CUES:
        return False
    if index + 1 >= len(words) and (after or [""])[0] in ("only", "just"):
        return True  # "your details will not only go to Harbourline": the span is negated
    if _a_loss_leading_on(words, index):
        return False
    following = words[index + 1] if index + 1 < len(words) else (after or [""])[0]
    return following not in _IDIOMS.get(word, ())


def negation_count(text: str) -> int:
    """How many negation cues a normalised text holds (a phrase may carry its own)."""
    return sum(word in NEGATION_CUES for word in text.split())


def question_tag(sentence: Sentence) -> bool:
    """A statement turned into a question by a tag ("..., right?")."""
    return sentence.question and _QUESTION_TAG.search(sentence.norm) is not None


def excerpt(text: str, limit: int = 120) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis, for a message.

    >>> excerpt("a\\n  b " * 3, limit=8)
    'a b a b…'
    """
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
