"""A pre-run estimate: how many calls, tokens and dollars a scenario will cost.

Tokens are estimated at four characters each (a common rule of thumb for English text; the
provider's own count is what bills). The recorded agent turns stand in for the answers the
model will give. A case whose first call is already in the response cache is counted as a
cache hit for all its calls (its later calls depend on answers the cache holds too). With
prompt caching, a system prompt is billed once as a cache write, then as cache reads.

>>> estimate = estimate_plan(load_plan("scenarios/demo-baseline.yaml"))  # doctest: +SKIP
>>> estimate.calls  # doctest: +SKIP

With a judge, :func:`estimate_judge` counts the judge's calls each disclosure's policy would
make (``judge_confirms_passes`` asks on every rules pass and every unsure verdict), and those
calibration adds, with their tokens and cost.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.corpus.cases import Case
from harness.models.base import (
    CompletionRequest,
    Message,
    ModelAdapter,
    Usage,
)
from harness.replay.cache import ResponseCache, cache_key
from harness.replay.conversation import Transcript, user_messages
from harness.run.plan import ReplayPlan
from harness.scoring.disclosures import DisclosureScorer
from harness.scoring.judge import JUDGE_TURN_INDEX, judge_seed

CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Estimate:
    cases: int
    calls: int
    cached_calls: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd: float | None  # None when the model has no price


def _tokens(text: str) -> int:
    return max(1, len(text) // CHARS_PER_TOKEN)


def estimate_plan(plan: ReplayPlan, cache: ResponseCache | None = None) -> Estimate:
    """Estimate the calls, tokens and cost of replaying ``plan`` (nothing is called)."""
    adapter = plan.make_adapter()
    prompt_cache = bool(getattr(adapter.options, "prompt_cache", False))
    seen_systems: set[str] = set()
    cases = calls = cached = 0
    usage_in = usage_out = usage_read = usage_write = 0
    for case in plan.cases():
        system = plan.prompt.render(case, plan.disclosures)
        system_tokens = _tokens(system)
        for repeat in range(plan.scenario.repeats):
            cases += 1
            seed = plan.case_seed(case.case_id, repeat)
            history_tokens = 0
            hit: bool | None = None
            for index, user in user_messages(case):
                history_tokens += _tokens(user)
                calls += 1
                if hit is None:
                    request = CompletionRequest(system, (Message("user", user),), seed, case, index)
                    hit = (
                        cache is not None
                        and adapter.cacheable
                        and cache.get(cache_key(adapter, request)) is not None
                    )
                answer_tokens = _tokens(case.turns[index].text or "")
                if hit:
                    cached += 1
                else:
                    if prompt_cache and system in seen_systems:
                        usage_read += system_tokens
                    elif prompt_cache:
                        usage_write += system_tokens
                        seen_systems.add(system)
                    else:
                        usage_in += system_tokens
                    usage_in += history_tokens
                    usage_out += answer_tokens
                history_tokens += answer_tokens
    usage = Usage(usage_in, usage_out, usage_read, usage_write)
    cost = plan.price.cost(usage) if plan.price is not None else None
    if not adapter.cacheable and plan.price is None:
        cost = 0.0  # local providers (offline, recorded) cost nothing
    return Estimate(cases, calls, cached, usage_in, usage_out, usage_read, usage_write, cost)


#: What a judge's answer is taken to cost: one short JSON object (verdict, turn, quote, reason).
JUDGE_ANSWER_TOKENS = 120


@dataclass(frozen=True)
class JudgeEstimate:
    """The judge's calls a run would make, under each judged disclosure's policy."""

    policies: dict[str, str]  # criterion -> "both (judge_confirms_passes)", "judge", ...
    calls: int  # asked while scoring the replayed cases
    calibration_calls: int  # asked only to calibrate the judge on labelled cases
    cached_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None  # None when the judge's model has no price


def estimate_judge(plan: ReplayPlan, cache: ResponseCache | None = None) -> JudgeEstimate | None:
    """Estimate the judge's calls of ``plan`` (None without a judge); nothing is called.

    The recorded agent turns stand in for the answers, as for the agent's calls: a policy that
    asks the judge only where the rules pass or are unsure is counted on what the rules say of
    the recorded turns. A prompt asked twice in one case (scoring, then calibrating on the
    same turns) is counted once, as the run asks it once.
    """
    if plan.judge is None:
        return None
    adapter = plan.judge.make_adapter()
    settings = plan.scenario.scoring
    scorers = [s for s in plan.scorers if isinstance(s, DisclosureScorer)]
    policies = {}
    for scorer in scorers:
        for criterion in scorer.criteria:
            how = settings.mode_for(criterion)
            if how.mode != "rules":
                policies[criterion] = how.mode if how.mode == "judge" else f"both ({how.policy})"
    calls = calibration = cached = tokens_in = 0
    separate_calibration = bool(plan.scenario.calibration.paths)

    def ask(case: Case, repeat: int, calibrating: bool, seen: set[str]) -> int:
        nonlocal cached, tokens_in
        asked = 0
        transcript = Transcript(case.turns)
        seed = plan.case_seed(case.case_id, repeat)
        for scorer in scorers:
            for criterion, system, user in scorer.judge_questions(
                case, transcript, calibrating=calibrating
            ):
                if system + user in seen:
                    continue
                seen.add(system + user)
                asked += 1
                request = CompletionRequest(
                    system,
                    (Message("user", user),),
                    judge_seed(seed, criterion, 1),
                    case,
                    JUDGE_TURN_INDEX,
                )
                if _cached(cache, adapter, request):
                    cached += 1
                    continue
                tokens_in += _tokens(system) + _tokens(user)
        return asked

    for case in plan.cases():
        for repeat in range(plan.scenario.repeats):
            seen: set[str] = set()
            calls += ask(case, repeat, False, seen)
            if repeat == 0 and case.labels and not separate_calibration:
                calibration += ask(case, repeat, True, seen)
    if separate_calibration:
        for case in plan.calibration_cases():
            calibration += ask(case, 0, True, set())
    tokens_out = (calls + calibration - cached) * JUDGE_ANSWER_TOKENS
    usage = Usage(tokens_in, tokens_out, 0, 0)
    price = plan.judge.price
    cost = price.cost(usage) if price is not None else None
    if not adapter.cacheable and price is None:
        cost = 0.0
    return JudgeEstimate(policies, calls, calibration, cached, tokens_in, tokens_out, cost)


def _cached(cache: ResponseCache | None, adapter: ModelAdapter, request: CompletionRequest) -> bool:
    if cache is None or not adapter.cacheable:
        return False
    return cache.get(cache_key(adapter, request)) is not None
