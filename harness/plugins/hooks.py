"""Hook specifications: how providers and scorers plug into the harness.

A plugin is a module or object with functions marked ``@hookimpl``; a package exposes it
through the ``harness`` entry-point group. Built-in providers and scorers are registered
through the same hooks.

>>> from harness.plugins.hooks import hookimpl
>>> @hookimpl
... def harness_register_models(register):
...     register(MyAdapter)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from harness.models.base import ModelAdapter
    from harness.scoring.base import ScorerFactory

PROJECT = "harness"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def harness_register_models(register: Callable[[type[ModelAdapter]], None]) -> None:
    """Register model adapter classes by calling ``register(AdapterClass)``.

    Called once when a plugin manager is built, before any scenario loads; the adapter's
    ``provider`` class attribute is the name scenarios use.
    """


@hookspec
def harness_register_lazy_models(register_lazy: Callable[..., None]) -> None:
    """Register providers by import path, imported only when a scenario names them.

    Call ``register_lazy(provider, "package.module:AdapterClass", extra="name")``; when the
    import fails the user is told to ``pip install 'replay-harness[name]'``.
    """


@hookspec
def harness_register_scorers(register: Callable[[str, ScorerFactory], None]) -> None:
    """Register scorer factories by calling ``register(scorer_id, factory)``.

    Called once when a plugin manager is built; scenarios name scorers by ``scorer_id``.
    """
