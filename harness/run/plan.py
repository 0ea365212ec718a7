"""The replay plan: a scenario with everything it names loaded and checked, before any case runs.

Loading a plan is where configuration errors surface: an unknown provider, scorer,
disclosure or prompt version, bad model options, or an unreadable corpus. Nothing has been
replayed yet when they do.

>>> plan = load_plan(Path("scenarios/demo-baseline.yaml"))  # doctest: +SKIP
>>> plan.criteria  # doctest: +SKIP
('broker_status', 'commission', ...)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from weakref import WeakKeyDictionary

from harness.config.calls import CacheMode
from harness.config.disclosures import PinnedDisclosure, load_registry
from harness.config.prompts import PromptVersion
from harness.config.scenario import Scenario
from harness.config.secrets import Scrubber
from harness.config.sequential import SequentialPolicy
from harness.corpus.cases import Case
from harness.corpus.files import corpus_files, corpus_hash, iter_cases
from harness.corpus.order import replay_order
from harness.corpus.selection import CaseSelection, EveryNth, Share
from harness.corpus.strata import StratifiedOrder, stratified_order, stratum_labels
from harness.errors import ConfigError, HarnessError
from harness.git import git_state
from harness.models.base import Completion, ModelAdapter
from harness.models.prices import ModelPrice, PriceTable
from harness.plugins.registry import Registries, build_registries
from harness.replay.cache import ResponseCache
from harness.replay.calls import CallRunner
from harness.run.scorers import JudgeModel, any_needs_judge, build_scorers, load_judge
from harness.scoring.base import AnyScorer
from harness.scoring.calibration import (
    GATED,
    CalibrationEntry,
    calibration_floor,
    calibration_table,
)
from harness.scoring.disclosure_rules import calibration_entry
from harness.scoring.wording import wording_problems


@dataclass(frozen=True)
class ReplayPlan:
    """A loaded scenario: prompt, pinned disclosures, scorers and the adapter to build."""

    scenario: Scenario
    prompt: PromptVersion
    disclosures: tuple[PinnedDisclosure, ...]
    scorers: tuple[AnyScorer, ...]
    adapter_class: type[ModelAdapter]
    corpus_hash: str
    price: ModelPrice | None
    batch_discount: float = 0.5
    judge: JudgeModel | None = None
    #: The scenario's ``gate.sequential`` when this run uses it (None: replay everything).
    sequential: SequentialPolicy | None = None
    #: What the command line changed from the scenario file (``{"model": "provider:id"}``):
    #: part of the run's identity, so such a run is never taken as the scenario's baseline.
    overrides: dict[str, str] = field(default_factory=dict)
    #: Scrubs the model's and the judge's keys from what the run writes (harness.config.secrets).
    scrubber: Scrubber = field(default_factory=Scrubber, repr=False, compare=False)
    # One judge runner per agent runner (i.e. per process), made on first use.
    _judge_runners: WeakKeyDictionary[CallRunner, CallRunner] = field(
        default_factory=WeakKeyDictionary, repr=False, compare=False
    )

    @property
    def criteria(self) -> tuple[str, ...]:
        """Every criterion the scorers produce, in scenario order, without repeats."""
        seen: dict[str, None] = {}
        for scorer in self.scorers:
            for criterion in scorer.criteria:
                seen.setdefault(criterion, None)
        return tuple(seen)

    @property
    def model_label(self) -> str:
        return f"{self.scenario.model.provider}:{self.scenario.model.id}"

    @property
    def prompt_label(self) -> str:
        return self.prompt.label

    def thresholds(self) -> dict[str, float]:
        return {c: self.scenario.thresholds.for_criterion(c) for c in self.criteria}

    def make_adapter(self) -> ModelAdapter:
        model = self.scenario.model
        return self.adapter_class.from_config(model.id, model.options, self._source)

    def make_runner(
        self,
        *,
        process: str,
        concurrency: int | None = None,
        cache_mode: CacheMode | None = None,
        cache_dir: Path | None = None,
        budget_share: float = 1.0,
        batch: bool | None = None,
        batch_state: Path | None = None,
    ) -> CallRunner:
        """A call runner for one process: adapter, retry policy, cache, cost and budget.

        Under xdist each worker gets ``budget_share`` of the scenario's ``max_cost_usd``.
        ``batch`` (default: the scenario's ``batch.enabled``) answers through message
        batches at the batch discount, recording submitted batches in ``batch_state``.
        """
        scenario = self.scenario
        adapter = self.make_adapter()
        mode = cache_mode or scenario.cache.mode
        cache = None
        if adapter.cacheable and mode != "off":
            cache = ResponseCache(cache_dir or Path(scenario.cache.dir), mode, process=process)
        price = self.price
        batched = scenario.batch.enabled if batch is None else batch
        discount = self.batch_discount if batched else 1.0

        def cost(completion: Completion) -> float:
            if price is None:
                return 0.0
            return price.cost(completion.usage, batch_discount=discount)

        budget = scenario.max_cost_usd * budget_share if scenario.max_cost_usd else None
        if batched:
            from harness.replay.batch import BatchCallRunner

            return BatchCallRunner(
                adapter,
                scenario.calls,
                scenario.batch,
                state_path=batch_state or Path("reports") / f"{scenario.name}-batches.json",
                cost=cost,
                cache=cache,
                max_cost_usd=budget,
            )
        return CallRunner(
            adapter,
            scenario.calls,
            concurrency=concurrency or scenario.concurrency,
            cost=cost,
            cache=cache,
            max_cost_usd=budget,
        )

    def judge_runner(self, runner: CallRunner) -> CallRunner | None:
        """The judge's runner that goes with the agent's ``runner`` (None without a judge).

        Made on first use with the agent's retry policy, concurrency and cache folder and
        mode, and closed (its cache flushed) when the agent's runner is closed.
        """
        if self.judge is None:
            return None
        found = self._judge_runners.get(runner)
        if found is None:
            cache = self.scenario.cache
            found = self.judge.make_runner(
                self.scenario.calls,
                concurrency=runner.limiter.ceiling,
                cache_mode=runner.cache.mode if runner.cache is not None else cache.mode,
                cache_dir=runner.cache.folder if runner.cache is not None else Path(cache.dir),
            )
            runner.attach(found)
            self._judge_runners[runner] = found
        return found

    def cases(
        self, *, in_shard: Callable[[str], bool] | None = None, share: Share | None = None
    ) -> Iterator[Case]:
        """The selected cases, in corpus order: filtered by tags and limited, then those
        ``in_shard``, then this process's ``share`` (see :mod:`harness.corpus.selection`); only the
        rows selected are parsed when no tag filters."""
        corpus = self.scenario.corpus
        share = share or EveryNth()
        if self.sequential is not None:  # the seeded random order (harness.corpus.order)
            chosen = list(CaseSelection(corpus.tags, corpus.limit, in_shard).apply(self._all()))
            strata = self._stratify(chosen)
            order = (
                strata.positions
                if strata is not None
                else replay_order([c.case_id for c in chosen], self.scenario.seed)
            )
            return (chosen[i] for position, i in enumerate(order) if share.takes(position))
        selection = CaseSelection(corpus.tags, corpus.limit, in_shard, share)
        keep = selection.row_filter()
        if keep is not None:
            return iter_cases(self.scenario.corpus_paths, keep=keep, batch_size=share.batch_rows)
        return selection.apply(iter_cases(self.scenario.corpus_paths))

    def _all(self) -> Iterator[Case]:
        return iter_cases(self.scenario.corpus_paths)

    def replay_order(self, *, in_shard: Callable[[str], bool] | None = None) -> list[str]:
        """The selected case ids in the order a sequential run replays them.

        Without a tags filter, from the case id column alone: no row is parsed.
        """
        corpus = self.scenario.corpus
        if self.sequential is None or corpus.tags or self.sequential.stratify_by:
            return [c.case_id for c in self.cases(in_shard=in_shard)]
        keep = CaseSelection(corpus.tags, corpus.limit, in_shard).row_filter()
        assert keep is not None  # no tags filter
        ids: list[str] = []

        def record(case_id: object) -> bool | None:
            decision = keep(case_id)
            if decision and isinstance(case_id, str):
                ids.append(case_id)
                return False  # known: no need to parse the row
            return decision  # None: past the limit; a bad id is parsed, which names it

        for _ in iter_cases(self.scenario.corpus_paths, keep=record):
            pass
        return [ids[i] for i in replay_order(ids, self.scenario.seed)]

    def stratified_order(
        self, *, in_shard: Callable[[str], bool] | None = None
    ) -> StratifiedOrder | None:
        """The order with each place's stratum, when the scenario's sequential gate is
        stratified (``stratify_by``; see :mod:`harness.corpus.strata`); else None."""
        if self.sequential is None or self.sequential.stratify_by is None:
            return None
        corpus = self.scenario.corpus
        return self._stratify(
            list(CaseSelection(corpus.tags, corpus.limit, in_shard).apply(self._all()))
        )

    def _stratify(self, chosen: list[Case]) -> StratifiedOrder | None:
        field = self.sequential.stratify_by if self.sequential is not None else None
        if field is None:
            return None
        labels = stratum_labels(chosen, field, source=self._source)
        ids = [c.case_id for c in chosen]
        return stratified_order(ids, labels, self.scenario.seed, field=field)

    def case_seed(self, case_id: str, repeat: int) -> int:
        """A seed per case and repeat, independent of order and process (not ``hash()``)."""
        key = f"{self.scenario.seed}:{case_id}:{repeat}".encode()
        return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") >> 1

    def calibration_cases(self) -> Iterator[Case]:
        """The labelled cases the scenario calibrates on: its ``calibration.paths``, or the
        labelled cases of its corpus selection."""
        paths = self.scenario.calibration_paths
        cases = iter_cases(paths) if paths else self.cases()
        return (case for case in cases if case.labels)

    def preflight(self) -> None:
        """Checks that need the corpus, made before any call: the prompt renders for the
        first selected case (a template error names the variable), and the calibration floor
        holds for the criteria the rules gate alone."""
        first = next(iter(self.cases()), None)
        if first is not None:
            self.prompt.render(first, self.disclosures)
        missing = self._floor_before_calls()
        if missing:
            raise ConfigError(
                f"{self._source}: below the calibration floor, before any call: "
                + "; ".join(missing)
            )

    def _floor_before_calls(self) -> list[str]:
        """The calibration floor for the criteria the rules gate alone (a judged criterion
        needs the judge's calls: it is checked when the run ends)."""
        settings = self.scenario.calibration
        if settings.min_cases is None and settings.max_false_pass_rate is None:
            return []
        scoring = self.scenario.scoring
        rules_only = [d for d in self.disclosures if scoring.mode_for(d.id).mode == "rules"]
        entries = []
        for case in self.calibration_cases():
            for pinned in rules_only:
                entry = calibration_entry(pinned, case)
                if entry is not None:
                    entries.append(CalibrationEntry(case.case_id, pinned.id, entry))
        rows = calibration_table(entries, review_counts_as=self.scenario.gate.review_counts_as)
        return calibration_floor(
            [r for r in rows if r.scorer == GATED],
            [d.id for d in rules_only],
            min_cases=settings.min_cases,
            max_false_pass_rate=settings.max_false_pass_rate,
            source=self._source,
        )

    @property
    def _source(self) -> str:
        return str(self.scenario.source_path or self.scenario.name)


def load_plan(
    scenario_path: Path | str,
    *,
    registries: Registries | None = None,
    model: str | None = None,
    scenario: Scenario | None = None,
    preflight: bool = True,
    sequential: bool = True,
    cache_mode: CacheMode | None = None,
    may_call: bool = True,
) -> ReplayPlan:
    """Load ``scenario_path`` and all it names; raise :class:`HarnessError` on any problem.

    ``scenario``: the file already loaded (as the command line does, to plan its processes).
    ``preflight``: render the first case's prompt now (see :meth:`ReplayPlan.preflight`);
    a worker process skips it, its parent having done it. ``sequential`` False replays
    everything even when the scenario's gate is sequential (``--no-sequential``); so does a
    run on the git branch its baseline is taken from (a future baseline).
    ``cache_mode``: the run's (default: the scenario's). A run that may call the model needs
    its key now; one with ``may_call`` False (an estimate, a merge) or in cache mode
    ``require`` (every answer from the cache: the keyless pull-request check) needs none.
    """
    scenario = scenario or Scenario.load(scenario_path)
    declared = scenario.model
    if model is not None:
        scenario = scenario.with_model(model)
    overrides = {"model": model} if model is not None and scenario.model != declared else {}
    registries = registries or build_registries()
    source = str(scenario.source_path)
    adapter_class = registries.models.get(scenario.model.provider, source=source)
    # Build one adapter now so bad options (and, for a run that calls, no key) fail before
    # any case runs.
    adapter = adapter_class.from_config(scenario.model.id, scenario.model.options, source)
    mode = cache_mode or scenario.cache.mode
    _check_credentials(adapter, may_call=may_call, cache_mode=mode)
    secrets = adapter.secrets
    prompt = _prompt(scenario, source)
    versions = scenario.disclosures.versions
    registry = load_registry(scenario.disclosure_folder) if versions else None
    pinned = []
    for disclosure_id, version in versions.items():
        assert registry is not None
        try:
            pinned.append(registry.pin(disclosure_id, version))
        except ConfigError as exc:
            raise ConfigError(f"{source}: field 'disclosures.versions': {exc}") from None
        # Approved wording must pass its own rules, or every agent saying it would fail.
        problems = wording_problems(pinned[-1])
        if problems:
            raise ConfigError(f"{source}: field 'disclosures.versions': {problems[0]}")
    scorers = build_scorers(scenario, pinned, registries)
    unknown_thresholds = set(scenario.thresholds.criteria) - {
        c for s in scorers for c in s.criteria
    }
    if unknown_thresholds:
        name = sorted(unknown_thresholds)[0]
        from harness.errors import did_you_mean

        known = [c for s in scorers for c in s.criteria]
        raise ConfigError(
            f"{source}: field 'thresholds.criteria': unknown criterion '{name}'"
            f"{did_you_mean(name, known)}; criteria in this scenario: {', '.join(known)}"
        )
    try:
        files = corpus_files(scenario.corpus_paths)
    except HarnessError as exc:
        raise type(exc)(f"{source}: field 'corpus.paths': {exc}") from None
    prices = PriceTable.load(*([scenario.resolve(scenario.prices)] if scenario.prices else []))
    judge = load_judge(scenario, registries, prices, needed=any_needs_judge(scorers))
    if judge is not None:
        judge_adapter = judge.make_adapter()
        _check_credentials(judge_adapter, may_call=may_call, cache_mode=mode)
        secrets += judge_adapter.secrets
    plan = ReplayPlan(
        overrides=overrides,
        scrubber=Scrubber(secrets),
        judge=judge,
        price=prices.for_model(scenario.model.id),
        batch_discount=prices.batch_discount,
        scenario=scenario,
        prompt=prompt,
        disclosures=tuple(pinned),
        scorers=scorers,
        adapter_class=adapter_class,
        corpus_hash=corpus_hash(files),
        sequential=scenario.gate.sequential
        if sequential and not _on_baseline_branch(scenario)
        else None,
    )
    if preflight:
        plan.preflight()
    return plan


def _prompt(scenario: Scenario, source: str) -> PromptVersion:
    """The scenario's prompt version; none for ``recorded``, which generates no turn."""
    ref = scenario.prompt
    if ref is not None:
        return PromptVersion.load(scenario.prompt_path, ref.name, ref.version)
    if scenario.model.provider == "recorded":
        return PromptVersion.none()
    raise ConfigError(
        f"{source}: field 'prompt': model provider '{scenario.model.provider}' generates the "
        "agent's turns from a prompt; name one (prompt: {name: ..., version: ...}); only "
        "'recorded' needs none"
    )


def _check_credentials(adapter: ModelAdapter, *, may_call: bool, cache_mode: CacheMode) -> None:
    """Refuse, before any case, a run that will call ``adapter`` without its key."""
    missing = adapter.missing_credentials()
    from_cache_only = cache_mode == "require" and adapter.cacheable
    if missing is None or not may_call or from_cache_only:
        return
    if adapter.cacheable:
        missing += " (a run with --cache require, every answer cached, needs none)"
    raise ConfigError(missing)


def _on_baseline_branch(scenario: Scenario) -> bool:
    """Whether this checkout is on the branch the scenario's baseline runs come from."""
    branch = scenario.baseline.branch if scenario.baseline is not None else None
    if branch is None or scenario.gate.sequential is None:
        return False
    return git_state(scenario.base_dir).get("branch") == branch
