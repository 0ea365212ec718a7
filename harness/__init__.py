"""A replay regression gate for LLM agents in regulated work.

Replay historical cases through a model, prompt and disclosure versions; score every
disclosure; gate on pass rates computed in DuckDB; render an HTML report.

>>> import harness
>>> plan = harness.load_plan("scenarios/demo-baseline.yaml")  # doctest: +SKIP
>>> outcome = harness.run_scenario(plan)  # doctest: +SKIP
>>> outcome.gate.passed  # doctest: +SKIP
True

The names below load on first use (PEP 562), so ``import harness`` and
``import harness.errors`` load no DuckDB, pandas or model SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.config.scenario import Scenario
    from harness.corpus.cases import Case, GoldenLabel, Turn
    from harness.corpus.files import iter_cases, write_cases
    from harness.errors import (
        ConfigError,
        CorpusError,
        ExitStatus,
        HarnessError,
        ModelError,
        StoreError,
        TemplateError,
    )
    from harness.gate.policy import CriterionResult, GateResult
    from harness.run.finish import RunOutcome, run_scenario
    from harness.run.plan import ReplayPlan, load_plan

#: Each public name and the module that defines it.
_HOMES = {
    "Case": "harness.corpus.cases",
    "GoldenLabel": "harness.corpus.cases",
    "Turn": "harness.corpus.cases",
    "iter_cases": "harness.corpus.files",
    "write_cases": "harness.corpus.files",
    "ConfigError": "harness.errors",
    "CorpusError": "harness.errors",
    "ExitStatus": "harness.errors",
    "HarnessError": "harness.errors",
    "ModelError": "harness.errors",
    "StoreError": "harness.errors",
    "TemplateError": "harness.errors",
    "CriterionResult": "harness.gate.policy",
    "GateResult": "harness.gate.policy",
    "ReplayPlan": "harness.run.plan",
    "load_plan": "harness.run.plan",
    "RunOutcome": "harness.run.finish",
    "run_scenario": "harness.run.finish",
    "Scenario": "harness.config.scenario",
}

__all__ = [
    "Case",
    "ConfigError",
    "CorpusError",
    "CriterionResult",
    "ExitStatus",
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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # the next access is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
