"""``harness verify RUN_DIR``: is a run folder still what the run wrote?

Recomputes the SHA-256 of every output its ``manifest.json`` lists and, with
``HARNESS_SIGNING_KEY`` set, checks the manifest's HMAC-SHA256 signature (``manifest.sig``,
written by ``harness run`` and ``harness merge`` when the key is set). Exit status: 0 every
file matches (and the signature, when checked), 1 a file or the signature does not match,
each named, 2 not a run folder, or signed but no key to check it with.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.cli.groups import add_command
from harness.errors import ConfigError, ExitStatus
from harness.outputs.console import emit

KEY_VARIABLE = "HARNESS_SIGNING_KEY"


def register(commands: Any) -> None:
    """Add ``verify`` to the ``harness`` command's subparsers."""
    verify = add_command(
        commands,
        "verify",
        verify_command,
        "check that a run folder's outputs are the files its manifest lists",
    )
    verify.description = (
        "Recompute the SHA-256 of every output manifest.json lists (report, results, "
        "summary, PR comment, JUnit, annotations, report.pdf) and, with "
        f"{KEY_VARIABLE} set, check the manifest's signature. Exit 0 when all match, 1 "
        "naming every file that does not, 2 when RUN_DIR holds no run."
    )
    verify.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run's output folder")
    verify.add_argument(
        "--pack",
        action="store_true",
        help="RUN_DIR is an evidence pack (the redacted files CI uploads): results.parquet, "
        "which holds raw case text, is expected to be left out",
    )


def key_from_environment(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The signing key in ``HARNESS_SIGNING_KEY`` (None when unset or empty), checked."""
    from harness.run.seal import signing_key

    text = (os.environ if environ is None else environ).get(KEY_VARIABLE, "")
    return signing_key(text) if text else None


def sign_run(out_dir: Path, key: bytes | None) -> None:
    """Sign the run in ``out_dir`` when there is a key, and say where the signature is."""
    from harness.run.seal import sign_manifest

    if key is not None:
        emit(f"signed:  {sign_manifest(out_dir, key)}")


def verify_command(args: argparse.Namespace) -> int:
    from harness.run.seal import MANIFEST, SIGNATURE, verify_run

    key = key_from_environment()
    check = verify_run(args.run_dir, key=key, pack=args.pack)
    for mismatch in check.mismatches:
        emit(f"{args.run_dir / mismatch.name}: {mismatch.words()}")
    manifest, sig = args.run_dir / MANIFEST, args.run_dir / SIGNATURE
    if check.signature == "invalid":
        emit(f"{sig}: does not match {manifest} (the manifest changed, or another key signed it)")
    elif check.signature == "unsigned":
        emit(f"{manifest}: not signed ({KEY_VARIABLE} is set but there is no {SIGNATURE})")
    if not check.ok:
        files = f"{len(check.mismatches)} of {len(check.checked)} outputs do not match"
        emit(f"FAILED: {files if check.mismatches else 'the signature does not hold'}")
        return ExitStatus.GATE_FAILED
    if check.signature == "not_checked":
        raise ConfigError(
            f"{sig}: the run is signed, but {KEY_VARIABLE} is not set; set it to the key the "
            "run was signed with to check the signature"
        )
    for name in check.left_out:
        emit(f"{args.run_dir / name}: left out of the pack (raw case text), not checked")
    signed = "; signature valid" if check.signature == "valid" else "; not signed"
    emit(f"verified: all {len(check.checked)} outputs match {manifest}{signed}")
    return ExitStatus.PASSED
