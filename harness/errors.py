"""The harness's error tree.

Every error the harness raises on purpose derives from :class:`HarnessError`, and also from
the built-in it resembles, so callers can catch either::

    HarnessError
    ├── ConfigError(ValueError)        a scenario, disclosure, prompt or option is wrong
    │   └── TemplateError              a prompt template failed to render
    ├── CorpusError(ValueError)        a corpus file is missing, corrupt or invalid
    ├── ModelError(RuntimeError)       a model adapter could not produce a completion
    └── StoreError(RuntimeError)       results could not be written or read

A breached threshold is *not* an error: it is a :class:`harness.gate.policy.GateResult`. The edges
(CLI and pytest plugin) turn errors into exit status 2 and gate results into 0 or 1.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class HarnessError(Exception):
    """Root of every error the harness raises deliberately."""


class ConfigError(HarnessError, ValueError):
    """A scenario, disclosure, prompt version or option is invalid."""


class TemplateError(ConfigError):
    """A prompt template could not be rendered (for example, a missing variable)."""


class CorpusError(HarnessError, ValueError):
    """A corpus file is missing, unreadable or does not match the case schema."""


class ModelError(HarnessError, RuntimeError):
    """A model adapter failed to produce a completion."""


class StoreError(HarnessError, RuntimeError):
    """Results could not be written to, or read from, the run store."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return a ``" (did you mean 'x'?)"`` suffix for the closest choice, or ``""``.

    >>> did_you_mean("comission", ["commission", "soft_search"])
    " (did you mean 'commission'?)"
    """
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
