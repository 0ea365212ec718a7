"""ragas metrics behind one function: the only module of the harness that imports ragas.

ragas is an optional extra (``pip install 'replay-harness[ragas]'``) and is imported on first
use, never when :mod:`harness` is. Before the first import the harness sets
``RAGAS_DO_NOT_TRACK=true`` (ragas sends usage events otherwise), and it stops ragas from
writing its user-id file: ragas builds a usage event for every score even when it will not
send it, and building one creates ``~/.local/share/ragas/uuid.json``.

LLM metrics (faithfulness, answer relevancy, context precision) do not use ragas's own LLM
wrappers: its Anthropic path sends ``temperature`` and ``top_p`` together, which current
models reject, and its cache keys ignore the model. :class:`RunnerLLM` sends each prompt
through the judge's :class:`~harness.replay.calls.CallRunner` instead (our retries, response cache,
cost and call log), and validates the JSON answer against the metric's own pydantic model,
asking again once when it does not validate. Answer relevancy compares questions through
embeddings; with no embedding model configured, :class:`HashedEmbeddings` gives a local,
deterministic bag-of-words vector.

>>> sample = RagSample("q", "answer", ("ctx",), "reference")
>>> value, reason = await score_metric("rouge_l", sample)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
import math
import os
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from harness.corpus.cases import Case
from harness.errors import ConfigError
from harness.models.base import CompletionRequest, Message
from harness.replay.calls import CallRunner, ModelCall

if TYPE_CHECKING:
    from harness.scoring.base import ScoringCalls

INSTALL = "pip install 'replay-harness[ragas]'"
# The modules each metric needs, so a missing one is named at load, before any case runs.
OFFLINE_METRICS = {
    "string_similarity": ("ragas", "rapidfuzz"),
    "rouge_l": ("ragas", "rouge_score"),
    "bleu": ("ragas", "sacrebleu"),
    "chrf": ("ragas", "sacrebleu"),
    "non_llm_context_precision": ("ragas", "rapidfuzz"),
    "non_llm_context_recall": ("ragas", "rapidfuzz"),
}
LLM_METRICS = {
    "faithfulness": ("ragas",),
    "answer_relevancy": ("ragas",),
    "context_precision": ("ragas",),
}
METRICS = {**OFFLINE_METRICS, **LLM_METRICS}
_EMBED_DIMENSIONS = 512
_WORD = re.compile(r"[a-z0-9£%.]+")


@dataclass(frozen=True, slots=True)
class RagSample:
    """What a metric scores: the question, the agent's answer, the contexts and references."""

    question: str
    response: str
    contexts: tuple[str, ...]
    reference: str | None
    reference_contexts: tuple[str, ...] = ()


def missing_modules(metric: str) -> list[str]:
    """The modules ``metric`` needs that cannot be imported here."""
    from importlib.util import find_spec

    return [m for m in METRICS[metric] if find_spec(m) is None]


def _ragas() -> Any:
    """Import ragas with telemetry off and no user-id file; raise ConfigError if absent."""
    os.environ["RAGAS_DO_NOT_TRACK"] = "true"  # read by ragas when it first checks
    try:
        ragas = importlib.import_module("ragas")
        analytics = importlib.import_module("ragas._analytics")
    except ImportError as exc:
        raise ConfigError(
            f"ragas metrics need the ragas extra ({exc.name} is not installed); install it "
            f"with: {INSTALL}"
        ) from None
    analytics.do_not_track.cache_clear()
    setattr(analytics, "user_data_dir", _no_user_data_dir)  # noqa: B010 - a module global
    analytics.get_userid.cache_clear()
    return ragas


def _no_user_data_dir(*_args: Any, **_kwargs: Any) -> str:
    # ragas catches this and uses a throwaway anonymous id: nothing is written to disk.
    raise OSError("the harness does not let ragas keep a user id")


async def score_metric(
    metric: str, sample: RagSample, *, llm: RunnerLLM | None = None
) -> tuple[float, str | None]:
    """The metric's value for ``sample`` (and ragas's reason, when it gives one)."""
    _ragas()
    collections = importlib.import_module("ragas.metrics.collections")
    if metric == "string_similarity":
        result = await collections.NonLLMStringSimilarity().ascore(
            reference=sample.reference, response=sample.response
        )
    elif metric == "rouge_l":
        result = await collections.RougeScore(rouge_type="rougeL", mode="fmeasure").ascore(
            reference=sample.reference, response=sample.response
        )
    elif metric == "bleu":
        return _bleu(sample), None
    elif metric == "chrf":
        result = await collections.CHRFScore().ascore(
            reference=sample.reference, response=sample.response
        )
    elif metric in ("non_llm_context_precision", "non_llm_context_recall"):
        return await _non_llm_context(metric, sample), None
    else:
        assert llm is not None, "LLM metrics need the judge's runner"
        result = await _llm_metric(collections, metric, sample, llm)
    return float(result.value), getattr(result, "reason", None)


def _bleu(sample: RagSample) -> float:
    """Sentence BLEU through sacrebleu (ragas's extra), 0-1.

    Not ragas 0.4.3's ``BleuScore``: it splits both texts into sentences and passes the
    references in the wrong shape, so two identical multi-sentence answers score 0.
    """
    sacrebleu = importlib.import_module("sacrebleu")
    return float(sacrebleu.sentence_bleu(sample.response, [sample.reference or ""]).score) / 100


