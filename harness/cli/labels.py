"""``harness corpus label``: change golden labels (who, when, why), CSV round trip, history.

A thin client over :mod:`harness.golden.labels`, registered by :mod:`harness.cli.corpus`
under the ``corpus`` group.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from harness.cli.groups import add_command
from harness.errors import ExitStatus
from harness.outputs.console import emit


def register(group: Any) -> None:
    """Add ``label`` and its commands to the ``corpus`` group's subparsers."""
    label = group.add_parser(
        "label",
        help="change golden labels (who, when, why), CSV round-trip, history",
        description="Golden labels.",
    )
    sub = label.add_subparsers(dest="label_command", required=True, metavar="COMMAND")
    p = add_command(
        sub, "set", _cmd_label_set, "set one case's label for one disclosure", registry=True
    )
    p.add_argument("path", type=Path, help="corpus folder (or file)")
    p.add_argument("--case", required=True, help="case id")
    p.add_argument("--disclosure", required=True, help="disclosure id")
    p.add_argument("--applicable", type=_flag, required=True, help="yes or no")
    p.add_argument("--presented", type=_flag, required=True, help="yes or no")
    p.add_argument("--note", help="what the reviewer saw")
    p.add_argument("--by", required=True, help="who labels")
    p.add_argument("--why", required=True, help="why the label changes")
    p = add_command(
        sub, "export", _cmd_label_export, "write labels as CSV for a spreadsheet", registry=True
    )
    p.add_argument("path", type=Path, help="corpus folder (or file)")
    p.add_argument("--out", type=Path, required=True, help="CSV to write")
    p.add_argument("--labelled-only", action="store_true", help="only cases with labels")
    p = add_command(
        sub, "import", _cmd_label_import, "apply the changed rows of a label CSV", registry=True
    )
    p.add_argument("path", type=Path, help="corpus folder (or file)")
    p.add_argument(
        "csv", type=Path, help="label CSV (as label export or a report's review writes it)"
    )
    p.add_argument(
        "--by", help="who labels (needed unless every row names its reviewer, as a review does)"
    )
    p.add_argument("--why", required=True, help="why the labels change")
    p = add_command(sub, "history", _cmd_label_history, "show the append-only label history")
    p.add_argument("path", type=Path, help="corpus folder (or file)")
    p.add_argument("--case", help="only this case")
    p.add_argument("--json", action="store_true", help="print JSON")


def _flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("yes", "y", "true", "1"):
        return True
    if lowered in ("no", "n", "false", "0"):
        return False
    raise argparse.ArgumentTypeError(f"{value!r}: use yes or no")


def _cmd_label_set(args: argparse.Namespace) -> int:
    from harness.config.disclosures import load_registry
    from harness.golden import contract, labels

    edit = labels.LabelEdit(args.case, args.disclosure, args.applicable, args.presented, args.note)
    changes = labels.apply_label_edits(
        args.path, [edit], by=args.by, why=args.why, registry=load_registry(args.disclosures)
    )
    if not changes:
        emit(f"{args.case} {args.disclosure}: already labelled so; nothing changed")
    for change in changes:
        emit(change.describe())
        emit(
            f"recorded in {labels.history_path(args.path)}; update the manifest: "
            f"{contract.update_command(labels.corpus_folder(args.path))}"
        )
    return ExitStatus.PASSED


def _cmd_label_export(args: argparse.Namespace) -> int:
    from harness.config.disclosures import load_registry
    from harness.golden import labels

    rows = labels.export_labels_csv(
        args.path, args.out, load_registry(args.disclosures), labelled_only=args.labelled_only
    )
    emit(f"wrote {rows} rows to {args.out}")
    return ExitStatus.PASSED


def _cmd_label_import(args: argparse.Namespace) -> int:
    from harness.config.disclosures import load_registry
    from harness.golden import labels

    result = labels.import_labels_csv(
        args.path, args.csv, by=args.by, why=args.why, registry=load_registry(args.disclosures)
    )
    for reject in result.rejects:
        emit(f"rejected: {reject.where}: {reject.reason}", sys.stderr)
    emit(f"applied {len(result.changes)} label change(s); rejected {len(result.rejects)} row(s)")
    return ExitStatus.GATE_FAILED if result.rejects else ExitStatus.PASSED


def _cmd_label_history(args: argparse.Namespace) -> int:
    from harness.golden import labels

    changes = [c for c in labels.read_history(args.path) if args.case in (None, c.case_id)]
    if args.json:
        emit(labels.history_json(changes))
        return ExitStatus.PASSED
    for c in changes:
        source = f"; from: {c.source}" if c.source else ""
        emit(f"{c.at:%Y-%m-%d %H:%M} {c.by}: {c.describe()}; why: {c.why}{source}")
    emit(f"{len(changes)} change(s)")
    return ExitStatus.PASSED
