"""``harness demo`` outside a checkout: where its files come from and where they go."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli.main import main
from harness.demo.project import DEMO_FILES, copy_demo_project
from harness.errors import ConfigError


def test_copy_writes_every_demo_file_with_its_layout(tmp_path: Path) -> None:
    root = copy_demo_project(tmp_path / "demo")
    assert all((root / name).exists() for name in DEMO_FILES)
    assert sorted(p.name for p in (root / "corpus" / "demo").glob("*.parquet")) == [
        "battery.parquet",
        "heat_pump.parquet",
        "solar_pv.parquet",
    ]
    # The scenarios name their corpus relative to themselves.
    assert "paths: [../corpus/demo]" in (root / "scenarios/demo-baseline.yaml").read_text()


def test_copy_refuses_a_folder_that_holds_files(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(ConfigError) as caught:
        copy_demo_project(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}: already exists and is not an empty folder; "
        "name a new folder for the demo's files, or remove this one"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--into", "new", "--scenarios", "scenarios"],
            "--scenarios replays a folder you have and --into copies the shipped demo: choose one",
        ),
        (
            ["--into", "taken"],
            "taken: already exists and is not an empty folder; "
            "name a new folder for the demo's files, or remove this one",
        ),
    ],
)
def test_demo_refuses_bad_folders_with_exit_2(
    args: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("")
    assert main(["demo", *args]) == 2
    assert capsys.readouterr().err == f"harness: error: {message}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
