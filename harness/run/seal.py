"""Sealing a run folder: the SHA-256 of every output in its manifest, an optional signature.

A run's outputs are evidence only while they are the files the run wrote. :func:`seal_outputs`
records each output's SHA-256 under the manifest's ``outputs``; :func:`sign_manifest` writes
``manifest.sig``, the HMAC-SHA256 of ``manifest.json`` under a key the team keeps (the CLI
reads it from ``HARNESS_SIGNING_KEY``), so the hashes themselves cannot be rewritten unseen.
:func:`verify_run` recomputes all of it and names every file that no longer matches.

>>> check = verify_run(Path("reports/demo-candidate-20261123T201640Z-dca5e7"))  # doctest: +SKIP
>>> check.ok  # doctest: +SKIP
True
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from harness.errors import ConfigError

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
#: The files a finished run writes next to its manifest, in the order ``verify`` names them.
OUTPUT_FILES = (
    "report.html",
    "report.pdf",
    "results.parquet",
    "results-redacted.parquet",
    "summary.md",
    "pr-comment.md",
    "junit.xml",
    "annotations.txt",
)
#: Outputs that hold raw case text: never in the evidence pack CI uploads (docs/evidence.md),
#: so ``verify --pack`` expects them to be absent.
RAW_OUTPUTS = ("results.parquet",)
#: A signing key shorter than this is refused: an HMAC is only as strong as its key.
MIN_KEY_BYTES = 16

SignatureState = Literal["valid", "invalid", "unsigned", "not_checked", "not_signed"]


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes, read in blocks (a results file can be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def output_hashes(out_dir: Path, names: Iterable[str] = OUTPUT_FILES) -> dict[str, str]:
    """The SHA-256 of each of ``names`` that exists in ``out_dir``, by file name."""
    return {name: file_sha256(out_dir / name) for name in names if (out_dir / name).is_file()}


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The manifest as written to ``manifest.json``: sorted keys, two-space indent."""
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")


def signing_key(text: str) -> bytes:
    """A signing key from its text (``HARNESS_SIGNING_KEY``), refused when too short.

    The message never holds the key, not even in part.

    >>> len(signing_key("0123456789abcdef"))
    16
    """
    key = text.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(
            f"HARNESS_SIGNING_KEY is {len(key)} bytes; use at least {MIN_KEY_BYTES} "
            "(32 random bytes, hex-encoded, is a good key)"
        )
    return key


