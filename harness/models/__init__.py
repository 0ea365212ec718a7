"""Model providers: one adapter per provider, behind :class:`harness.models.base.ModelAdapter`."""

from harness.errors import ProviderError
from harness.models.base import Completion, CompletionRequest, Message, ModelAdapter, Usage
from harness.models.offline import OfflineModel
from harness.models.recorded import RecordedModel

__all__ = [
    "Completion",
    "CompletionRequest",
    "Message",
    "ModelAdapter",
    "OfflineModel",
    "ProviderError",
    "RecordedModel",
    "Usage",
]
