"""A run folder as evidence: each output hashed in the manifest, `harness verify`, the signature."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.run.finish import RunOutcome
from harness.run.seal import file_sha256, verify_run
from tests.test_report import run_world
from tests.world import build_world

KEY = "0123456789abcdef0123456789abcdef"
OUTPUTS = [
    "annotations.txt",
    "junit.xml",
    "pr-comment.md",
    "report.html",
    "results-redacted.parquet",
    "results.parquet",
    "summary.md",
]


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    return run_world(tmp_path_factory.mktemp("sealed"))


def copy_run(outcome: RunOutcome, tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    shutil.copytree(outcome.out_dir, folder, ignore=shutil.ignore_patterns("parts", "*.lock"))
    return folder


def flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_the_manifest_lists_the_sha256_of_every_output(sealed: RunOutcome) -> None:
    manifest = json.loads(sealed.manifest_path.read_text(encoding="utf-8"))
    assert manifest["outputs"] == {name: file_sha256(sealed.out_dir / name) for name in OUTPUTS}
    assert not (sealed.out_dir / "manifest.sig").exists()


def test_verify_passes_an_untouched_run_and_names_each_changed_file(
    sealed: RunOutcome, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_run(sealed, tmp_path)
    assert main(["verify", str(folder)]) == 0
    assert capsys.readouterr().out == (
        f"verified: all 7 outputs match {folder / 'manifest.json'}; not signed\n"
    )
    for name in OUTPUTS:  # one byte of each file, one at a time
        original = (folder / name).read_bytes()
        flip_one_byte(folder / name)
        assert main(["verify", str(folder)]) == 1, name
        out = capsys.readouterr().out.splitlines()
        assert out[0].startswith(f"{folder / name}: changed (sha256 "), out
        assert out[1:] == ["FAILED: 1 of 7 outputs do not match"]
        (folder / name).write_bytes(original)
    # Every file changed at once: every one is named.
    for name in OUTPUTS:
        flip_one_byte(folder / name)
    (folder / "summary.md").unlink()
    assert main(["verify", str(folder)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(": ")[0] for line in lines[:-1]] == [str(folder / n) for n in OUTPUTS]
    assert lines[OUTPUTS.index("summary.md")].startswith(
        f"{folder / 'summary.md'}: missing (the manifest lists sha256 "
    )
    assert lines[-1] == "FAILED: 7 of 7 outputs do not match"


def pack_files() -> list[str]:
    """The files the shipped workflow uploads as the evidence pack (and attests)."""
    import yaml

    workflow = Path(__file__).resolve().parent.parent / ".github/workflows/replay-gate.yml"
    steps = yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]["replay"]["steps"]
    upload = next(s for s in steps if s.get("with", {}).get("name") == "replay-report")
    return [line.rsplit("/", 1)[-1] for line in upload["with"]["path"].split() if line]


def test_verify_pack_checks_the_redacted_files_the_workflow_uploads(
    sealed: RunOutcome, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    for name in pack_files():  # the artifact as downloaded: no results.parquet
        if (sealed.out_dir / name).is_file():
            shutil.copy2(sealed.out_dir / name, pack / name)
    assert not (pack / "results.parquet").exists() and (pack / "manifest.json").exists()
    listed = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    checked = len(listed) - 1  # all but results.parquet
    assert main(["verify", str(pack), "--pack"]) == 0
    assert capsys.readouterr().out == (
        f"{pack / 'results.parquet'}: left out of the pack (raw case text), not checked\n"
        f"verified: all {checked} outputs match {pack / 'manifest.json'}; not signed\n"
    )
    # Without --pack the raw results are missing; with it, a changed file is still caught.
    assert main(["verify", str(pack)]) == 1
    assert (
        capsys.readouterr()
        .out.splitlines()[0]
        .startswith(f"{pack / 'results.parquet'}: missing (the manifest lists sha256 ")
    )
    flip_one_byte(pack / "report.html")
    assert main(["verify", str(pack), "--pack"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{pack / 'report.html'}: changed (sha256 ")
    assert lines[1:] == [f"FAILED: 1 of {checked} outputs do not match"]
    # A results file that is there is checked, pack or not.
    folder = copy_run(sealed, tmp_path)
    flip_one_byte(folder / "results.parquet")
    assert main(["verify", str(folder), "--pack"]) == 1
    assert (
        capsys.readouterr()
        .out.splitlines()[0]
        .startswith(f"{folder / 'results.parquet'}: changed (sha256 ")
    )


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("empty", "manifest.json not found: {folder} does not hold a finished run"),
        ("garbage", "{folder}/manifest.json: not a readable manifest ("),
        (
            "no outputs",
            "{folder}/manifest.json: lists no output hashes (a run of an older harness)",
        ),
        ("escape", "{folder}/manifest.json: lists '../secret.txt', not an output a run writes"),
    ],
)
def test_verify_refuses_a_folder_without_a_readable_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str, message: str
) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    if setup == "garbage":
        (folder / "manifest.json").write_bytes(b"\xff\xfe not json")
    elif setup == "no outputs":
        (folder / "manifest.json").write_text('{"run_id": "x"}')
    elif setup == "escape":
        (folder / "manifest.json").write_text('{"outputs": {"../secret.txt": "00"}}')
    assert main(["verify", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("harness: error: ") and message.format(folder=folder) in err
    assert "Traceback" not in err


def test_a_signed_run_is_checked_with_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(tmp_path / "world")
    out = tmp_path / "out"
    monkeypatch.setenv("HARNESS_SIGNING_KEY", KEY)
    args = ["run", str(world.scenario), "--out", str(out), "--db", str(tmp_path / "h.duckdb")]
    assert main(args) == 0
    assert f"signed:  {out / 'manifest.sig'}" in capsys.readouterr().out
    assert verify_run(out, key=KEY.encode()).signature == "valid"
    assert main(["verify", str(out)]) == 0
    assert capsys.readouterr().out.endswith("; signature valid\n")
    # The key never reaches a file the run wrote.
    for path in out.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
            assert KEY[:16].encode() not in path.read_bytes(), path

    # Another key: the signature does not match.
    monkeypatch.setenv("HARNESS_SIGNING_KEY", "another key of enough length")
    assert main(["verify", str(out)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{out / 'manifest.sig'}: does not match {out / 'manifest.json'} (the manifest "
        "changed, or another key signed it)",
        "FAILED: the signature does not hold",
    ]
    # The report changed and its hash rewritten to hide it: the signature catches it.
    monkeypatch.setenv("HARNESS_SIGNING_KEY", KEY)
    flip_one_byte(out / "report.html")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["outputs"]["report.html"] = file_sha256(out / "report.html")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    assert main(["verify", str(out)]) == 1
    assert "does not match" in capsys.readouterr().out
    # Without the key, a signed run cannot be vouched for: said, exit 2.
    monkeypatch.delenv("HARNESS_SIGNING_KEY")
    assert main(["verify", str(out)]) == 2
    assert "the run is signed, but HARNESS_SIGNING_KEY is not set" in capsys.readouterr().err
    # With the key but no signature: not signed.
    monkeypatch.setenv("HARNESS_SIGNING_KEY", KEY)
    (out / "manifest.sig").unlink()
    assert main(["verify", str(out)]) == 1
    assert "not signed (HARNESS_SIGNING_KEY is set but there is no manifest.sig)" in (
        capsys.readouterr().out
    )


def test_a_short_signing_key_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(tmp_path / "world")
    monkeypatch.setenv("HARNESS_SIGNING_KEY", "hunter2")
    out = tmp_path / "out"
    assert main(["run", str(world.scenario), "--out", str(out), "--db", str(tmp_path / "h")]) == 2
    err = capsys.readouterr().err
    assert err == (
        "harness: error: HARNESS_SIGNING_KEY is 7 bytes; use at least 16 (32 random bytes, "
        "hex-encoded, is a good key)\n"
    )
    assert not out.exists()