def signature(data: bytes, key: bytes) -> str:
    """The hex HMAC-SHA256 of ``data`` under ``key``."""
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def seal_outputs(out_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest`` to ``out_dir/manifest.json`` with the hashes of the outputs there.

    A ``manifest.sig`` left from an earlier run of the folder is removed: the caller signs
    the new manifest (:func:`sign_manifest`) when it has the key.
    """
    manifest["outputs"] = output_hashes(out_dir)
    path = out_dir / MANIFEST
    path.write_bytes(manifest_bytes(manifest))
    (out_dir / SIGNATURE).unlink(missing_ok=True)
    return path


def load_manifest(out_dir: Path) -> dict[str, Any]:
    """A run folder's manifest; a clear error when the folder holds none or it is unreadable."""
    path = out_dir / MANIFEST
    if not out_dir.is_dir():
        raise ConfigError(f"{out_dir}: not a folder; pass the folder a run wrote (--out)")
    if not path.is_file():
        raise ConfigError(f"{path} not found: {out_dir} does not hold a finished run")
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable manifest ({exc})") from None
    if not isinstance(manifest, dict):
        raise ConfigError(f"{path}: not a readable manifest (a JSON object is expected)")
    return manifest


def sign_manifest(out_dir: Path, key: bytes) -> Path:
    """Sign the manifest already in ``out_dir``: write ``manifest.sig`` and return its path."""
    load_manifest(out_dir)  # a clear error for a folder without one
    sig = out_dir / SIGNATURE
    sig.write_text(signature((out_dir / MANIFEST).read_bytes(), key) + "\n", encoding="ascii")
    return sig


def add_output(out_dir: Path, name: str, *, key: bytes | None = None) -> None:
    """Record an output written after the run (``report.pdf``) in its manifest, re-signing it.

    A signed manifest is only changed with the key: without it, :class:`ConfigError`.
    """
    manifest = load_manifest(out_dir)
    if (out_dir / SIGNATURE).exists() and key is None:
        raise ConfigError(
            f"{out_dir / MANIFEST} is signed: set HARNESS_SIGNING_KEY to the key it was signed "
            f"with to add {name} to it"
        )
    outputs = dict(manifest.get("outputs") or {})
    outputs[name] = file_sha256(out_dir / name)
    manifest["outputs"] = dict(sorted(outputs.items()))
    data = manifest_bytes(manifest)
    (out_dir / MANIFEST).write_bytes(data)
    if key is not None:
        (out_dir / SIGNATURE).write_text(signature(data, key) + "\n", encoding="ascii")


@dataclass(frozen=True)
class FileCheck:
    """One output that no longer matches its manifest: changed, or gone."""

    name: str
    expected: str
    found: str | None  # None: the file is missing

    def words(self) -> str:
        """What is wrong, in words: ``changed (sha256 …, the manifest says …)`` or ``missing``."""
        if self.found is None:
            return f"missing (the manifest lists sha256 {self.expected})"
        return f"changed (sha256 {self.found}, the manifest says {self.expected})"


@dataclass(frozen=True)
class Verification:
    """What :func:`verify_run` found: the outputs checked, those that differ, the signature."""

    checked: tuple[str, ...]
    mismatches: tuple[FileCheck, ...]
    signature: SignatureState
    #: Raw outputs the manifest lists that an evidence pack leaves out (``pack=True`` only).
    left_out: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Every output matches, and the signature too when it could be checked."""
        return not self.mismatches and self.signature not in ("invalid", "unsigned")


def verify_run(out_dir: Path, *, key: bytes | None = None, pack: bool = False) -> Verification:
    """Recompute every output hash the manifest in ``out_dir`` lists, and its signature.

    ``pack``: ``out_dir`` is an evidence pack (the redacted files CI uploads), so a raw
    output (:data:`RAW_OUTPUTS`) that is absent is left out, not missing; one that is there
    is checked like any other.

    ``signature`` is ``valid`` or ``invalid`` (checked with ``key``), ``unsigned`` (a key
    was given but the folder has no ``manifest.sig``), ``not_checked`` (signed, no key
    given) or ``not_signed`` (neither).
    """
    manifest = load_manifest(out_dir)
    outputs = manifest.get("outputs")
    if not isinstance(outputs, dict) or not outputs:
        raise ConfigError(
            f"{out_dir / MANIFEST}: lists no output hashes (a run of an older harness); "
            "re-run the scenario to get a verifiable folder"
        )
    mismatches = []
    left_out = []
    unknown = sorted(set(outputs) - set(OUTPUT_FILES))
    if unknown:  # never followed: a manifest could name ../elsewhere
        raise ConfigError(
            f"{out_dir / MANIFEST}: lists {', '.join(map(repr, unknown))}, not an output a run "
            f"writes ({', '.join(OUTPUT_FILES)})"
        )
    for name, expected in sorted(outputs.items()):
        path = out_dir / name
        found = file_sha256(path) if path.is_file() else None
        if found is None and pack and name in RAW_OUTPUTS:
            left_out.append(name)
        elif found != expected:
            mismatches.append(FileCheck(name, str(expected), found))
    sig = out_dir / SIGNATURE
    state: SignatureState
    if key is None:
        state = "not_checked" if sig.exists() else "not_signed"
    elif not sig.exists():
        state = "unsigned"
    else:
        expected_sig = signature((out_dir / MANIFEST).read_bytes(), key)
        given = sig.read_text(encoding="ascii", errors="replace").strip()
        state = "valid" if hmac.compare_digest(expected_sig, given) else "invalid"
    checked = tuple(sorted(set(outputs) - set(left_out)))
    return Verification(checked, tuple(mismatches), state, tuple(left_out))
