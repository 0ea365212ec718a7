"""How the model is called: the scenario's ``calls:``, ``cache:`` and ``batch:`` sections.

Settings only; the machinery that applies them (retries, the response cache, message
batches) lives in :mod:`harness.replay`.

>>> CallPolicy(max_attempts=3).timeout_s
60.0
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_FROZEN = ConfigDict(frozen=True, extra="forbid")

CacheMode = Literal["read-write", "read-only", "off", "require"]
CACHE_MODES: tuple[CacheMode, ...] = ("read-write", "read-only", "off", "require")


class CallPolicy(BaseModel):
    """How model calls are made: the scenario's ``calls:`` section."""

    model_config = _FROZEN

    timeout_s: float = Field(default=60.0, gt=0, le=3600)
    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_base_s: float = Field(default=0.5, ge=0, le=60)
    backoff_max_s: float = Field(default=30.0, ge=0, le=600)
    circuit_breaker_failures: int = Field(default=50, ge=1, le=100_000)
    max_run_s: float | None = Field(default=None, gt=0)


class CacheSettings(BaseModel):
    """The response cache: mode and folder (relative to the working directory)."""

    model_config = _FROZEN
    mode: CacheMode = "read-write"
    dir: str = ".harness-cache"


class BatchSettings(BaseModel):
    """The scenario's ``batch:`` section."""

    model_config = _FROZEN

    enabled: bool = False
    max_requests: int = Field(default=10_000, ge=1, le=100_000)
    poll_initial_s: float = Field(default=5.0, gt=0, le=3600)
    poll_max_s: float = Field(default=300.0, gt=0, le=3600)
    linger_s: float = Field(default=0.2, ge=0, le=60)
