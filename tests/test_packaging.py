"""The package as a user gets it: `python -m build` gives an sdist and a wheel, the wheel
installs into a fresh virtual environment and `harness demo` runs from it, outside any
checkout of this repository.

The fresh environment installs no dependency from the network: it sees the distributions of
the environment running the tests (everything but this project) through a ``.pth`` line, and
pip resolves the wheel's requirements against them with ``--no-index``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from harness.demo.project import DEMO_FILES, DOC_FILES

ROOT = Path(__file__).resolve().parent.parent
# What a checkout holds beside its source: environments, caches, outputs, earlier builds.
_NOT_SOURCE = (
    *(".git", ".venv", "node_modules", "__pycache__", "*.egg-info", "build", "dist"),
    *("reports", ".harness-cache", ".mypy_cache", ".ruff_cache", ".pytest_cache"),
    # coverage's data files come and go while the suite runs: copying one that another
    # process has just combined and deleted failed the copy (seen in `make test`)
    *(".coverage", ".coverage.*", "htmlcov"),
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel ``python -m build`` makes (the wheel built from the sdist),
    from a copy of the source: a build writes ``*.egg-info`` and ``build/`` into the tree it
    builds, and two xdist workers building this checkout at once would race on them."""
    out = tmp_path_factory.mktemp("dist")
    source = tmp_path_factory.mktemp("source") / "replay-harness"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*_NOT_SOURCE))
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def _shipped(names: list[str], prefix: str) -> set[str]:
    """Which of :data:`DEMO_FILES` are present under ``prefix`` in an archive's ``names``."""
    return {
        entry
        for entry in DEMO_FILES
        if any(n == prefix + entry or n.startswith(f"{prefix}{entry}/") for n in names)
    }


