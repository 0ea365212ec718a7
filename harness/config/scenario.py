"""The Scenario: what to replay, through which model, prompt and disclosures, and how to gate.

A scenario file is YAML under ``scenarios/``. Paths inside it are relative to the file.

>>> scenario = Scenario.load(Path("scenarios/demo-baseline.yaml"))  # doctest: +SKIP
>>> scenario.thresholds.for_criterion("commission")  # doctest: +SKIP
0.95
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness.config.calls import BatchSettings, CacheSettings, CallPolicy
from harness.config.files import load_yaml_mapping, validate_model
from harness.config.redaction import RedactionPolicy
from harness.config.scoring import ScoringSettings
from harness.config.sequential import SequentialPolicy
from harness.errors import ConfigError

_FROZEN = ConfigDict(frozen=True, extra="forbid")
RepeatPolicy = Literal["mean", "pass_k"]
#: The most passing results per criterion a report samples (each is a whole transcript).
PASS_SAMPLE_MAX = 200


class ModelRef(BaseModel):
    """Which model answers: a provider adapter, a model id and the adapter's own options."""

    model_config = _FROZEN
    provider: str
    id: str
    options: dict[str, Any] = Field(default_factory=dict)


class PromptRef(BaseModel):
    """A prompt version: ``<prompts folder>/<name>/v<version>.j2``."""

    model_config = _FROZEN
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    version: int = Field(ge=1)
    folder: str = "prompts"


class DisclosureSelection(BaseModel):
    """The disclosure versions in force: id → version number (or ``latest`` approved).

    A scenario that gates only metrics (e.g. ragas on RAG cases) may pin none.
    """

    model_config = _FROZEN
    folder: str = "disclosures"
    versions: dict[str, int | Literal["latest"]] = Field(default_factory=dict)


class CorpusSelection(BaseModel):
    """Which cases to replay: corpus paths, an optional tag filter and limit."""

    model_config = _FROZEN
    paths: tuple[str, ...] = Field(min_length=1)
    tags: dict[str, str] = Field(default_factory=dict)
    limit: int | None = Field(default=None, ge=1)


class Thresholds(BaseModel):
    """Pass-rate thresholds: a default and per-criterion overrides, each in [0, 1]."""

    model_config = _FROZEN
    default: float = Field(default=0.95, ge=0.0, le=1.0)
    criteria: dict[str, float] = Field(default_factory=dict)

    @field_validator("criteria")
    @classmethod
    def _in_range(cls, value: dict[str, float]) -> dict[str, float]:
        for name, threshold in value.items():
            if not 0.0 <= threshold <= 1.0:
                raise ValueError(f"threshold for '{name}' must be between 0 and 1, got {threshold}")
        return value

    def for_criterion(self, criterion: str) -> float:
        return self.criteria.get(criterion, self.default)


class BaselineRef(BaseModel):
    """The run to compare against; exactly one of:

    * ``scenario`` (optionally with ``branch``): the latest finished run of that scenario in
      the run database (on that git branch, as its manifest recorded it) that ran the
      configuration its scenario file declares (no ``--model`` override) and, unless
      ``passing`` is false, passed its own gate;
    * ``run_id``: that run, which must be in the run database;
    * ``results``: a ``results.parquet`` another run wrote (a CI artifact, say), relative to
      the scenario file; its rows are loaded as the baseline (no transcripts: the report
      then shows the baseline's verdicts but not its turns).
    """

    model_config = _FROZEN
    scenario: str | None = None
    branch: str | None = None
    run_id: str | None = None
    results: str | None = None
    passing: bool = True

    @model_validator(mode="after")
    def _one_source(self) -> BaselineRef:
        chosen = [k for k in ("scenario", "run_id", "results") if getattr(self, k)]
        if len(chosen) != 1:
            raise ValueError(
                "name the baseline with exactly one of 'scenario' (latest run, optionally "
                f"with 'branch'), 'run_id' or 'results' (got {', '.join(chosen) or 'none'})"
            )
        if self.branch and not self.scenario:
            raise ValueError("'branch' picks the latest run of a 'scenario' on that branch")
        if not self.passing and not self.scenario:
            raise ValueError("'passing' applies to the latest run of a 'scenario'")
        return self


class RegressionPolicy(BaseModel):
    """Whether a significant paired drop against the baseline fails the gate (exact McNemar)."""

    model_config = _FROZEN
    fail_on_significant_drop: bool = False
    alpha: float = Field(default=0.05, gt=0.0, lt=1.0)


class GatePolicy(BaseModel):
    """How a pass rate is judged against its threshold.

    ``policy`` ``point`` compares the observed pass rate; ``lower_bound`` the lower end of its
    Wilson 95% interval. A criterion with fewer applicable cases than ``min_cases`` (by
    default the smallest count at which even a 100% pass rate's Wilson lower bound reaches
    the threshold) is ``inconclusive``, which fails the gate unless ``inconclusive_fails``
    is false.
    """

    model_config = _FROZEN
    policy: Literal["point", "lower_bound"] = "point"
    inconclusive_fails: bool = True
    min_cases: int | None = Field(default=None, ge=1)
    regression: RegressionPolicy = RegressionPolicy()
    #: How a ``review`` verdict (the scorer unsure, nothing settled it) counts: as a
    #: failure (the default: a doubt never passes a breach), a pass, or not at all.
    review_counts_as: Literal["fail", "pass", "excluded"] = "fail"
    #: Stop replaying once the full replay's verdict is known (harness.config.sequential).
    sequential: SequentialPolicy | None = None

    @model_validator(mode="after")
    def _stratified_needs_point(self) -> GatePolicy:
        if (
            self.sequential is not None
            and self.sequential.stratify_by is not None
            and self.policy == "lower_bound"
        ):
            raise ValueError(
                "a stratified sequential gate (sequential.stratify_by) is not available "
                "under policy: lower_bound yet; remove stratify_by or use policy: point"
            )
        return self


