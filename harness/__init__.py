"""A replay regression gate for LLM agents in regulated work.

Replay historical cases through a model, prompt and disclosure versions; score every
disclosure; gate on pass rates computed in DuckDB; render an HTML report.

>>> import harness
>>> plan = harness.load_plan("scenarios/demo-baseline.yaml")  # doctest: +SKIP
>>> outcome = harness.run_scenario(plan)  # doctest: +SKIP
>>> outcome.gate.passed  # doctest: +SKIP
True
"""

from harness.config.scenario import Scenario
from harness.corpus.cases import Case, GoldenLabel, Turn
from harness.corpus.files import iter_cases, write_cases
from harness.errors import (
    ConfigError,
    CorpusError,
    HarnessError,
    ModelError,
    StoreError,
    TemplateError,
)
from harness.gate.policy import CriterionResult, GateResult
from harness.run.finish import RunOutcome, run_scenario
from harness.run.plan import ReplayPlan, load_plan

__all__ = [
    "Case",
    "ConfigError",
    "CorpusError",
    "CriterionResult",
    "GateResult",
    "GoldenLabel",
    "HarnessError",
    "ModelError",
    "ReplayPlan",
    "RunOutcome",
    "Scenario",
    "StoreError",
    "TemplateError",
    "Turn",
    "iter_cases",
    "load_plan",
    "run_scenario",
    "write_cases",
]
