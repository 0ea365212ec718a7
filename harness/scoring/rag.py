"""The ``ragas`` scorer: ragas metrics on RAG-style cases, each metric its own criterion.

A RAG case carries a ``question``, the ``contexts`` its retriever returned and a
``reference`` answer; the agent's answer is its last agent turn in the replayed transcript.
The non-LLM context metrics compare the retrieved contexts with the contexts a perfect
retriever would return, given in the case fact ``reference_contexts`` (a JSON list of
strings). Each metric in ``scoring.ragas.metrics`` becomes a criterion (its ``criterion``
name, default the metric's id) that a case passes when the value reaches ``min_score``;
the gate then holds its pass rate to the criterion's threshold like any other.

Offline metrics (``string_similarity``, ``rouge_l``, ``bleu``, ``chrf``,
``non_llm_context_precision``, ``non_llm_context_recall``) need no key. LLM metrics
(``faithfulness``, ``answer_relevancy``, ``context_precision``) ask the judge's model.

Checked at load: metric ids (with "did you mean"), the ragas extra (the message gives the
install line), a judge for LLM metrics. Checked per case: the fields each metric needs; a
case without them stops the run (exit 2) naming the corpus file, row, case and column.

>>> scorer = ragas_metrics(context)  # doctest: +SKIP
>>> scorer.criteria  # doctest: +SKIP
('rouge_l', 'faithfulness')
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.config.scoring import RagasMetricSpec
from harness.corpus.cases import Case
from harness.corpus.files import corpus_files, iter_cases
from harness.errors import ConfigError, HarnessError, ProviderError, did_you_mean
from harness.replay.conversation import Transcript
from harness.scoring.base import Score, ScorerContext, ScoringCalls
from harness.scoring.ragas_metrics import (
    INSTALL,
    LLM_METRICS,
    METRICS,
    RagSample,
    RunnerLLM,
    missing_modules,
    ragas_version,
    score_metric,
)

# What each metric reads from the case (besides the agent's answer).
NEEDS: dict[str, tuple[str, ...]] = {
    "string_similarity": ("reference",),
    "rouge_l": ("reference",),
    "bleu": ("reference",),
    "chrf": ("reference",),
    "non_llm_context_precision": ("contexts", "reference_contexts"),
    "non_llm_context_recall": ("contexts", "reference_contexts"),
    "faithfulness": ("question", "contexts"),
    "answer_relevancy": ("question",),
    "context_precision": ("question", "contexts", "reference"),
}
_FIX = {
    "contexts": "add the passages the retriever returned (a list of strings)",
    "reference": "add the reference answer",
    "question": "add the question (or a customer turn that asks it)",
    "reference_contexts": "add the fact 'reference_contexts': a JSON list of the passages "
    "a perfect retriever would return",
}


def ragas_metrics(context: ScorerContext) -> RagasScorer:
    """Factory: one criterion per configured metric, every requirement checked now."""
    source, specs = context.source, context.scoring.ragas.metrics
    if not specs:
        raise ConfigError(
            f"{source}: field 'scoring.ragas.metrics' is empty, but the scorer 'ragas' is "
            "listed; add metrics, e.g. - {metric: rouge_l, min_score: 0.4}"
        )
    names: dict[str, int] = {}
    for index, spec in enumerate(specs):
        field = f"scoring.ragas.metrics[{index}]"
        if spec.metric not in METRICS:
            raise ConfigError(
                f"{source}: field '{field}.metric': unknown ragas metric '{spec.metric}'"
                f"{did_you_mean(spec.metric, METRICS)}; known metrics: {', '.join(METRICS)}"
            )
        if spec.name in names:
            raise ConfigError(
                f"{source}: field '{field}': criterion '{spec.name}' is already scored by "
                f"scoring.ragas.metrics[{names[spec.name]}]; give one a 'criterion' name"
            )
        names[spec.name] = index
        missing = missing_modules(spec.metric)
        if missing:
            raise ConfigError(
                f"{source}: field '{field}.metric': ragas metric '{spec.metric}' needs the "
                f"ragas extra ({', '.join(missing)} not installed); install it with: {INSTALL}"
            )
        if spec.metric in LLM_METRICS and context.scoring.judge is None:
            raise ConfigError(
                f"{source}: field '{field}.metric': '{spec.metric}' is an LLM metric and needs "
                "a model: set scoring.judge (provider and id), or choose an offline metric"
            )
    return RagasScorer(tuple(specs), source, tuple(context.corpus_paths))


class RagasScorer:
    """Stateless: holds the metric specs and where to point when a case is unfit."""

    def __init__(
        self, specs: tuple[RagasMetricSpec, ...], source: str, corpus_paths: tuple[Path, ...]
    ) -> None:
        self._specs = specs
        self._source = source
        self._corpus_paths = corpus_paths

    @property
    def criteria(self) -> tuple[str, ...]:
        return tuple(s.name for s in self._specs)

    @property
    def needs_judge(self) -> bool:
        return any(s.metric in LLM_METRICS for s in self._specs)

    async def ascore(self, case: Case, transcript: Transcript, calls: ScoringCalls) -> list[Score]:
        if transcript.error is not None:
            return [Score(s.name, "error", error=transcript.error) for s in self._specs]
        answer = _answer(transcript)
        scores = []
        for index, spec in enumerate(self._specs):
            sample = self._sample(case, spec, index, answer[1] if answer else "")
            if answer is None:
                scores.append(Score(spec.name, "error", error="the agent gave no answer"))
                continue
            scores.append(await self._score(spec, sample, case, calls, answer[0]))
        return scores

    async def _score(
        self, spec: RagasMetricSpec, sample: RagSample, case: Case, calls: ScoringCalls, turn: int
    ) -> Score:
        llm = RunnerLLM(calls, case, spec.name) if spec.metric in LLM_METRICS else None
        try:
            value, why = await score_metric(spec.metric, sample, llm=llm)
        except ProviderError as exc:  # the model call failed after the runner's retries
            return Score(spec.name, "error", error=f"{spec.metric}: model call failed: {exc}")
        except HarnessError:
            raise  # a stopped run or a missing extra is not this case's verdict
        except Exception as exc:  # a metric that cannot score this case: recorded, never a pass
            return Score(spec.name, "error", error=f"{spec.metric}: {type(exc).__name__}: {exc}")
        evidence: dict[str, Any] = {
            "metric": spec.metric,
            "value": None if math.isnan(value) else round(value, 4),
            "min_score": spec.min_score,
            "answer_turn": turn,
            "ragas": ragas_version(),
        }
        if why:
            evidence["ragas_reason"] = why
        if math.isnan(value):
            return Score(
                spec.name, "error", evidence=evidence, error=f"{spec.metric} gave no value (NaN)"
            )
        passed = value >= spec.min_score
        relation = "at or above" if passed else "below"
        evidence["reason"] = f"{spec.metric} {value:.3f}, {relation} {spec.min_score:g}"
        return Score(
            spec.name, "passed" if passed else "failed", score=round(value, 4), evidence=evidence
        )

    def _sample(self, case: Case, spec: RagasMetricSpec, index: int, answer: str) -> RagSample:
        question = case.question or next(
            (t.text for t in case.turns if t.role == "customer" and t.text), None
        )
        values: dict[str, Any] = {
            "question": question,
            "contexts": case.contexts,
            "reference": case.reference,
            "reference_contexts": _reference_contexts(case),
        }
        for need in NEEDS[spec.metric]:
            value = values[need]
            if value is None or (isinstance(value, str | tuple) and not any(value)):
                self._unfit(case, spec, index, need)
        return RagSample(
            question=question or "",
            response=answer,
            contexts=tuple(case.contexts or ()),
            reference=case.reference,
            reference_contexts=values["reference_contexts"] or (),
        )

    def _unfit(self, case: Case, spec: RagasMetricSpec, index: int, need: str) -> None:
        where = _locate(self._corpus_paths, case.case_id)
        column = "facts.reference_contexts" if need == "reference_contexts" else need
        raise ConfigError(
            f"{where}: case {case.case_id}: column '{column}' is empty, but metric "
            f"'{spec.metric}' (scoring.ragas.metrics[{index}] in {self._source}) needs it; "
            f"{_FIX[need]}, or select only RAG cases (corpus.paths, corpus.tags)"
        )


def _answer(transcript: Transcript) -> tuple[int, str] | None:
    agent = [(i, t) for i, t in transcript.agent_turns() if t.strip()]
    return agent[-1] if agent else None


def _reference_contexts(case: Case) -> tuple[str, ...] | None:
    raw = case.facts.get("reference_contexts")
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        found = json.loads(raw)
    except json.JSONDecodeError:
        return None
    if not isinstance(found, list) or not all(isinstance(x, str) for x in found):
        return None
    return tuple(found)


def _locate(paths: Sequence[Path], case_id: str) -> str:
    """``file row N`` of ``case_id`` in the corpus (a slow scan, on the error path only)."""
    try:
        for path in corpus_files(paths):
            for row, case in enumerate(iter_cases([path])):
                if case.case_id == case_id:
                    return f"{path} row {row}"
    except HarnessError:
        pass
    return ", ".join(str(p) for p in paths) or "the corpus"