class CalibrationSettings(BaseModel):
    """Where the scorers' error is measured, and the floor below which the gate refuses.

    ``paths``: labelled corpus files or folders (relative to the scenario) whose recorded
    turns calibrate the scoring; by default, the labelled cases of the run's own corpus.
    ``min_cases``: labelled cases each gated criterion needs; ``max_false_pass_rate``: the
    highest share of labelled misses the gated verdict may pass. Below either floor the run
    is refused with exit status 2 and a message saying what is missing.
    """

    model_config = _FROZEN
    paths: tuple[str, ...] = ()
    min_cases: int | None = Field(default=None, ge=1)
    max_false_pass_rate: float | None = Field(default=None, ge=0.0, le=1.0)


class ReportSettings(BaseModel):
    """The report and CI surfaces: which personal data is redacted from what they show, and
    how many passing cases per disclosure the report shows for quality-assurance review.

    Redaction is on by default. ``redaction: false`` turns it off (for internal use only);
    a mapping sets a :class:`~harness.config.redaction.RedactionPolicy` (kinds, name facts, keep).
    ``pass_sample``: passing results per criterion drawn at random, seeded by the run id
    (0 shows none); see :mod:`harness.outputs.report.pass_sample`.
    """

    model_config = _FROZEN
    redaction: RedactionPolicy = RedactionPolicy()
    pass_sample: int = Field(default=10, ge=0, le=PASS_SAMPLE_MAX, strict=True)

    @field_validator("redaction", mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        return {"enabled": value} if isinstance(value, bool) else value


class Scenario(BaseModel):
    """A replay scenario, as loaded from its YAML file."""

    model_config = _FROZEN
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    model: ModelRef
    #: Required for every provider but ``recorded`` (checked by ``load_plan``, which knows
    #: the model after a ``--model`` override).
    prompt: PromptRef | None = None
    disclosures: DisclosureSelection = DisclosureSelection()
    corpus: CorpusSelection
    scorers: tuple[str, ...] = ("disclosure_rules",)
    scoring: ScoringSettings = ScoringSettings()
    thresholds: Thresholds = Thresholds()
    gate: GatePolicy = GatePolicy()
    calibration: CalibrationSettings = CalibrationSettings()
    errors_are_failures: bool = True
    repeats: int = Field(default=1, ge=1, le=100)
    # With repeats, how a criterion's pass rate is counted: "mean" over every case and
    # repeat, or "pass_k": a case counts as passed only when all k repeats passed.
    repeat_policy: RepeatPolicy | None = None
    seed: int = 0
    concurrency: int = Field(default=8, ge=1, le=1024)
    calls: CallPolicy = CallPolicy()
    cache: CacheSettings = CacheSettings()
    batch: BatchSettings = BatchSettings()
    max_cost_usd: float | None = Field(default=None, gt=0)
    prices: str | None = None
    baseline: BaselineRef | None = None
    report: ReportSettings = ReportSettings()

    # Set by :meth:`load`: where the file is, and the hash of its bytes.
    source_path: Path | None = Field(default=None, exclude=True)
    source_hash: str = Field(default="", exclude=True)

    @classmethod
    def load(cls, path: Path | str) -> Scenario:
        """Read and validate a scenario file; unknown keys fail with a "did you mean"."""
        path = Path(path)
        data = load_yaml_mapping(path)
        for key in ("source_path", "source_hash"):
            if key in data:
                raise ConfigError(f"{path}: unknown key '{key}'")
        scenario = validate_model(cls, data, str(path))
        if scenario.repeats > 1 and scenario.repeat_policy is None:
            raise ConfigError(
                f"{path}: field 'repeat_policy' is required when repeats is {scenario.repeats}: "
                "choose 'mean' (the pass rate over every case and repeat) or 'pass_k' (a case "
                "passes only when all its repeats pass)"
            )
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return scenario.model_copy(update={"source_path": path, "source_hash": digest})

    def with_model(self, spec: str) -> Scenario:
        """This scenario with its model replaced by ``provider:model-id`` (from ``--model``).

        The scenario's model options are kept when the provider is the same, else dropped.
        """
        provider, sep, model_id = spec.partition(":")
        if not sep or not provider or not model_id:
            raise ConfigError(
                f"--model {spec!r}: expected PROVIDER:MODEL_ID, e.g. anthropic:claude-sonnet-4-6"
            )
        options = self.model.options if provider == self.model.provider else {}
        return self.model_copy(
            update={"model": ModelRef(provider=provider, id=model_id, options=options)}
        )

    @property
    def base_dir(self) -> Path:
        return self.source_path.parent if self.source_path else Path.cwd()

    def resolve(self, relative: str) -> Path:
        """A path written in the scenario, resolved against the scenario file's folder."""
        path = Path(relative)
        return path if path.is_absolute() else self.base_dir / path

    @property
    def corpus_paths(self) -> list[Path]:
        return [self.resolve(p) for p in self.corpus.paths]

    @property
    def calibration_paths(self) -> list[Path]:
        return [self.resolve(p) for p in self.calibration.paths]

    @property
    def disclosure_folder(self) -> Path:
        return self.resolve(self.disclosures.folder)

    @property
    def prompt_path(self) -> Path:
        ref = self.prompt
        if ref is None:
            raise ConfigError(f"{self.source_path}: field 'prompt': this scenario names none")
        return self.resolve(ref.folder) / ref.name / f"v{ref.version}.j2"
