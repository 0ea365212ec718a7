"""Turning a failed HTTP call to a model provider into a :class:`ProviderError`.

Shared by the API adapters so that a 429 means the same thing to the runner whichever
provider sent it. Every message passes through :func:`scrub`, so an API key that a server
echoes back never reaches a log or a report.

>>> error = status_error("anthropic", "claude-x", 529, error_type="overloaded_error",
...                      detail="Overloaded", request_id="req_1", retry_after=None)
>>> error.kind, error.retryable, error.fatal
('overloaded', True, False)
>>> str(error)
"anthropic model 'claude-x': HTTP 529 overloaded_error: Overloaded (request req_1)"
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from harness.config.secrets import Scrubber
from harness.errors import ProviderError

if TYPE_CHECKING:
    from harness.models.base import Completion, ModelAdapter


def scrub(text: str, secret: str | None) -> str:
    """``text`` without ``secret``, any run of 8 of its characters, or a credential shape.

    >>> scrub("bad key sk-ant-abcdefghijk (no: bcdefghijk)", "sk-ant-abcdefghijk")
    'bad key [redacted] (no: [redacted])'
    """
    return Scrubber([secret]).scrub(text)


def scrubbed_error(error: ProviderError, scrubber: Scrubber) -> ProviderError:
    """``error`` with its message and request id scrubbed (the same class and fields)."""
    message = scrubber.scrub(str(error))
    request_id = scrubber.scrub_optional(error.request_id)
    if message == str(error) and request_id == error.request_id:
        return error
    clean = copy.copy(error)
    clean.args = (message,)
    clean.request_id = request_id
    return clean


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if (millis := headers.get("retry-after-ms")) is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def status_error(
    provider: str,
    model_id: str,
    status: int,
    *,
    error_type: str | None,
    detail: str | None,
    request_id: str | None,
    retry_after: float | None,
    secret: str | None = None,
    key_env: str | None = None,
) -> ProviderError:
    """The error for an HTTP error status.

    429 is ``rate_limited``, 529 ``overloaded``, other 5xx ``server_error``, 408 ``timeout``
    (all retryable); 401, 402 and 403 are ``auth`` and fatal (no request can succeed); a
    404 is ``unknown_model`` (when it names the model) or ``not_found`` (a wrong address),
    fatal too; any other 4xx is ``bad_request``, not retried.
    """
    what = " ".join(p for p in (f"HTTP {status}", error_type) if p)
    said = f"{what}: {detail}" if detail else what
    where = f"{provider} model '{model_id}'"
    kind = {429: "rate_limited", 529: "overloaded", 408: "timeout"}.get(status)
    if kind is None:
        kind = "server_error" if status >= 500 else "bad_request"
    if status in (401, 402, 403):
        kind = "auth"
        hint = f"; check the key in the environment variable {key_env}" if key_env else ""
        reason = "the account cannot be billed" if status == 402 else "authentication failed"
        message = f"{where}: {reason} ({said}){hint}"
    elif status == 404 and _about_model(model_id, error_type, detail):
        kind = "unknown_model"
        message = f"{provider}: unknown model '{model_id}' ({said}); check model.id in the scenario"
    elif status == 404:
        kind = "not_found"
        message = f"{where}: {said}; check base_url"
    else:
        message = f"{where}: {said}"
    return ProviderError(
        scrub(message + (f" (request {request_id})" if request_id else ""), secret),
        kind=kind,
        retryable=kind not in ("auth", "bad_request", "unknown_model", "not_found"),
        # No request can succeed with this key, account, model or address: stop the run.
        fatal=kind in ("auth", "unknown_model", "not_found"),
        status=status,
        retry_after=retry_after,
        request_id=request_id,
    )


def transport_error(
    provider: str, model_id: str, kind: str, detail: str, secret: str | None = None
) -> ProviderError:
    """A retryable failure without a status: ``connection``, ``timeout`` or ``bad_response``."""
    message = scrub(f"{provider} model '{model_id}': {kind.replace('_', ' ')}: {detail}", secret)
    return ProviderError(message, kind=kind, retryable=True)


def _about_model(model_id: str, error_type: str | None, detail: str | None) -> bool:
    return error_type == "model_not_found" or (
        bool(detail) and model_id in (detail or "") and "model" in (detail or "").lower()
    )


def empty_answer(adapter: ModelAdapter, completion: Completion) -> ProviderError:
    """A 200 whose answer holds no text: retryable (``empty``), never scored as the turn.

    >>> from harness.models.base import Completion
    >>> from harness.models.offline import OfflineModel
    >>> str(empty_answer(OfflineModel("broker-v1"), Completion(text="", model="x")))
    "offline model 'broker-v1': the answer was empty (HTTP 200 with no text, stop reason end_turn)"
    """
    return ProviderError(
        f"{adapter.provider} model '{adapter.model_id}': the answer was empty (HTTP 200 with "
        f"no text, stop reason {completion.stop_reason or 'none'})",
        kind="empty",
        retryable=True,
        request_id=completion.request_id,
    )
