"""Golden-set tooling: import, validate, measure, label, dedupe, sample, diff and query a corpus.

The same functions back the ``harness corpus`` commands; each is a plain function over
paths and values that neither prints nor reads the environment. See ``docs/corpus.md``.

>>> from harness.golden import import_files, validate_corpus, corpus_stats  # doctest: +SKIP
>>> report = import_files([Path("tickets.csv")], Path("corpus/tickets.parquet"))  # doctest: +SKIP
"""

from __future__ import annotations

from harness.corpus.migrate import migrate_corpus, migrate_file, schema_version
from harness.golden.contract import (
    ContractProblem,
    CorpusManifest,
    build_manifest,
    check_contract,
    write_manifest,
)
from harness.golden.coverage import CorpusStats, PowerSettings, corpus_stats, render_stats
from harness.golden.dedupe import Duplicate, find_duplicates, remove_cases
from harness.golden.diff import CorpusDiff, diff_corpora, materialise, render_diff
from harness.golden.export import export_audit_log
from harness.golden.importers import (
    ColumnMapping,
    ImportInputError,
    ImportReport,
    detect_format,
    import_cases,
    import_files,
)
from harness.golden.labels import (
    LabelChange,
    LabelEdit,
    apply_label_edits,
    export_labels_csv,
    import_labels_csv,
    read_history,
)
from harness.golden.sampling import sample_cases, split_cases
from harness.golden.validate import Problem, ValidationReport, validate_corpus
from harness.store.views import connect, query

__all__ = [
    "ColumnMapping",
    "ContractProblem",
    "CorpusDiff",
    "CorpusManifest",
    "CorpusStats",
    "Duplicate",
    "ImportInputError",
    "ImportReport",
    "LabelChange",
    "LabelEdit",
    "PowerSettings",
    "Problem",
    "ValidationReport",
    "apply_label_edits",
    "build_manifest",
    "check_contract",
    "connect",
    "corpus_stats",
    "detect_format",
    "diff_corpora",
    "export_audit_log",
    "export_labels_csv",
    "find_duplicates",
    "import_cases",
    "import_files",
    "import_labels_csv",
    "materialise",
    "migrate_corpus",
    "migrate_file",
    "query",
    "read_history",
    "remove_cases",
    "render_diff",
    "render_stats",
    "sample_cases",
    "schema_version",
    "split_cases",
    "validate_corpus",
    "write_manifest",
]
