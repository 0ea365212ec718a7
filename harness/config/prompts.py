"""Prompt versions: jinja2 system-prompt templates rendered per case.

A template sees ``case`` (id and tags), ``facts`` (the case facts), ``rag`` (a RAG case's
``question`` and retrieved ``contexts``) and ``disclosures``: the disclosure versions in force,
each with ``id``, ``title``, ``version``, ``wording`` (filled with the case facts),
``before_event`` and ``trigger`` phrases.

>>> path = Path("scenarios/prompts/broker_agent/v1.j2")
>>> prompt = PromptVersion.load(path, "broker_agent", 1)  # doctest: +SKIP
>>> text = prompt.render(case, pinned)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.config.disclosures import PinnedDisclosure, fill
from harness.config.templating import Template, prompt_template, render_prompt
from harness.corpus.cases import Case
from harness.errors import ConfigError, TemplateError


@dataclass(frozen=True)
class PromptVersion:
    """A named, versioned system-prompt template."""

    name: str
    version: int
    path: Path | None
    content_hash: str
    _template: Template | None = field(repr=False, compare=False)

    @classmethod
    def none(cls) -> PromptVersion:
        """No prompt: a scenario on the ``recorded`` provider, which replays what production
        said, may leave ``prompt`` out; it renders as an empty system prompt.

        >>> PromptVersion.none().label
        'none'
        """
        return cls("none", 0, None, "", None)

    @property
    def label(self) -> str:
        """``name vN``, or ``none`` for :meth:`none`."""
        return "none" if self._template is None else f"{self.name} v{self.version}"

    @classmethod
    def load(cls, path: Path, name: str, version: int) -> PromptVersion:
        if not path.is_file():
            known = (
                sorted(p.stem for p in path.parent.glob("v*.j2")) if path.parent.is_dir() else []
            )
            hint = f"; versions of '{name}' found: {', '.join(known)}" if known else ""
            raise ConfigError(f"{path}: prompt '{name}' version {version} not found{hint}")
        template = prompt_template(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return cls(name, version, path, digest, template)

    def render(self, case: Case, disclosures: Sequence[PinnedDisclosure]) -> str:
        """The system prompt for ``case`` with the ``disclosures`` in force."""
        if self._template is None or self.path is None:
            return ""
        context: dict[str, Any] = {
            "case": {"id": case.case_id, "tags": dict(case.tags)},
            "facts": dict(case.facts),
            # RAG-style cases: what the assistant may answer from (the reference is not shown).
            "rag": {"question": case.question, "contexts": list(case.contexts or ())},
            "disclosures": [
                {
                    "id": d.id,
                    "title": d.title,
                    "version": d.current.version,
                    "wording": fill(
                        d.current.wording.strip(),
                        case.facts,
                        where=f"case {case.case_id}: disclosure {d.id} v{d.current.version}",
                    ),
                    "before_event": d.current.deadline.before_event,
                    "trigger": list(d.current.trigger_phrases()),
                }
                for d in disclosures
            ],
        }
        try:
            return render_prompt(self._template, self.path, context)
        except TemplateError as exc:
            raise TemplateError(f"case {case.case_id}: {exc}") from None
