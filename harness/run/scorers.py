"""Building a scenario's scorers and its judge's model, with every check done at load.

A scorer factory that returns something that is not a scorer, two scorers claiming the same
criterion, or a judge whose options are wrong all fail here, before any case runs.

>>> scorers = build_scorers(scenario, pinned, registries)  # doctest: +SKIP
>>> needed = any_needs_judge(scorers)
>>> judge = load_judge(scenario, registries, prices, needed=needed)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.config.calls import CacheMode, CallPolicy
from harness.config.disclosures import PinnedDisclosure
from harness.config.scenario import Scenario
from harness.config.scoring import JudgeSettings
from harness.errors import ConfigError
from harness.models.base import Completion, ModelAdapter
from harness.models.prices import ModelPrice, PriceTable
from harness.plugins.registry import Registries
from harness.replay.cache import ResponseCache
from harness.replay.calls import CallRunner
from harness.scoring.base import AnyScorer, ScorerContext, is_async


def build_scorers(
    scenario: Scenario, pinned: Sequence[PinnedDisclosure], registries: Registries
) -> tuple[AnyScorer, ...]:
    """Each scorer the scenario names, built from its factory and checked."""
    source = str(scenario.source_path or scenario.name)
    context = ScorerContext(
        disclosures=tuple(pinned),
        scoring=scenario.scoring,
        disclosure_folder=scenario.disclosure_folder,
        source=source,
        corpus_paths=tuple(scenario.corpus_paths),
    )
    scorers: list[AnyScorer] = []
    owner: dict[str, str] = {}
    for scorer_id in scenario.scorers:
        scorer = registries.scorers.get(scorer_id, source=source)(context)
        _check_scorer(scorer_id, scorer, source)
        for criterion in scorer.criteria:
            if criterion in owner:
                raise ConfigError(
                    f"{source}: field 'scorers': '{scorer_id}' and '{owner[criterion]}' both "
                    f"score '{criterion}'; list only one of them (the 'disclosures' scorer "
                    "covers the rules, the judge or both, per disclosure)"
                )
            owner[criterion] = scorer_id
        scorers.append(scorer)
    if not owner:
        raise ConfigError(
            f"{source}: the scenario scores nothing: its scorers ({', '.join(scenario.scorers)}) "
            "produce no criterion; pin disclosures under 'disclosures.versions' or add metrics "
            "under 'scoring.ragas.metrics'"
        )
    return tuple(scorers)


def _check_scorer(scorer_id: str, scorer: object, source: str) -> None:
    criteria = getattr(scorer, "criteria", None)
    if not isinstance(criteria, tuple) or not all(isinstance(c, str) for c in criteria):
        raise ConfigError(
            f"{source}: scorer '{scorer_id}': its factory returned {type(scorer).__name__}, "
            "which has no 'criteria' tuple of names; a scorer needs 'criteria' and a "
            "__call__(case, transcript) or an async ascore(case, transcript, calls)"
        )
    if not (is_async(scorer) or callable(scorer)):  # type: ignore[arg-type]
        raise ConfigError(
            f"{source}: scorer '{scorer_id}': {type(scorer).__name__} is neither callable as "
            "__call__(case, transcript) nor has an async ascore(case, transcript, calls)"
        )


def any_needs_judge(scorers: Sequence[AnyScorer]) -> bool:
    return any(getattr(s, "needs_judge", False) for s in scorers)


@dataclass(frozen=True)
class JudgeModel:
    """The judge's adapter class, settings and price: everything to build its runner."""

    settings: JudgeSettings
    adapter_class: type[ModelAdapter]
    price: ModelPrice | None
    source: str

    def make_adapter(self) -> ModelAdapter:
        s = self.settings
        return self.adapter_class.from_config(s.id, s.options, f"{self.source}: scoring.judge")

    def make_runner(
        self,
        policy: CallPolicy,
        *,
        concurrency: int,
        cache_mode: CacheMode,
        cache_dir: Path,
    ) -> CallRunner:
        """A runner for the judge's calls: same retry policy, its own adapter, cache and cost."""
        adapter = self.make_adapter()
        cache = None
        if adapter.cacheable and cache_mode != "off":
            cache = ResponseCache(cache_dir, cache_mode, process="judge")
        price = self.price

        def cost(completion: Completion) -> float:
            return price.cost(completion.usage) if price is not None else 0.0

        runner = CallRunner(adapter, policy, concurrency=concurrency, cost=cost, cache=cache)
        runner.purpose = "judge"  # as its journal records its calls
        return runner


def load_judge(
    scenario: Scenario, registries: Registries, prices: PriceTable, *, needed: bool
) -> JudgeModel | None:
    """The judge's model when a scorer needs it; its adapter is built once to check options."""
    settings = scenario.scoring.judge
    if not needed or settings is None:
        return None
    source = str(scenario.source_path or scenario.name)
    try:
        adapter_class = registries.models.get(settings.provider, source=source)
    except ConfigError as exc:
        raise ConfigError(
            str(exc).replace("field 'model.provider'", "field 'scoring.judge.provider'")
        ) from None
    judge = JudgeModel(settings, adapter_class, prices.for_model(settings.id), source)
    judge.make_adapter()  # bad options or a missing key fail now, not on the first case
    return judge