async def _non_llm_context(metric: str, sample: RagSample) -> float:
    schema = importlib.import_module("ragas.dataset_schema")
    row = schema.SingleTurnSample(
        retrieved_contexts=list(sample.contexts),
        reference_contexts=list(sample.reference_contexts),
    )
    if metric == "non_llm_context_precision":
        module = importlib.import_module("ragas.metrics._context_precision")
        scorer = module.NonLLMContextPrecisionWithReference()
    else:
        module = importlib.import_module("ragas.metrics._context_recall")
        scorer = module.NonLLMContextRecall()
    # The scoring step itself: ragas's public wrapper around it only adds usage tracking.
    return float(await scorer._single_turn_ascore(row, None))


async def _llm_metric(collections: Any, metric: str, sample: RagSample, llm: RunnerLLM) -> Any:
    adapter = _llm_adapter(llm)
    if metric == "faithfulness":
        return await collections.Faithfulness(llm=adapter).ascore(
            user_input=sample.question,
            response=sample.response,
            retrieved_contexts=list(sample.contexts),
        )
    if metric == "answer_relevancy":
        embeddings = _embeddings()
        return await collections.AnswerRelevancy(
            llm=adapter, embeddings=embeddings, strictness=1
        ).ascore(user_input=sample.question, response=sample.response)
    return await collections.ContextPrecisionWithReference(llm=adapter).ascore(
        user_input=sample.question,
        reference=sample.reference,
        retrieved_contexts=list(sample.contexts),
    )


class InvalidMetricAnswer(ValueError):
    """The model's answer to a metric's prompt did not validate, twice."""


class RunnerLLM:
    """Sends a ragas metric's prompts through the judge's runner, for one case and criterion.

    Each prompt is one user message, no sampling parameters; the answer is parsed as JSON
    and validated by the metric's response model, with one retry naming the problem.
    """

    def __init__(self, calls: ScoringCalls, case: Case, criterion: str) -> None:
        if calls.runner is None:
            raise AssertionError("LLM metrics need the judge's runner")
        self._runner: CallRunner = calls.runner
        self._calls = calls
        self._case = case
        self._criterion = criterion
        self._asked = 0

    async def generate(self, prompt: str, response_model: type[BaseModel]) -> BaseModel:
        for attempt in range(1, 3):
            text = await self._complete(prompt, attempt)
            try:
                return response_model.model_validate(_json_object(text))
            except (ValueError, ValidationError) as exc:
                problem = str(exc).splitlines()[0]
                prompt = (
                    f"{prompt}\n\nYour previous answer could not be used ({problem}). Reply "
                    "with only the JSON object."
                )
        raise InvalidMetricAnswer(
            f"the model's answer for {self._criterion} did not match the metric's schema twice"
        )

    async def _complete(self, prompt: str, attempt: int) -> str:
        self._asked += 1
        key = f"ragas:{self._calls.seed}:{self._criterion}:{self._asked}:{attempt}".encode()
        seed = int.from_bytes(hashlib.sha256(key).digest()[:8], "big") >> 1
        request = CompletionRequest("", (Message("user", prompt),), seed, self._case, -1)
        log: list[ModelCall] = []
        try:
            completion = await self._runner.complete(
                request, log=log, case_id=self._case.case_id, repeat=self._calls.repeat
            )
        finally:
            self._calls.log.extend(
                replace(c, purpose="judge", criterion=self._criterion) for c in log
            )
        return completion.text


def _json_object(text: str) -> Any:
    body = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise ValueError("the answer is not a JSON object")
    return json.loads(body[start : end + 1])


def _llm_adapter(llm: RunnerLLM) -> Any:
    """``llm`` as the instructor-style LLM ragas's metrics accept."""
    base = importlib.import_module("ragas.llms.base").InstructorBaseRagasLLM

    class _Adapter(base):  # type: ignore[misc, valid-type]
        def generate(self, prompt: str, response_model: type[BaseModel]) -> BaseModel:
            raise RuntimeError("the harness scores ragas metrics asynchronously only")

        async def agenerate(self, prompt: str, response_model: type[BaseModel]) -> BaseModel:
            return await llm.generate(prompt, response_model)

    return _Adapter()


def _embeddings() -> Any:
    base = importlib.import_module("ragas.embeddings.base").BaseRagasEmbedding

    class _Hashed(base):  # type: ignore[misc, valid-type]
        def embed_text(self, text: str, **kwargs: Any) -> list[float]:
            return hashed_embedding(text)

        async def aembed_text(self, text: str, **kwargs: Any) -> list[float]:
            return hashed_embedding(text)

    return _Hashed()


def hashed_embedding(text: str, dimensions: int = _EMBED_DIMENSIONS) -> list[float]:
    """A unit bag-of-words vector (words and word pairs hashed into ``dimensions`` slots).

    >>> round(sum(v * v for v in hashed_embedding("Can I cancel?")), 6)
    1.0
    """
    words = _WORD.findall(text.lower())
    grams = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
    vector = [0.0] * dimensions
    for gram in grams:
        digest = hashlib.sha256(gram.encode()).digest()
        slot = int.from_bytes(digest[:4], "big") % dimensions
        vector[slot] += 1.0 if digest[4] % 2 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def ragas_version() -> str | None:
    """The installed ragas version, without importing it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ragas")
    except PackageNotFoundError:
        return None
