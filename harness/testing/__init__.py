"""Test and benchmark helpers that ship with the harness: a local provider server.

>>> from harness.testing import FaultPlan, MessagesApiServer
>>> with MessagesApiServer(api_key="sk-test-1") as server:  # doctest: +SKIP
...     server.base_url
'http://127.0.0.1:41234'

The names load on first use, so ``python -m harness.testing.serve`` runs its module
once. The server needs nothing beyond the standard library's asyncio
(:mod:`harness.testing.http`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names, typed, for checkers; at run time __getattr__ loads them
    from harness.testing.api_formats import ApiPrompt, Responder, offline_responder
    from harness.testing.api_server import DEFAULT_MODELS, MessagesApiServer, ServerStats
    from harness.testing.faults import FAULT_KINDS, FaultKind, FaultPlan

_HOMES = {
    "ApiPrompt": "harness.testing.api_formats",
    "Responder": "harness.testing.api_formats",
    "offline_responder": "harness.testing.api_formats",
    "DEFAULT_MODELS": "harness.testing.api_server",
    "MessagesApiServer": "harness.testing.api_server",
    "ServerStats": "harness.testing.api_server",
    "FAULT_KINDS": "harness.testing.faults",
    "FaultKind": "harness.testing.faults",
    "FaultPlan": "harness.testing.faults",
}
__all__ = [
    "DEFAULT_MODELS",
    "FAULT_KINDS",
    "ApiPrompt",
    "FaultKind",
    "FaultPlan",
    "MessagesApiServer",
    "Responder",
    "ServerStats",
    "offline_responder",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'harness.testing' has no attribute '{name}'")
    return getattr(importlib.import_module(_HOMES[name]), name)
