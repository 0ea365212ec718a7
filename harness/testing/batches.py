"""Message Batches on the local provider server: a batch's life and its wire shapes.

Results are computed when the batch is created (answers are deterministic, so nothing is
lost by answering early); the batch reports ``in_progress`` until it has been polled
``polls_to_end`` times, then ``ended`` with a ``results_url``. An expiring batch ends with
every request ``expired``, as a real batch does when 24 hours pass first.

>>> batch = MessageBatch("msgbatch_1", [("a", {"type": "succeeded"})], 0.0, polls_to_end=1)
>>> batch.to_json("http://127.0.0.1:1")["processing_status"]
'in_progress'
>>> batch.polls += 1
>>> batch.to_json("http://127.0.0.1:1")["request_counts"]["succeeded"]
1
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from harness.testing.api_formats import RequestRejected

_CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_DAY_S = 24 * 3600


@dataclass
class MessageBatch:
    """One batch: ``results`` holds ``(custom_id, result)`` as the results file shows them."""

    batch_id: str
    results: list[tuple[str, dict[str, Any]]]
    created_at: float  # seconds since the epoch
    polls_to_end: int = 1
    expire: bool = False
    polls: int = 0

    @property
    def ended(self) -> bool:
        return self.polls >= self.polls_to_end

    def _result(self, result: dict[str, Any]) -> dict[str, Any]:
        return {"type": "expired"} if self.expire else result

    def to_json(self, base_url: str) -> dict[str, Any]:
        """The ``message_batch`` object."""
        counts = dict.fromkeys(("processing", "succeeded", "errored", "canceled", "expired"), 0)
        for _, result in self.results:
            counts[self._result(result)["type"] if self.ended else "processing"] += 1
        results_url = f"{base_url}/v1/messages/batches/{self.batch_id}/results"
        return {
            "id": self.batch_id,
            "type": "message_batch",
            "processing_status": "ended" if self.ended else "in_progress",
            "request_counts": counts,
            "created_at": _rfc3339(self.created_at),
            "expires_at": _rfc3339(self.created_at + _DAY_S),
            "ended_at": _rfc3339(time.time()) if self.ended else None,
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": results_url if self.ended else None,
        }

    def results_jsonl(self) -> bytes:
        """The results file: one ``{"custom_id", "result"}`` object per line."""
        lines = [
            json.dumps({"custom_id": custom_id, "result": self._result(result)})
            for custom_id, result in self.results
        ]
        return ("\n".join(lines) + "\n").encode()


def batch_items(body: Any) -> list[tuple[str, Any]]:
    """The ``(custom_id, params)`` pairs of a create request; raise :class:`RequestRejected`.

    Each ``params`` is validated later, on its own: a bad one errors that request only.
    """
    items = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise RequestRejected("requests: Field required (a non-empty list)")
    pairs: list[tuple[str, Any]] = []
    for i, item in enumerate(items):
        custom_id = item.get("custom_id") if isinstance(item, dict) else None
        if not isinstance(custom_id, str) or not _CUSTOM_ID.match(custom_id):
            raise RequestRejected(f"requests.{i}.custom_id: must match {_CUSTOM_ID.pattern}")
        if any(custom_id == seen for seen, _ in pairs):
            raise RequestRejected(f"requests.{i}.custom_id: duplicate custom_id '{custom_id}'")
        pairs.append((custom_id, item.get("params")))
    return pairs


def _rfc3339(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
