"""Model providers: one adapter per provider, behind :class:`harness.models.base.ModelAdapter`."""

from harness.models.base import (
    Completion,
    CompletionRequest,
    Message,
    ModelAdapter,
    Usage,
)

__all__ = ["Completion", "CompletionRequest", "Message", "ModelAdapter", "Usage"]
