"""Model prices and the cost of a call.

>>> table = PriceTable.load()
>>> price = table.for_model("claude-sonnet-4-6")
>>> round(price.cost(Usage(input_tokens=1_000_000, output_tokens=0)), 2)
3.0
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from harness.config.files import load_yaml_mapping, validate_model
from harness.models.base import Usage

DEFAULT_PRICES = Path(__file__).parent.parent / "data" / "prices.yaml"
_PER = 1_000_000


class ModelPrice(BaseModel):
    """US dollars per million tokens of each kind."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float = Field(ge=0)
    cache_write: float = Field(ge=0)

    def cost(self, usage: Usage, *, batch_discount: float = 1.0) -> float:
        """The cost of one call's ``usage``; ``batch_discount`` multiplies it (0.5 = half)."""
        total = (
            usage.input_tokens * self.input
            + usage.output_tokens * self.output
            + usage.cache_read_tokens * self.cache_read
            + usage.cache_write_tokens * self.cache_write
        ) / _PER
        return total * batch_discount

    def saved_by_cache_reads(self, usage: Usage) -> float:
        """What cache-read tokens saved against paying for them as ordinary input tokens."""
        return usage.cache_read_tokens * (self.input - self.cache_read) / _PER


class PriceTable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    batch_discount: float = Field(default=0.5, gt=0, le=1)
    models: dict[str, ModelPrice] = Field(default_factory=dict)

    @classmethod
    def load(cls, *extra: Path) -> PriceTable:
        """The shipped table, with each ``extra`` file's entries laid over it in order."""
        table = cls._read(DEFAULT_PRICES)
        for path in extra:
            more = cls._read(path)
            table = PriceTable(
                batch_discount=more.batch_discount,
                models={**table.models, **more.models},
            )
        return table

    @classmethod
    def _read(cls, path: Path) -> PriceTable:
        return validate_model(cls, load_yaml_mapping(path), str(path))

    def for_model(self, model_id: str) -> ModelPrice | None:
        """The price of ``model_id``: an exact entry, else the longest prefix entry."""
        if model_id in self.models:
            return self.models[model_id]
        prefixes = [k for k in self.models if model_id.startswith(k)]
        return self.models[max(prefixes, key=len)] if prefixes else None
