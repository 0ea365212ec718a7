"""``harness corpus``: the golden-set commands, a thin client over :mod:`harness.golden`.

Exit status: 0 done (or the check passed), 1 a check failed (rows rejected, validation
errors, contract drift, duplicates found, under-covered with ``--strict``), 2 bad input or
usage. ``register`` adds the group to the ``harness`` parser::

    harness corpus stats corpus/demo
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.cli import labels
from harness.cli.groups import DISCLOSURES, add_command
from harness.errors import ConfigError, ExitStatus
from harness.outputs.console import emit

if TYPE_CHECKING:
    from harness.config.disclosures import DisclosureRegistry

#: The similarity above which two cases are near duplicates (harness.golden.dedupe's default).
DEDUPE_THRESHOLD = 0.97
#: The import formats (harness.golden.importers.FORMATS); a test keeps both lists equal.
IMPORT_FORMATS = ("table", "audit-log", "promptfoo", "eval-samples")


def _registry(args: argparse.Namespace) -> DisclosureRegistry:
    from harness.config.disclosures import load_registry

    return load_registry(args.disclosures)


def _cmd_import(args: argparse.Namespace) -> int:
    from harness.config.disclosures import load_registry
    from harness.config.redaction import RedactionPolicy
    from harness.golden.importers import ColumnMapping, import_files

    mapping = ColumnMapping.load(args.mapping) if args.mapping else ColumnMapping()
    pairs = list(args.map or [])
    pairs += [f"delimiter={args.delimiter}"] if args.delimiter else []
    pairs += [f"encoding={args.encoding}"] if args.encoding else []
    if pairs:
        mapping = ColumnMapping.from_pairs(pairs, mapping)
    folder = args.disclosures or (DISCLOSURES if DISCLOSURES.is_dir() else None)
    registry = load_registry(folder) if folder is not None else None
    policy = (
        None
        if args.no_redact
        else (RedactionPolicy.load(args.redaction) if args.redaction else RedactionPolicy())
    )
    report = import_files(
        args.paths,
        args.out,
        format=args.format,
        mapping=mapping,
        registry=registry,
        redaction=policy,
        rejects=args.rejects,
    )
    for notice in report.notices:
        emit(f"notice: {notice.where}: {notice.message}", sys.stderr)
    for reject in report.rejects:
        emit(f"rejected: {reject.where}: {reject.reason}", sys.stderr)
    formats = ", ".join(f"{Path(p).name} as {f}" for p, f in report.formats.items())
    written = f" into {report.out}" if report.out else " (nothing written)"
    emit(f"imported {report.imported} cases from {formats}{written}")
    if report.rejects:
        emit(f"rejected {len(report.rejects)} record(s): see {report.rejects_file}")
    if not args.no_redact:
        emit("personal data redacted (pass --no-redact to keep the text as it is)")
    return ExitStatus.GATE_FAILED if report.rejects or not report.cases else ExitStatus.PASSED


def _cmd_validate(args: argparse.Namespace) -> int:
    from harness.golden import validate

    report = validate.validate_corpus(args.path, _registry(args), contract=not args.no_contract)
    for problem in report.problems:
        emit(problem)
    errors, warnings = len(report.errors), len(report.warnings)
    verdict = "valid" if report.ok else "INVALID"
    emit(
        f"{args.path}: {verdict}: {report.files} files, {report.cases} cases, "
        f"{errors} errors, {warnings} warnings"
    )
    return ExitStatus.PASSED if report.ok else ExitStatus.GATE_FAILED


def _cmd_manifest(args: argparse.Namespace) -> int:
    from harness.golden import contract

    if not args.path.is_dir():
        raise ConfigError(f"{args.path}: the manifest belongs to a corpus folder")
    if args.check:
        problems = contract.check_contract(args.path)
        for problem in problems:
            emit(problem)
        emit(f"{args.path}: contract {'broken' if problems else 'holds'}")
        return ExitStatus.GATE_FAILED if problems else ExitStatus.PASSED
    manifest = contract.write_manifest(args.path)
    rows = sum(f.rows for f in manifest.files)
    emit(f"wrote {args.path / contract.MANIFEST_NAME}: {len(manifest.files)} files, {rows} rows")
    return ExitStatus.PASSED


def _cmd_stats(args: argparse.Namespace) -> int:
    from harness.corpus.files import iter_cases
    from harness.golden import coverage

    registry = _registry(args)
    pinned = [registry.pin(d, "latest") for d in registry.ids]
    settings = coverage.PowerSettings(args.good, args.bad, args.alpha, args.power)
    stats = coverage.corpus_stats(list(iter_cases([args.path])), pinned, settings)
    if args.json:
        emit(json.dumps(stats.to_json(), indent=2, default=str))
    else:
        emit(coverage.render_stats(stats))
    return ExitStatus.GATE_FAILED if args.strict and stats.under_covered else ExitStatus.PASSED


def _cmd_dedupe(args: argparse.Namespace) -> int:
    from harness.corpus.files import iter_cases
    from harness.golden import dedupe

    cases = list(iter_cases([args.path]))
    found = dedupe.find_duplicates(cases, threshold=args.threshold)
    for d in found:
        kind = "exact duplicate" if d.exact else f"near duplicate ({d.similarity:.1%})"
        emit(f"{d.dropped}: {kind} of older {d.kept}")
    emit(f"{len(found)} duplicate(s) among {len(cases)} cases at threshold {args.threshold}")
    if found and args.remove:
        removed = dedupe.remove_cases(args.path, {d.dropped for d in found})
        for file, count in removed.items():
            emit(f"removed {count} from {file}")
        return ExitStatus.PASSED
    return ExitStatus.GATE_FAILED if found else ExitStatus.PASSED


def _pinned(args: argparse.Namespace) -> list[Any]:
    registry = _registry(args)
    return [registry.pin(d, "latest") for d in registry.ids]


def _cmd_sample(args: argparse.Namespace) -> int:
    from harness.corpus.files import iter_cases, write_cases
    from harness.golden import sampling

    cases = list(iter_cases([args.path]))
    chosen = sampling.sample_cases(
        cases,
        _pinned(args),
        size=args.size,
        fraction=args.fraction,
        by=args.by or (),
        seed=args.seed,
        min_per_disclosure=args.min_per_disclosure,
    )
    write_cases(args.out, chosen)
    emit(f"wrote {len(chosen)} of {len(cases)} cases to {args.out} (seed {args.seed})")
    wanted = args.size or round((args.fraction or 0) * len(cases))
    if len(chosen) > wanted:
        emit(
            f"{len(chosen) - wanted} cases above the asked size were added so each disclosure "
            f"applies to at least {args.min_per_disclosure} sampled cases"
        )
    return ExitStatus.PASSED


def _cmd_split(args: argparse.Namespace) -> int:
    from harness.corpus.files import iter_cases, write_cases
    from harness.golden import sampling

    parts: dict[str, float] = {}
    for spec in args.part:
        name, sep, value = spec.partition("=")
        try:
            parts[name] = float(value) if sep and name else float("nan")
        except ValueError:
            parts[name] = float("nan")
        if parts[name] != parts[name]:
            raise ConfigError(f"--part {spec!r}: expected NAME=FRACTION, e.g. --part pr=0.2")
    cases = list(iter_cases([args.path]))
    result = sampling.split_cases(
        cases,
        parts,
        _pinned(args),
        by=args.by or (),
        seed=args.seed,
        min_per_disclosure=args.min_per_disclosure,
    )
    for name, chosen in result.items():
        out = args.out_dir / f"{name}.parquet"
        write_cases(out, chosen)
        emit(f"wrote {len(chosen)} cases to {out}")
    return ExitStatus.PASSED


def _load_side(spec: str, scratch: Path) -> list[Any]:
    from harness.corpus.files import iter_cases
    from harness.golden import diff

    path = diff.materialise(spec, scratch) if diff.is_git_spec(spec) else Path(spec)
    return list(iter_cases([path]))


def _cmd_diff(args: argparse.Namespace) -> int:
    from harness.golden import diff

    with tempfile.TemporaryDirectory() as scratch:
        old = _load_side(args.old, Path(scratch) / "old")
        new = _load_side(args.new, Path(scratch) / "new")
    result = diff.diff_corpora(old, new)
    if args.json:
        emit(json.dumps(asdict(result), indent=2, default=str))
    else:
        emit(diff.render_diff(result))
    return ExitStatus.PASSED


def _cmd_migrate(args: argparse.Namespace) -> int:
    from harness.corpus.files import corpus_files
    from harness.corpus.migrate import migrate_corpus

    for m in migrate_corpus(corpus_files([args.path]), args.out_dir):
        action = (
            "already current"
            if m.from_version == m.to_version and not args.out_dir
            else (f"migrated from schema version {m.from_version} to {m.to_version}")
        )
        emit(f"{m.path}: {action} ({m.rows} rows)")
    return ExitStatus.PASSED


def _cmd_export(args: argparse.Namespace) -> int:
    from harness.corpus.files import iter_cases
    from harness.golden.export import export_audit_log

    lines = export_audit_log(list(iter_cases([args.path])), args.out)
    emit(f"wrote {lines} audit-log lines to {args.out}")
    return ExitStatus.PASSED


def _cmd_sql(args: argparse.Namespace) -> int:
    from harness.store.views import query

    relation = query(args.query, args.corpus, results=args.results)
    frame = relation.df()
    if args.csv:
        emit(frame.to_csv(index=False), end="")
    else:
        emit(frame.to_string(index=False))
    return ExitStatus.PASSED


def register(subparsers: Any) -> None:
    """Add the ``corpus`` command group to the ``harness`` subparsers."""
    corpus = subparsers.add_parser(
        "corpus",
        help="golden-set tooling: import, validate, stats, label, dedupe, sample, diff, sql",
        description="Build, check and query the golden corpus. See docs/corpus.md.",
    )
    group = corpus.add_subparsers(dest="corpus_command", required=True, metavar="COMMAND")

    p = add_command(
        group,
        "import",
        _cmd_import,
        "import cases from JSONL, CSV, Parquet, audit logs, "
        "promptfoo tests or Inspect/OpenAI-evals samples into a corpus file",
    )
    p.add_argument("paths", type=Path, nargs="+", metavar="PATH", help="files to import")
    p.add_argument("--out", type=Path, required=True, help="corpus file to write (.parquet)")
    p.add_argument(
        "--format",
        help=f"input format (default: detected): {', '.join(IMPORT_FORMATS)}; "
        "aliases inspect, openai-evals",
    )
    p.add_argument("--mapping", type=Path, help="column mapping file (YAML)")
    p.add_argument(
        "--map",
        action="append",
        metavar="KEY=VALUE",
        help="one mapping entry, e.g. --map case_id=ticket --map tags=product,channel",
    )
    p.add_argument("--delimiter", help="CSV delimiter (default ,)")
    p.add_argument("--encoding", help="text encoding (default utf-8, with or without BOM)")
    p.add_argument("--rejects", type=Path, help="rejects file (default: OUT.rejects.jsonl)")
    p.add_argument(
        "--disclosures",
        type=Path,
        default=None,
        help=f"registry for checking labels (default: {DISCLOSURES} when present)",
    )
    p.add_argument("--no-redact", action="store_true", help="keep personal data as it is")
    p.add_argument("--redaction", type=Path, help="redaction policy file (YAML)")

    p = add_command(
        group,
        "validate",
        _cmd_validate,
        "check schema, rows, ids, labels against the "
        "registry, and the corpus contract (MANIFEST.json)",
        registry=True,
    )
    p.add_argument("path", type=Path, help="corpus file or folder")
    p.add_argument("--no-contract", action="store_true", help="skip the manifest check")

    p = add_command(
        group,
        "manifest",
        _cmd_manifest,
        "write the corpus contract (MANIFEST.json) for the corpus as it is, or --check it",
    )
    p.add_argument("path", type=Path, help="corpus folder")
    p.add_argument("--check", action="store_true", help="only check; exit 1 on drift")

    p = add_command(
        group,
        "stats",
        _cmd_stats,
        "coverage per disclosure, tag and length, label "
        "coverage, and the power analysis of the gate",
        registry=True,
    )
    p.add_argument("path", type=Path, help="corpus file or folder")
    p.add_argument("--good", type=float, default=0.95, help="pass rate of a good agent (0.95)")
    p.add_argument("--bad", type=float, default=0.90, help="pass rate to detect (0.90)")
    p.add_argument("--power", type=float, default=0.8, help="wanted power (0.8)")
    p.add_argument("--alpha", type=float, default=0.05, help="test level (0.05)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--strict", action="store_true", help="exit 1 when a disclosure is under-covered"
    )

    labels.register(group)

    p = add_command(
        group,
        "dedupe",
        _cmd_dedupe,
        "report exact and near-duplicate cases (keeping the older), and optionally remove them",
    )
    p.add_argument("path", type=Path, help="corpus file or folder")
    p.add_argument(
        "--threshold",
        type=float,
        default=DEDUPE_THRESHOLD,
        help=f"similarity 0-1 (default {DEDUPE_THRESHOLD}; 1 = exact only)",
    )
    p.add_argument("--remove", action="store_true", help="rewrite the files without them")

    for name, handler, text in (
        ("sample", _cmd_sample, "a stratified, seeded sample (e.g. the fast PR-gate subset)"),
        ("split", _cmd_split, "stratified, seeded parts (e.g. pr=0.2 and nightly=0.8)"),
    ):
        p = add_command(group, name, handler, text, registry=True)
        p.add_argument("path", type=Path, help="corpus file or folder")
        p.add_argument(
            "--by",
            type=lambda v: tuple(x for x in v.split(",") if x),
            help="tags to stratify by, comma-separated (disclosures always count)",
        )
        p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
        p.add_argument(
            "--min-per-disclosure",
            type=int,
            default=0,
            help="at least this many applicable cases per disclosure",
        )
        if name == "sample":
            p.add_argument("--out", type=Path, required=True, help="corpus file to write")
            size = p.add_mutually_exclusive_group(required=True)
            size.add_argument("--size", type=int, help="number of cases")
            size.add_argument("--fraction", type=float, help="share of the cases (0-1)")
        else:
            p.add_argument("--out-dir", type=Path, required=True, help="folder for NAME.parquet")
            p.add_argument(
                "--part",
                action="append",
                required=True,
                metavar="NAME=FRACTION",
                help="a part, e.g. --part pr=0.2 --part nightly=0.8",
            )

    p = add_command(
        group,
        "diff",
        _cmd_diff,
        "cases added, removed and changed, and label changes, between two corpus versions",
    )
    p.add_argument("old", help="old corpus path, or REV:PATH (e.g. main:corpus/demo)")
    p.add_argument("new", help="new corpus path, or REV:PATH")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add_command(
        group,
        "migrate",
        _cmd_migrate,
        "rewrite corpus files of an older schema version in the current one",
    )
    p.add_argument("path", type=Path, help="corpus file or folder")
    p.add_argument("--out-dir", type=Path, help="write here instead of in place")

    p = add_command(
        group,
        "export",
        _cmd_export,
        "write the corpus as a production audit log (JSONL, .gz to compress)",
    )
    p.add_argument("path", type=Path, help="corpus file or folder")
    p.add_argument("--out", type=Path, required=True, help="audit log to write")

    p = add_command(
        group,
        "sql",
        _cmd_sql,
        "query the corpus and run results with DuckDB (views: "
        "cases, case_tags, turns, labels, results, case_results)",
    )
    p.add_argument("query", help='SQL, e.g. "SELECT * FROM labels LIMIT 5"')
    p.add_argument(
        "--corpus",
        type=Path,
        nargs="+",
        default=[Path("corpus")],
        help="corpus files or folders (default: corpus)",
    )
    p.add_argument(
        "--results", default="reports/*/results.parquet", help="results.parquet files (glob)"
    )
    p.add_argument("--csv", action="store_true", help="print CSV")
