"""Validating a corpus: every problem at once, each with its file, row and column.

Checks, per file: that it is a readable case file of a schema version this harness reads,
that its columns have the case schema's names and types (the same check a replay makes),
and, per row, that the case is valid (required fields, types, at least one customer turn).
Across files: unique case ids. Against the disclosure registry: labels naming unknown
disclosures (errors), a label given twice, and labels whose applicability disagrees with
the registry's conditions (warnings). Last, the corpus contract (:mod:`.contract`).

>>> report = validate_corpus(Path("corpus/demo"), registry)  # doctest: +SKIP
>>> report.ok, report.cases
(True, 640)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyarrow as pa

from harness.config.disclosures import DisclosureRegistry, PinnedDisclosure
from harness.corpus.cases import SCHEMA_VERSION, Case, CaseRowError
from harness.corpus.files import corpus_files, iter_cases, open_corpus_file
from harness.corpus.migrate import migrated_batches, schema_version
from harness.errors import CorpusError, did_you_mean
from harness.golden.contract import MANIFEST_NAME, check_contract

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: where (file and row), what, and how bad."""

    where: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


@dataclass
class ValidationReport:
    """All findings for a corpus, and what was looked at."""

    files: int = 0
    cases: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_corpus(
    path: Path,
    registry: DisclosureRegistry | None,
    *,
    contract: bool = True,
    max_warnings_per_check: int = 20,
) -> ValidationReport:
    """Validate the corpus at ``path`` (a file or a folder).

    ``contract``: also check the manifest of the folder (of a file: of its folder, when it
    has one). Raises :class:`CorpusError` only when ``path`` does not exist.
    """
    report = ValidationReport()
    files = corpus_files([path])
    pinned = [registry.pin(d, "latest") for d in registry.ids] if registry else []
    seen: dict[str, str] = {}
    disagreements: list[Problem] = []
    for file in files:
        report.files += 1
        for where, case in _cases(file, report):
            report.cases += 1
            if case.case_id in seen:
                report.problems.append(
                    Problem(
                        where,
                        f"duplicate case_id '{case.case_id}' (first at {seen[case.case_id]}); "
                        "case ids must be unique across the corpus",
                    )
                )
            else:
                seen[case.case_id] = where
            report.problems.extend(_label_problems(where, case, registry))
            disagreements.extend(_disagreements(where, case, pinned))
    report.problems.extend(disagreements[:max_warnings_per_check])
    if len(disagreements) > max_warnings_per_check:
        report.problems.append(
            Problem(
                str(path),
                f"and {len(disagreements) - max_warnings_per_check} more labels whose "
                "applicability disagrees with the registry",
                "warning",
            )
        )
    if contract:
        folder = path if path.is_dir() else path.parent
        if path.is_dir() or (folder / MANIFEST_NAME).exists():
            if report.errors:
                report.problems.append(
                    Problem(str(folder / MANIFEST_NAME), "not checked: fix the errors above first")
                )
            else:
                report.problems.extend(Problem(p.path, p.message) for p in check_contract(folder))
    return report


def _cases(file: Path, report: ValidationReport) -> list[tuple[str, Case]]:
    """The valid cases of ``file`` with their location; problems go into ``report``."""
    try:
        parquet = open_corpus_file(file)
        version = schema_version(file, parquet.schema_arrow)
    except CorpusError as exc:
        report.problems.append(Problem(str(file), str(exc).removeprefix(f"{file}: ")))
        return []
    if version == SCHEMA_VERSION:
        try:  # the replay's own schema check, so validate says what a run would say
            next(iter_cases([file], batch_size=1), None)
        except CorpusError as exc:
            message = str(exc)
            if " row " not in message.split(":")[0]:
                report.problems.append(Problem(str(file), message.removeprefix(f"{file}: ")))
                return []
    cases: list[tuple[str, Case]] = []
    row = 0
    try:
        for batch in migrated_batches(file, parquet, 1024):
            for data in batch.to_pylist():
                where = f"{file} row {row}"
                try:
                    cases.append((where, Case.from_row(data)))
                except CaseRowError as exc:
                    report.problems.append(Problem(where, str(exc)))
                row += 1
    except (CorpusError, OSError, pa.ArrowException) as exc:
        report.problems.append(Problem(f"{file} row {row}", f"unreadable ({exc})"))
    return cases


def _label_problems(where: str, case: Case, registry: DisclosureRegistry | None) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for index, label in enumerate(case.labels):
        at = f"{where} column 'labels' [{index}]"
        if label.disclosure_id in seen:
            problems.append(
                Problem(at, f"disclosure '{label.disclosure_id}' is labelled twice in one case")
            )
        seen.add(label.disclosure_id)
        if registry is not None and label.disclosure_id not in registry.ids:
            hint = did_you_mean(label.disclosure_id, registry.ids)
            problems.append(
                Problem(
                    at,
                    f"label for unknown disclosure '{label.disclosure_id}'{hint}; "
                    f"{registry.folder} defines: {', '.join(registry.ids)}",
                )
            )
        if label.presented and not label.applicable:
            problems.append(Problem(at, "presented=true but applicable=false"))
    return problems


def _disagreements(where: str, case: Case, pinned: Sequence[PinnedDisclosure]) -> list[Problem]:
    found = []
    for disclosure in pinned:
        label = case.label_for(disclosure.id)
        if label is None:
            continue
        applies = disclosure.applies_to(case)
        if label.applicable != applies:
            found.append(
                Problem(
                    f"{where} ({case.case_id})",
                    f"label says '{disclosure.id}' is {'' if label.applicable else 'not '}"
                    f"applicable, the registry's v{disclosure.current.version} conditions say "
                    f"it {'applies' if applies else 'does not apply'}",
                    "warning",
                )
            )
    return found