def test_the_wheel_carries_the_demo_templates_and_entry_points(dist: Path) -> None:
    wheel = _one(dist, "replay_harness-*-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = archive.read(info).decode()
        metadata = archive.read(info.replace("entry_points.txt", "METADATA")).decode()
    assert _shipped(names, "harness/demo/shipped/") == set(DEMO_FILES)
    assert "harness/demo/shipped/corpus/demo/heat_pump.parquet" in names
    assert "harness/outputs/report/templates/report.html.j2" in names
    assert "harness/data/prices.yaml" in names
    assert "harness/cli/init_files/corpus/examples/cases.jsonl" in names
    assert "harness/cli/init_files/github/workflows/replay-gate.yml" in names
    assert {f"harness/demo/shipped/{d}" for d in DOC_FILES} <= set(names)
    assert "harness = harness.cli.main:entry" in entry_points
    assert "harness = harness.pytest.options" in entry_points
    for extra in ("anthropic", "openai", "ragas", "pytest"):
        assert f"Provides-Extra: {extra}" in metadata
    # No test, no benchmark, no repository file ships in the wheel.
    assert not [n for n in names if n.split("/")[0] not in {"harness"} and ".dist-info" not in n]


def test_the_sdist_holds_what_the_wheel_is_built_from(dist: Path) -> None:
    sdist = _one(dist, "replay_harness-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = [n.split("/", 1)[1] for n in archive.getnames() if "/" in n]
    assert {"pyproject.toml", "setup.py", "MANIFEST.in", "constraints.txt"} <= set(names)
    assert _shipped(names, "") == set(DEMO_FILES)
    assert set(DOC_FILES) <= set(names)


def _fresh_venv(where: Path) -> Path:
    """A new virtual environment that sees this one's distributions except this project."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    here = Path(sysconfig.get_paths()["purelib"])
    deps = where / "deps"
    deps.mkdir()
    for entry in here.iterdir():
        name = entry.name.lower()
        if name.startswith(("replay_harness", "__editable__", "harness")):
            continue
        (deps / entry.name).symlink_to(entry)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "dependencies.pth").write_text(f"{deps}\n", encoding="utf-8")
    return python


def test_the_wheel_installs_into_a_fresh_venv_and_runs_the_demo(dist: Path, tmp_path: Path) -> None:
    wheel = _one(dist, "replay_harness-*-py3-none-any.whl")
    python = _fresh_venv(tmp_path / "venv")
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    install = subprocess.run(
        [*pip, "install", "--no-index", "--quiet", f"{wheel}[anthropic,pytest]"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    where = subprocess.run(
        [str(python), "-c", "import harness.demo.project as p; print(p.demo_source())"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(tmp_path / "venv")), where  # the wheel's copy, not the checkout
    assert where.endswith("harness/demo/shipped"), where

    # An empty folder, as a new user has: no scenarios/, no corpus/ of this repository.
    user = tmp_path / "user"
    user.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_", "COVERAGE"))}
    env["TMPDIR"] = str(tmp_path)
    demo = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "harness"), "demo"],
        capture_output=True,
        text=True,
        cwd=user,
        env=env,
        timeout=900,
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert demo.stdout.splitlines()[0].startswith(f"demo files copied to {tmp_path}/harness-demo-")
    assert "Demo worked as designed" in demo.stdout
    copied = next(tmp_path.glob("harness-demo-*"))
    runs = sorted(p.parent.name.split("-2")[0] for p in copied.glob("reports/*/report.html"))
    assert runs == ["demo-baseline", "demo-candidate"]
    assert (copied / "reports" / "harness.duckdb").is_file()
    assert list(user.iterdir()) == []  # nothing written where the user stood

    # harness init there, then harness run: the gate passes; --help names installed docs.
    harness = str(tmp_path / "venv" / "bin" / "harness")
    init = subprocess.run([harness, "init"], capture_output=True, text=True, cwd=user, env=env)
    assert init.returncode == 0, init.stdout + init.stderr
    run = subprocess.run(
        [harness, "run", "scenarios/candidate.yaml"],
        capture_output=True,
        text=True,
        cwd=user,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PASSED: all 1 criteria met their thresholds." in run.stdout
    # ... and the same gate through the installed pytest plugin (the README's third step).
    options = ["-p", "no:cacheprovider", "-q", "--harness-out", "reports/pytest"]
    plugin = subprocess.run(
        [str(python), "-m", "pytest", "--harness-scenario", "scenarios/candidate.yaml", *options],
        capture_output=True,
        text=True,
        cwd=user,
        env=env,
        timeout=300,
    )
    assert plugin.returncode == 0, plugin.stdout[-3000:] + plugin.stderr[-3000:]
    assert "PASSED: all 1 criteria met their thresholds." in plugin.stdout
    assert (user / "reports" / "pytest" / "report.html").is_file()
    helped = subprocess.run([harness, "init", "--help"], capture_output=True, text=True, env=env)
    docs = Path(where) / "docs"
    assert str(docs) in "".join(helped.stdout.split())  # argparse wraps long paths
    assert all((docs / Path(d).name).is_file() for d in DOC_FILES)


def test_the_readme_gives_every_step_the_fresh_venv_test_takes() -> None:
    """A new user follows the README alone: its install section names each step the test
    above takes from an empty folder, with the extras it installs."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Installing it in your own repository", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("  #")[0].strip() for line in block.splitlines()]
    for step in (
        "pip install build && python -m build",
        "pip install 'dist/replay_harness-0.1.0-py3-none-any.whl[anthropic,pytest]'",
        "harness demo",
        "harness init my-gate/",
        "cd my-gate && harness run scenarios/candidate.yaml",
        "pytest --harness-scenario scenarios/candidate.yaml",
    ):
        assert step in commands, (step, commands)
    version = _declared_version()
    assert f"replay_harness-{version}-py3-none-any.whl" in block


def _declared_version() -> str:
    """The version pyproject.toml declares (what the README's wheel name must carry)."""
    import tomllib

    with (ROOT / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])
