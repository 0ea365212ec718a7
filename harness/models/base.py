"""The model seam: an adapter turns one :class:`CompletionRequest` into a :class:`Completion`.

Retries, timing, concurrency and call logging belong to the replay runner around the adapter,
so every adapter gets them without writing them. An adapter declares its options as a closed
pydantic model (``Options``), so a typo in a scenario fails at load.

>>> class Echo(ModelAdapter):
...     provider = "echo"
...     async def complete(self, request):
...         return Completion(text=request.messages[-1].content, model=self.model_id)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from harness.config.files import validate_model

if TYPE_CHECKING:
    from harness.corpus.cases import Case


#: The user message that prompts an agent turn opening the conversation (a greeting).
CONVERSATION_START = "[conversation starts]"
#: How a system event appears to the model inside the next user message.
EVENT_LINE = "[event: {event}]"


@dataclass(frozen=True, slots=True)
class Message:
    """One message of the conversation as the model sees it."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """Everything an adapter needs to produce the next agent turn.

    ``case`` and ``turn_index`` (the index in ``case.turns`` of the agent turn being
    regenerated) let replay-aware adapters such as ``recorded`` find the historical answer;
    API adapters ignore them.
    """

    system: str
    messages: tuple[Message, ...]
    seed: int
    case: Case
    turn_index: int


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Completion:
    """A model's answer with its accounting."""

    text: str
    model: str
    stop_reason: str | None = "end_turn"
    usage: Usage = field(default_factory=Usage)
    request_id: str | None = None


class NoOptions(BaseModel):
    """For adapters that take no options: any key is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ModelAdapter(ABC):
    """Base class of every provider adapter. Subclasses implement :meth:`complete`."""

    provider: ClassVar[str]
    Options: ClassVar[type[BaseModel]] = NoOptions
    #: Whether answers are worth caching (paid or slow providers); free local ones are not.
    cacheable: ClassVar[bool] = False
    #: Modules a replay worker process imports ahead, while its parent loads the plan (the
    #: provider's SDK; see harness.run.workers.pool).
    preload: ClassVar[tuple[str, ...]] = ()
    #: Whether an answer with no text is a real answer. For a model it is not (a 200 with
    #: empty content is a failed call, retried); for ``recorded`` it is what production said.
    answers_may_be_empty: ClassVar[bool] = False
    #: Option names that do not change the answer, left out of the cache key.
    cache_ignores: ClassVar[frozenset[str]] = frozenset({"timeout_s", "api_key_env"})

    def __init__(self, model_id: str, options: BaseModel | None = None) -> None:
        self.model_id = model_id
        self.options = options if options is not None else self.Options()

    @classmethod
    def from_config(cls, model_id: str, options: dict[str, Any], source: str) -> ModelAdapter:
        """Build the adapter from scenario values, validating ``options`` against ``Options``."""
        return cls(model_id, validate_model(cls.Options, options, f"{source}: model.options"))

    def cache_identity(self) -> dict[str, Any]:
        """What, besides the request, determines an answer: provider, model and options.

        Adapters that talk to a configurable endpoint add it (the same model id behind two
        servers may answer differently).
        """
        options = self.options.model_dump(mode="json", exclude=set(self.cache_ignores))
        return {"provider": self.provider, "model": self.model_id, "options": options}

    @abstractmethod
    async def complete(self, request: CompletionRequest) -> Completion:
        """Produce the agent's next turn for ``request``. Raise :class:`ModelError` on failure."""

    def missing_credentials(self) -> str | None:
        """What this adapter lacks to make a call (an unset API key), as the message that
        says so; None when it can call. Checked before a run that may call (a run whose
        every answer must come from the response cache needs no key)."""
        return None

    @property
    def secrets(self) -> tuple[str, ...]:
        """The credentials this adapter sends (its API key): scrubbed, even in part, from
        every answer and error (:mod:`harness.config.secrets`). None for most adapters."""
        return ()

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most adapters hold nothing
        """Release connections; called once when a run ends."""
