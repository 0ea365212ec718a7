"""Bad input exits 2 with one message naming what is wrong, where, and the fix; never a traceback.

Each row builds one bad input in a real replay world on disk (YAML files, Parquet corpus,
DuckDB database, cache folder) and runs the ``harness`` command's own entry point, which
is what the console script calls. The row names the words the message must hold: the
file (and row or field) and what to do. A traceback would escape ``main`` and fail the
test; stderr must hold the one ``harness: error:`` line and nothing like a traceback. The
cases that need other processes (worker processes) run ``harness`` as a subprocess.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.cli.main import main
from harness.corpus.files import write_cases
from tests.world import World, default_cases, make_case


@dataclass(frozen=True)
class Bad:
    """One bad input: ``make`` writes it into the world and returns the command's arguments
    after ``harness``; the message must hold every string in ``says``."""

    make: Callable[[World], list[str]]
    says: tuple[str, ...]


def _run(*extra: str) -> Callable[[World], list[str]]:
    return lambda w: ["run", str(w.scenario), "--db", "h.db", *extra]


def _scenario(**changes: Any) -> Callable[[World], list[str]]:
    def make(w: World) -> list[str]:
        w.write_scenario(**changes)
        return _run()(w)

    return make


def _scenario_text(edit: Callable[[str], str]) -> Callable[[World], list[str]]:
    def make(w: World) -> list[str]:
        w.scenario.write_text(edit(w.scenario.read_text(encoding="utf-8")), encoding="utf-8")
        return _run()(w)

    return make


def _file_bytes(relative: str, data: bytes, *, append: bool = True) -> Callable[[World], list[str]]:
    def make(w: World) -> list[str]:
        path = w.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((path.read_bytes() if append and path.exists() else b"") + data)
        return _run()(w)

    return make


def _corpus(*cases: Any) -> Callable[[World], list[str]]:
    def make(w: World) -> list[str]:
        write_cases(w.corpus_file, list(cases))
        return _run()(w)

    return make


def _facts(**facts: Any) -> Callable[[World], list[str]]:
    case = make_case("case-bad-facts", ["hello", "ok"])
    return _corpus(case.model_copy(update={"facts": {"broker": "B", **facts}}))


def _corpus_table(edit: Callable[[pa.Table], pa.Table]) -> Callable[[World], list[str]]:
    def make(w: World) -> list[str]:
        pq.write_table(edit(pq.read_table(w.corpus_file)), w.corpus_file)
        return _run()(w)

    return make


def _set_column(name: str, values: list[Any], kind: pa.DataType) -> Callable[[pa.Table], pa.Table]:
    def edit(table: pa.Table) -> pa.Table:
        at = table.schema.get_field_index(name)
        return table.set_column(at, pa.field(name, kind), pa.array(values, kind))

    return edit


def _not_utf8_turn(w: World) -> list[str]:
    cases = default_cases()
    cases[2] = make_case("case-003", ["Hello MARKERcafe!", "ok"])
    write_cases(w.corpus_file, cases)
    table = pq.read_table(w.corpus_file)
    pq.write_table(table, w.corpus_file, compression="none", use_dictionary=False,
                   write_statistics=False)  # fmt: skip
    raw = w.corpus_file.read_bytes()
    w.corpus_file.write_bytes(raw.replace(b"MARKERcafe", b"MARKERcaf\xe9"))
    return _run()(w)


def _truncated_db(w: World) -> list[str]:
    assert main(["run", str(w.scenario), "--db", "h.db", "--out", "first"]) == 0
    data = (w.root / "h.db").read_bytes()
    (w.root / "h.db").write_bytes(data[: len(data) // 3])
    return _run("--out", "second")(w)


def _read_only() -> Path:
    """A folder no process can write in: chmod for a user, a read-only mount for root."""
    return Path("/sys/harness-read-only") if os.geteuid() == 0 else Path("read-only")


def _read_only_out(flag: str) -> Callable[[World], list[str]]:
    def make(w: World) -> list[str]:
        _paid(w)
        folder = _read_only()
        if not folder.is_absolute():
            (w.root / folder).mkdir()
            (w.root / folder).chmod(0o555)
        return _run(flag, str(folder))(w)

    return make


def _paid(w: World) -> None:
    """A scenario whose model is paid for, so its answers are cached (no call is made: the
    test's key points at a port where nothing listens)."""
    w.write_scenario(
        model={"provider": "anthropic", "id": "claude-sonnet-4-6"},
        cache={"mode": "read-write", "dir": "cache"},
    )


def _a_file_as(flag: str) -> Callable[[World], list[str]]:
    def make(w: World) -> list[str]:
        _paid(w)
        (w.root / "a-file").write_text("x", encoding="utf-8")
        return _run(flag, "a-file")(w)

    return make


def _cache_tail(content: bytes) -> Callable[[World], list[str]]:
    def make(w: World) -> list[str]:
        _paid(w)
        (w.root / "cache").mkdir()
        (w.root / "cache" / "main-1.tail.jsonl").write_bytes(content)
        return _run()(w)

    return make


_ROW = (
    '{"key":"k1","text":"hi","model":"m","stop_reason":"end_turn","input_tokens":1,'
    '"output_tokens":1,"cache_read_tokens":0,"cache_write_tokens":0,"request_id":null}\n'
)


def _no_corpus_file(w: World) -> list[str]:
    w.corpus_file.unlink()
    return _run()(w)


def _db_a_folder(w: World) -> list[str]:
    (w.root / "dbdir").mkdir()
    return ["run", str(w.scenario), "--db", "dbdir"]


def _cache_segment(content: bytes) -> Callable[[World], list[str]]:
    def make(w: World) -> list[str]:
        _paid(w)
        (w.root / "cache").mkdir()
        (w.root / "cache" / "x.parquet").write_bytes(content)
        return _run()(w)

    return make


def _folder_holding_a_run(w: World) -> list[str]:
    assert main(["run", str(w.scenario), "--db", "h.db", "--out", "used"]) == 0
    return _run("--out", "used")(w)


def _results_as_baseline(content: bytes) -> Callable[[World], list[str]]:
    def make(w: World) -> list[str]:
        (w.root / "base.parquet").write_bytes(content)
        w.write_scenario(baseline={"results": "../base.parquet"})
        return _run()(w)

    return make


DISCLOSURE = "scenarios/disclosures/apr.yaml"
PROMPT = "scenarios/prompts/agent/v1.j2"
MINI = "mini.yaml"

BAD: dict[str, Bad] = {
    # -- files that are not UTF-8 ---------------------------------------------------------
    "scenario-not-utf8": Bad(
        _file_bytes("scenarios/mini.yaml", b"\n# caf\xe9\n"),
        (MINI, "line", "not UTF-8", "save the file as UTF-8"),
    ),
    "prompt-not-utf8": Bad(
        _file_bytes(PROMPT, b"\xff caf\xe9", append=False), ("v1.j2 line 1", "not UTF-8", "UTF-8")
    ),
    "disclosure-not-utf8": Bad(
        _file_bytes(DISCLOSURE, b"\n# \xff\n"), ("apr.yaml line", "not UTF-8")
    ),
    "corpus-turn-not-utf8": Bad(
        _not_utf8_turn, ("cases.parquet row 2", "column 'turns'", "not UTF-8", "convert")
    ),
    # -- YAML ---------------------------------------------------------------------------------
    "unquoted-off": Bad(
        _scenario_text(lambda t: t + "cache:\n  mode: off\n"),
        (MINI, "field 'cache.mode'", "unquoted off", "quotes", "'off'"),
    ),
    "unquoted-yes-as-id": Bad(
        _scenario_text(lambda t: t.replace("id: production", "id: yes")),
        (MINI, "field 'model.id'", "unquoted on, yes or true", "quotes"),
    ),
    "yaml-syntax": Bad(
        _scenario_text(lambda t: t + "seed: [1, 2\n"), (MINI, "line", "not valid YAML")
    ),
    "yaml-a-list": Bad(_scenario_text(lambda t: "- a\n- b\n"), (MINI, "expected a mapping")),
    "yaml-empty": Bad(_scenario_text(lambda t: ""), (MINI, "expected a mapping")),
    "disclosure-yaml-syntax": Bad(
        _file_bytes(DISCLOSURE, b"\nversions: [\n"), ("apr.yaml", "not valid YAML")
    ),
    "scenario-missing": Bad(lambda w: ["run", "nope.yaml"], ("nope.yaml", "no such file")),
    "scenario-a-folder": Bad(lambda w: ["run", str(w.root / "scenarios")], ("scenarios", "folder")),
    # -- scenario fields ------------------------------------------------------------------
    "unknown-key": Bad(_scenario(modle={}), (MINI, "unknown key 'modle'", "did you mean 'model'")),
    "unknown-provider": Bad(
        _scenario(model={"provider": "ofline", "id": "x"}),
        ("field 'model.provider'", "unknown provider 'ofline'", "did you mean 'offline'"),
    ),
    "bad-model-options": Bad(
        _scenario(model={"provider": "recorded", "id": "x", "options": {"temperature": 1}}),
        ("model.options", "unknown key 'temperature'"),
    ),
    "unknown-disclosure": Bad(
        _scenario(disclosures={"versions": {"comission": 1}}),
        ("field 'disclosures.versions'", "unknown disclosure 'comission'"),
    ),
    "unknown-version": Bad(
        _scenario(disclosures={"versions": {"apr": 7}}),
        ("disclosure 'apr' has no version 7", "1, 2"),
    ),
    "threshold-above-1": Bad(
        _scenario(thresholds={"default": 1.5}),
        ("field 'thresholds.default'", "less than or equal to 1"),
    ),
    "threshold-text": Bad(
        _scenario(thresholds={"default": "high"}), ("field 'thresholds.default'", "'high'")
    ),
    "unknown-criterion-threshold": Bad(
        _scenario(thresholds={"default": 0.5, "criteria": {"comission": 0.9}}),
        ("field 'thresholds.criteria'", "unknown criterion 'comission'"),
    ),
    "concurrency-zero": Bad(_scenario(concurrency=0), (MINI, "field 'concurrency'")),
    "repeats-zero": Bad(_scenario(repeats=0), (MINI, "field 'repeats'")),
    "seed-text": Bad(_scenario(seed="seven"), (MINI, "field 'seed'", "'seven'")),
    "unknown-scorer": Bad(
        _scenario(scorers=["disclosure_rulez"]), (MINI, "disclosure_rulez", "did you mean")
    ),
    "missing-corpus": Bad(
        _scenario(corpus={"paths": ["../missing"]}), (MINI, "field 'corpus.paths'")
    ),
    "unknown-cache-mode": Bad(
        _scenario(cache={"mode": "sometimes"}), (MINI, "field 'cache.mode'", "'sometimes'")
    ),
    "missing-prompt-version": Bad(_scenario(prompt={"name": "agent", "version": 9}), ("v9.j2",)),
    "missing-model": Bad(
        _scenario_text(lambda t: t.replace("model:\n  provider: recorded\n  id: production\n", "")),
        (MINI, "field 'model' is required"),
    ),
    # -- prompt templates -------------------------------------------------------------------
    "template-syntax": Bad(
        _file_bytes(PROMPT, b"{% for d in %}", append=False),
        ("v1.j2 line 1", "template syntax error"),
    ),
    "template-variable-missing": Bad(
        _file_bytes(PROMPT, b"Hello {{ customer_name }}", append=False),
        ("v1.j2", "'customer_name' is undefined", "case case-001"),
    ),
    # -- the corpus -------------------------------------------------------------------------
    "fact-nan": Bad(
        _facts(apr=math.nan),
        ("cases.parquet row 0", "column 'facts'", "fact 'apr' is nan", "finite"),
    ),
    "fact-inf": Bad(_facts(apr=math.inf), ("row 0", "fact 'apr' is inf", "fix the value")),
    "fact-minus-inf": Bad(_facts(term=-math.inf), ("row 0", "fact 'term' is -inf")),
    "facts-not-json": Bad(
        _corpus_table(_set_column("facts", ["{apr: 1"] * 5, pa.string())),
        ("row 0", "column 'facts'", "not a JSON object"),
    ),
    "facts-a-list": Bad(
        _corpus_table(_set_column("facts", ["[1, 2]"] * 5, pa.string())),
        ("row 0", "column 'facts'", "JSON object"),
    ),
    "case-id-null": Bad(
        _corpus_table(_set_column("case_id", [None, "b", "c", "d", "e"], pa.string())),
        ("row 0", "case_id"),
    ),
    "duplicate-case-id": Bad(
        _corpus(make_case("same", ["a", "b"]), make_case("same", ["c", "d"])),
        ("cases.parquet", "same"),
    ),
    "no-customer-turn": Bad(
        _corpus_table(
            lambda t: t.set_column(
                t.schema.get_field_index("turns"),
                t.schema.field("turns"),
                pa.array(
                    [[{"role": "agent", "text": "hi", "event": None}]] * 5,
                    t.schema.field("turns").type,
                ),
            )
        ),
        ("row 0", "customer turn"),
    ),
    "unknown-turn-role": Bad(
        _corpus_table(
            lambda t: t.set_column(
                t.schema.get_field_index("turns"),
                t.schema.field("turns"),
                pa.array(
                    [
                        [
                            {"role": "customer", "text": "hi", "event": None},
                            {"role": "robot", "text": "x", "event": None},
                        ]
                    ]
                    * 5,
                    t.schema.field("turns").type,
                ),
            )
        ),
        ("row 0", "column 'turns'"),
    ),
    "missing-turns-column": Bad(
        _corpus_table(lambda t: t.drop_columns(["turns"])), ("cases.parquet", "turns")
    ),
    "corpus-not-parquet": Bad(
        _file_bytes("corpus/cases.parquet", b"not parquet at all", append=False), ("cases.parquet",)
    ),
    "corpus-truncated": Bad(
        lambda w: (w.corpus_file.write_bytes(w.corpus_file.read_bytes()[:200]), _run()(w))[1],
        ("cases.parquet",),
    ),
    "corpus-empty-folder": Bad(_no_corpus_file, (MINI, "corpus")),
    # -- command-line options -------------------------------------------------------------
    "concurrency-option-zero": Bad(
        _run("--concurrency", "0"), ("--concurrency must be at least 1",)
    ),
    "processes-option-text": Bad(_run("--processes", "many"), ("--processes", "'many'")),
    "processes-option-zero": Bad(_run("--processes", "0"), ("--processes", "at least 1")),
    "shard-option-bad": Bad(_run("--shard", "3/2"), ("shard", "3/2")),
    "overwrite-and-resume": Bad(
        _run("--overwrite", "--resume", "x"), ("--overwrite", "--resume", "choose one")
    ),
    "resume-unknown-run": Bad(_run("--resume", "no-such-run"), ("no-such-run",)),
    "model-option-no-colon": Bad(_run("--model", "claude"), ("--model", "claude")),
    "model-option-unknown-provider": Bad(
        _run("--model", "ofline:x"), ("unknown provider 'ofline'",)
    ),
    # -- output, database and cache folders -----------------------------------------------
    "out-is-a-file": Bad(
        _a_file_as("--out"), ("--out a-file", "is a file, not a folder", "pass a folder")
    ),
    "out-read-only": Bad(
        _read_only_out("--out"), ("--out", "cannot write there", "pass a folder you can write to")
    ),
    "out-holds-a-run": Bad(_folder_holding_a_run, ("used", "holds run", "--resume", "--out")),
    "cache-dir-a-file": Bad(_a_file_as("--cache-dir"), ("cache folder", "a-file", "is a file")),
    "cache-dir-read-only": Bad(
        _read_only_out("--cache-dir"), ("cache folder", "cannot write there")
    ),
    "db-truncated": Bad(_truncated_db, ("--db h.db", "damaged", "pass a new --db")),
    "db-garbage": Bad(
        _file_bytes("h.db", b"garbage" * 200), ("--db h.db", "damaged or not a DuckDB file")
    ),
    "db-a-folder": Bad(_db_a_folder, ("--db dbdir", "is a folder")),
    "db-under-a-file": Bad(
        lambda w: ((w.root / "f").write_text("x"), ["run", str(w.scenario), "--db", "f/h.db"])[1],
        ("--db f/h.db", "cannot create its folder"),
    ),
    # -- the response cache ---------------------------------------------------------------
    "cache-journal-incomplete-row": Bad(
        _cache_tail(b'{"key": "k0"}\n' + _ROW.encode()),
        ("main-1.tail.jsonl line 1", "incomplete answer", "delete the file"),
    ),
    "cache-journal-broken-json": Bad(
        _cache_tail(_ROW.encode() + b'{"key": "k2", "te\n' + _ROW.encode()),
        ("main-1.tail.jsonl line 2", "damaged", "not a JSON answer"),
    ),
    "cache-journal-not-utf8": Bad(
        _cache_tail(b'{"key": "\xff"}\n'), ("main-1.tail.jsonl line 1", "damaged")
    ),
    "cache-journal-not-a-mapping": Bad(_cache_tail(b"[1, 2]\n"), ("line 1", "incomplete answer")),
    "cache-segment-garbage": Bad(
        _cache_segment(b"garbage"),
        ("x.parquet", "unreadable response-cache segment", "delete the file"),
    ),
    # -- baselines ------------------------------------------------------------------------
    "baseline-results-garbage": Bad(_results_as_baseline(b"garbage"), ("base.parquet",)),
}


def test_there_are_at_least_sixty_bad_inputs() -> None:
    assert len(BAD) >= 60


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_exits_2_with_one_message_and_no_traceback(
    name: str, world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = BAD[name]
    monkeypatch.chdir(world.root)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-never-used-000000")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")  # nothing listens
    argv = bad.make(world)
    capsys.readouterr()  # what setting up printed

    status = main(argv)

    err = capsys.readouterr().err
    assert status == 2, err
    lines = [line for line in err.splitlines() if not line.startswith("replayed ")]
    assert lines and lines[0].startswith("harness: error: "), err
    assert "Traceback" not in err and 'File "' not in err
    for words in bad.says:
        assert words in err, f"{words!r} not in {err!r}"


def test_require_mode_missing_an_answer_in_worker_processes_exits_2(world: World) -> None:
    """In a worker process the miss was a RuntimeError and exit 1, read as "gate failed"."""
    world.write_scenario(
        model={"provider": "anthropic", "id": "claude-sonnet-4-6"},
        cache={"mode": "read-write", "dir": "cache"},
        concurrency=4,
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC")},
        "ANTHROPIC_API_KEY": "sk-ant-never-used-000000",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",  # nothing listens: no call may be made
    }
    args = ["run", str(world.scenario), "--db", "h.db", "--cache", "require", "--processes", "2"]
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=world.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("harness: error: case case-00"), done.stderr
    assert "no cached answer" in done.stderr and "--cache read-write" in done.stderr
    assert "Traceback" not in done.stderr
