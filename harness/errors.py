"""The harness's error tree and its exit contract.

Every error the harness raises on purpose derives from :class:`HarnessError`, and also from
the built-in it resembles, so callers can catch either::

    HarnessError
    ├── ConfigError(ValueError)        a scenario, disclosure, prompt or option is wrong
    │   ├── TemplateError              a prompt template failed to render
    │   └── CacheMiss                  --cache require, and an answer is not in the cache
    ├── CorpusError(ValueError)        a corpus file is missing, corrupt or invalid
    │   └── ImportInputError           a whole input file cannot be imported
    ├── ModelError(RuntimeError)       a model adapter could not produce a completion
    │   ├── ProviderError              one provider call failed (kind, retryable, fatal)
    │   └── RunStopped                 the run must stop (fatal, or cleanly: cases not run)
    └── StoreError(RuntimeError)       results could not be written or read
        └── DatabaseLocked             another process held the run database too long

A breached threshold is *not* an error: it is a :class:`harness.gate.policy.GateResult`. The
edges (CLI and pytest plugin) turn errors into :attr:`ExitStatus.USAGE` and gate results into
:attr:`ExitStatus.PASSED` or :attr:`ExitStatus.GATE_FAILED`; :class:`ExitStatus` is the only
place those numbers are written.

An interruption (SIGINT, SIGTERM) is not an error either: :class:`RunInterrupted` is a
:class:`KeyboardInterrupt`, outside the tree, so no ``except Exception`` swallows it; the
edges turn it into :attr:`ExitStatus.INTERRUPTED` or :attr:`ExitStatus.TERMINATED`.

Every error pickles with all its fields, so a worker process hands it to its parent as it was.

>>> int(ExitStatus.GATE_FAILED)
1
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable
from typing import Any


class ExitStatus(enum.IntEnum):
    """What the ``harness`` command and ``pytest --harness-scenario`` exit with."""

    PASSED = 0  #: every criterion met its threshold (or the command succeeded)
    GATE_FAILED = 1  #: a criterion is below its threshold (or a check found problems)
    USAGE = 2  #: bad input or configuration, named in one message
    INTERRUPTED = 130  #: SIGINT (Ctrl-C, a cancelled CI job): 128 + 2
    BROKEN_PIPE = 141  #: the reader of the output went away (``| head``): 128 + SIGPIPE
    TERMINATED = 143  #: SIGTERM: 128 + 15


class HarnessError(Exception):
    """Root of every error the harness raises deliberately."""


class ConfigError(HarnessError, ValueError):
    """A scenario, disclosure, prompt version or option is invalid."""


class TemplateError(ConfigError):
    """A prompt template could not be rendered (for example, a missing variable)."""


class CacheMiss(ConfigError):
    """``--cache require`` and an answer is not in the cache."""


class CorpusError(HarnessError, ValueError):
    """A corpus file is missing, unreadable or does not match the case schema."""


class ImportInputError(CorpusError):
    """A whole input file cannot be imported (unreadable, wrong delimiter, unknown layout)."""


class ModelError(HarnessError, RuntimeError):
    """A model adapter failed to produce a completion."""


class ProviderError(ModelError):
    """A provider call failed; adapters raise it so the runner can decide what to do.

    ``retryable``: the same request may succeed later (429, 5xx, 529 overloaded, a dropped
    connection, a timeout). ``fatal``: no request will succeed (401 bad key, 403): the run
    stops at once. ``retry_after``: seconds the provider asked us to wait, if it said.
    ``kind`` is a short class for the call log: ``rate_limited``, ``overloaded``,
    ``server_error``, ``connection``, ``timeout``, ``bad_response``, ``auth``, ``bad_request``,
    ``empty``.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        retryable: bool,
        fatal: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable
        self.fatal = fatal
        self.status = status
        self.retry_after = retry_after
        self.request_id = request_id

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


class RunStopped(ModelError):
    """The run must stop: ``fatal`` (e.g. a rejected key: exit 2) or a clean stop (circuit
    breaker, budget, time bound: the remaining cases are marked ``not_run``)."""

    def __init__(self, message: str, *, fatal: bool) -> None:
        super().__init__(message)
        self.fatal = fatal

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


class StoreError(HarnessError, RuntimeError):
    """Results could not be written to, or read from, the run store."""


class DatabaseLocked(StoreError):
    """The run database stayed locked by another process for longer than the run waits.

    At finish, ``run_id`` and ``out_dir`` name the run whose parts are kept, so the edge
    can print the ``--resume`` command that finishes it.
    """

    def __init__(self, message: str, *, run_id: str | None = None, out_dir: str | None = None):
        super().__init__(message)
        self.run_id = run_id
        self.out_dir = out_dir

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


class RunInterrupted(KeyboardInterrupt):
    """The run was stopped by signal ``signum`` (SIGINT: Ctrl-C or a cancelled CI job).

    Raised once no case is in flight any more: every case finished before the signal is
    committed, none cut short is. ``run_id``, ``out_dir`` and ``committed`` (cases, with
    repeats, in the run folder) are set when a run had started.

    >>> int(RunInterrupted(15).exit_status)
    143
    """

    def __init__(
        self,
        signum: int,
        *,
        run_id: str | None = None,
        out_dir: str | None = None,
        committed: int = 0,
    ) -> None:
        super().__init__(f"interrupted by signal {signum}")
        self.signum = signum
        self.run_id = run_id
        self.out_dir = out_dir
        self.committed = committed

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.TERMINATED if self.signum == 15 else ExitStatus.INTERRUPTED

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """Unpickle an error whose constructor takes keywords: bypass it, restore every field."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return a ``" (did you mean 'x'?)"`` suffix for the closest choice, or ``""``.

    >>> did_you_mean("comission", ["commission", "soft_search"])
    " (did you mean 'commission'?)"
    """
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
