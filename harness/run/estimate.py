"""A pre-run estimate: how many calls, tokens and dollars a scenario will cost.

Tokens are estimated at four characters each (a common rule of thumb for English text; the
provider's own count is what bills). The recorded agent turns stand in for the answers the
model will give. A case whose first call is already in the response cache is counted as a
cache hit for all its calls (its later calls depend on answers the cache holds too). With
prompt caching, a system prompt is billed once as a cache write, then as cache reads.

>>> estimate = estimate_plan(load_plan("scenarios/demo-baseline.yaml"))  # doctest: +SKIP
>>> estimate.calls  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.models.base import (
    CompletionRequest,
    Message,
    Usage,
)
from harness.replay.cache import ResponseCache, cache_key
from harness.replay.conversation import user_messages
from harness.run.plan import ReplayPlan

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
