"""The package's shape: a light top level, the public API, and constants the CLI repeats."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import harness


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(done.stdout.split())


def test_importing_the_error_tree_loads_nothing_heavy() -> None:
    loaded = _loaded_after("import harness.errors")
    heavy = {"duckdb", "pandas", "pyarrow", "anthropic", "pydantic", "jinja2", "aiohttp"}
    assert loaded & heavy == set()
    assert sorted(m for m in loaded if m.startswith("harness")) == ["harness", "harness.errors"]


def test_the_cli_parser_loads_no_library() -> None:
    loaded = _loaded_after("from harness.cli.main import build_parser; build_parser()")
    assert loaded & {"duckdb", "pandas", "pyarrow", "anthropic", "pydantic"} == set()


def test_a_plan_loads_and_reads_its_first_case_without_pandas_or_duckdb(tmp_path: Path) -> None:
    """Neither is needed before the first call: pandas (which any Python value turned into
    Arrow imports) comes with the first part chunk, DuckDB when the run is recorded."""
    from tests.world import build_world

    scenario = build_world(tmp_path / "w").scenario
    loaded = _loaded_after(f"from harness.run.plan import load_plan; load_plan({str(scenario)!r})")
    assert loaded & {"pandas", "duckdb", "anthropic"} == set()
    assert "harness.run.plan" in loaded


def test_import_harness_works_without_the_optional_sdks() -> None:
    """With anthropic, aiohttp and ragas unimportable, the core still loads and replays offline."""
    code = (
        "import sys\n"
        "for name in ('anthropic', 'aiohttp', 'ragas'):\n"
        "    sys.modules[name] = None  # makes `import name` raise ImportError\n"
        "import harness\n"
        "from harness.plugins.registry import build_registries\n"
        "models = build_registries().models\n"
        "print(models.get('offline', source='s').__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "OfflineModel"


def test_the_public_api_is_exactly_this_and_every_name_resolves() -> None:
    assert harness.__all__ == [
        "Case",
        "ConfigError",
        "CorpusError",
        "CriterionResult",
        "ExitStatus",
        "GateResult",
        "GoldenLabel",
        "HarnessError",
        "ModelError",
        "ReplayPlan",
        "RunOutcome",
        "Scenario",
        "StoreError",
        "TemplateError",
        "Turn",
        "iter_cases",
        "load_plan",
        "run_scenario",
        "write_cases",
    ]
    for name in harness.__all__:
        assert getattr(harness, name).__name__ == name


def test_an_unknown_top_level_name_is_an_attribute_error() -> None:
    try:
        harness.nope  # noqa: B018
    except AttributeError as exc:
        assert str(exc) == "module 'harness' has no attribute 'nope'"
    else:
        raise AssertionError("harness.nope resolved")


def test_the_constants_the_cli_repeats_to_start_fast_match_the_library() -> None:
    from harness.cli import corpus, groups, report
    from harness.config.calls import CACHE_MODES
    from harness.golden.dedupe import DEFAULT_THRESHOLD
    from harness.golden.importers import FORMATS
    from harness.outputs.report.pdf import CHROMIUM

    assert groups.CACHE_MODES == CACHE_MODES
    assert corpus.IMPORT_FORMATS == FORMATS
    assert corpus.DEDUPE_THRESHOLD == DEFAULT_THRESHOLD
    assert report.CHROMIUM == CHROMIUM


def test_importing_every_module_has_no_side_effect() -> None:
    """Importing any harness module leaves the process as it was: a later ``sys.exit(3)``
    still exits 3, the collector is not frozen, the environment is unchanged."""
    code = (
        "import gc, importlib, os, pkgutil, sys\n"
        "import harness\n"
        "environ = dict(os.environ)\n"
        "names = sorted(m.name for m in pkgutil.walk_packages(harness.__path__, 'harness.'))\n"
        "for name in names:\n"
        "    if not name.endswith('__main__'):\n"
        "        importlib.import_module(name)\n"
        "print(len(names), gc.get_freeze_count(), dict(os.environ) == environ)\n"
        "sys.exit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    count, frozen, same_environment = done.stdout.split()
    assert (done.returncode, frozen, same_environment) == (3, "0", "True"), done.stderr
    assert int(count) > 120  # every module was imported, not a handful


def _architecture_tables() -> dict[str, set[str]]:
    """docs/architecture.md's module tables: each folder heading and the modules its rows name."""
    text = (Path(__file__).parent.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    tables: dict[str, set[str]] = {}
    folder = None
    for line in text.splitlines():
        heading = re.fullmatch(r"### `(harness/(?:[a-z_]+/)*)`", line)
        if heading:
            folder = heading.group(1)
            tables[folder] = set()
        elif line.startswith("## "):
            folder = None
        elif folder is not None and line.startswith("| `"):
            tables[folder] |= set(re.findall(r"`([a-z_]+\.py)`", line.split("|")[1]))
    return tables


def test_every_module_has_a_row_in_its_folders_table_in_docs_architecture() -> None:
    package = Path(harness.__file__).parent
    modules: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        if not path.name.startswith("__"):
            folder = f"{path.parent.relative_to(package.parent).as_posix()}/"
            modules.setdefault(folder, set()).add(path.name)
    tables = _architecture_tables()
    named = {folder: {n for n in names if n[:2] != "__"} for folder, names in tables.items()}
    assert {folder: named.get(folder, set()) for folder in modules} == modules
    assert sorted(set(tables) - set(modules)) == []  # no table for a folder that is gone


def test_the_golden_tooling_raises_harness_errors_for_user_input() -> None:
    """A bad label row or corpus file is a CorpusError (a ValueError too), so the edges turn
    it into exit 2; a bare built-in raised there would look like a bug, and catching the
    built-in to make it exit 2 would hide the real bugs. Pydantic validators are the one
    place a bare ValueError belongs (pydantic turns it into its own error)."""
    import ast

    root = Path(harness.__file__).parent
    files = [*sorted((root / "golden").rglob("*.py")), root / "corpus" / "migrate.py"]
    bare = {"ValueError", "TypeError", "KeyError", "RuntimeError", "Exception"}
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Raise):
                continue
            called = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(called, ast.Name) and called.id in bare:
                found.append(f"{path.relative_to(root)}:{node.lineno} raises {called.id}")
    assert found == []
