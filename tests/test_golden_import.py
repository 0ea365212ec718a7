"""Importing cases from real files of each format, and every kind of bad input, precisely."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.config.disclosures import load_registry
from harness.corpus.cases import Case, GoldenLabel, Turn
from harness.corpus.files import iter_cases
from harness.golden.importers import (
    ColumnMapping,
    ImportInputError,
    detect_format,
    import_cases,
    import_files,
)
from harness.golden.importers.promptfoo import csv_test, parse_expected

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "corpus" / "examples"
REGISTRY = load_registry(ROOT / "scenarios" / "disclosures")


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _line(**fields: object) -> str:
    return json.dumps(fields)


def test_shipped_examples_import_with_their_detected_formats(tmp_path: Path) -> None:
    files = [
        EXAMPLES / "promptfoo" / "tests.yaml",
        EXAMPLES / "inspect-samples.jsonl",
    ]
    report = import_files(files, tmp_path / "out.parquet", registry=REGISTRY, redaction=None)
    assert report.formats == {
        str(files[0]): "promptfoo",
        str(files[1]): "eval-samples",
    }
    assert report.rejects == []
    cases = {c.case_id: c for c in iter_cases([tmp_path / "out.parquet"])}
    assert sorted(cases) == ["ins-bereaved", "inspect-samples-2", "pf-hurried-cost", "tests-2"]
    hurried = cases["pf-hurried-cost"]
    assert hurried.turns == (
        Turn(
            role="customer",
            text="I'm in a rush, just tell me the monthly payment for the heat pump.",
        ),
    )
    assert hurried.facts == {
        "apr": 9.9,
        "product": "heat_pump",
        "description": "Hurried customer asks for the monthly payment only",
        "assert_1": "icontains: representative",
        "assert_2": "not-icontains: we are the lender",
    }
    assert hurried.tags == {"channel": "in_home"}
    assert hurried.labels == (
        GoldenLabel(disclosure_id="commission", applicable=True, presented=False),
    )
    chat = cases["tests-2"]
    assert [t.role for t in chat.turns] == ["customer", "agent", "customer"]
    assert chat.facts["system_prompt"] == "You are the Brightwell Home Finance assistant."
    assert chat.tags == {"channel": "online", "topics": '["eligibility", "credit-score"]'}
    sample = cases["inspect-samples-2"]
    assert sample.reference == (
        "We receive a commission from the lender\nthe lender pays us a commission"
    )
    assert cases["ins-bereaved"].labels[0].disclosure_id == "vulnerability_support"


def test_promptfoo_csv_special_columns_follow_promptfoo() -> None:
    assert parse_expected("contains: Paris") == {"type": "contains", "value": "Paris"}
    assert parse_expected("not-icontains: lender") == {"type": "not-icontains", "value": "lender"}
    assert parse_expected("Note: not a type") == {"type": "equals", "value": "Note: not a type"}
    test = csv_test(
        {
            "question": "Is it 0%?",
            "__expected1": "similar(0.8):zero",
            "__expected2": "equals: no",
            "__description": "zero",
            "__metadata:tags[]": r"a,b\,c",
            "__config:__expected1:threshold": "0.9",
            "__metadata": "ignored, as promptfoo ignores it",
        }
    )
    assert test == {
        "vars": {"question": "Is it 0%?"},
        "assert": [
            {"type": "similar", "value": "zero", "threshold": "0.9"},
            {"type": "equals", "value": "no"},
        ],
        "metadata": {"tags": ["a", "b,c"]},
        "description": "zero",
    }


def test_promptfoo_csv_file_imports_reference_and_labels(tmp_path: Path) -> None:
    report = import_cases([EXAMPLES / "promptfoo" / "tests.csv"], registry=REGISTRY)
    assert [c.case_id for c in report.cases] == ["tests-1", "tests-2"]
    first = report.cases[0]
    assert first.labels == (
        GoldenLabel(disclosure_id="soft_search", applicable=True, presented=True),
    )
    assert first.tags == {"channel": "online", "topics": '["eligibility", "credit-score"]'}
    assert first.facts["assert_2"] == "not-icontains: won't affect your credit score at all"


def test_csv_with_a_mapping_file_types_cells_and_redacts(tmp_path: Path) -> None:
    mapping = ColumnMapping.load(EXAMPLES / "tickets-mapping.yaml")
    report = import_cases([EXAMPLES / "tickets.csv"], mapping=mapping, registry=REGISTRY)
    first = report.cases[0]
    assert first.model_dump(exclude_defaults=True, mode="json") == {
        "case_id": "T-1001",
        "source": "crm-tickets",
        "recorded_at": "2026-10-02T10:15:00Z",
        "tags": {"channel": "phone", "product": "solar_pv"},
        "facts": {"apr": 10.9, "customer_first_name": "[NAME]"},
        "turns": [
            {
                "role": "customer",
                "text": "Will the check show up on my credit file? Call me on [PHONE].",
            }
        ],
        "labels": [{"disclosure_id": "soft_search", "applicable": True, "presented": True}],
    }


def test_mapping_flags_override_and_typos_get_a_did_you_mean() -> None:
    mapping = ColumnMapping.from_pairs(["case_id=ticket", "roles=bot:agent"])
    assert mapping.case_id == "ticket" and mapping.roles["bot"] == "agent"
    with pytest.raises(ValueError, match="unknown key 'cse_id' \\(did you mean 'case_id'\\?\\)"):
        ColumnMapping.from_pairs(["cse_id=ticket"])


def test_native_jsonl_and_parquet_round_trip(tmp_path: Path) -> None:
    case = Case(
        case_id="c1",
        source="s",
        tags={"product": "battery"},
        facts={"apr": 9.9},
        turns=[Turn(role="customer", text="hi"), Turn(role="event", event="offer_presented")],
        labels=[GoldenLabel(disclosure_id="commission", applicable=True, presented=True)],
    )
    row = case.to_row()
    row["tags"] = dict(row["tags"])
    row["facts"] = json.loads(row["facts"])
    jsonl = _write(tmp_path / "cases.jsonl", json.dumps(row) + "\n")
    assert detect_format(jsonl) == "table"
    report = import_files([jsonl], tmp_path / "a.parquet", redaction=None)
    assert report.cases == [case]
    again = import_files([tmp_path / "a.parquet"], tmp_path / "b.parquet", redaction=None)
    assert again.cases == [case]


def _other_dataset(path: Path) -> Path:
    pq.write_table(pa.table({"sku": ["a"], "price": [1.0], "stock": [3]}), path)
    return path


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "message"),
    [
        (
            "wrong-delimiter.csv",
            "case_id;text\nc1;hello\n",
            {},
            "wrong-delimiter.csv line 1: the header is one column 'case_id;text' but contains "
            "';': the file looks ';'-delimited; pass --delimiter ';'",
        ),
        (
            "other.parquet",
            None,
            {},
            "other.parquet: does not look like cases: it has the columns sku, price, stock, and "
            "a case needs an id column ('case_id'; --map case_id=COLUMN) and a conversation",
        ),
        ("empty.csv", "", {}, "empty.csv: the file is empty; a CSV needs a header row"),
        ("notes.txt", "hello", {}, "cannot tell the format from the suffix '.txt'; pass --format"),
        (
            "a.jsonl",
            "{}\n",
            {"format": "promptfu"},
            "unknown format 'promptfu' (did you mean 'promptfoo'?)",
        ),
    ],
    ids=["wrong-delimiter", "other-dataset", "empty-csv", "unknown-suffix", "unknown-format"],
)
def test_unreadable_files_stop_with_a_precise_message(
    tmp_path: Path, name: str, content: str | None, kwargs: dict[str, str], message: str
) -> None:
    path = _other_dataset(tmp_path / name) if content is None else _write(tmp_path / name, content)
    with pytest.raises(ImportInputError) as caught:
        import_files([path], tmp_path / "out.parquet", **kwargs)  # type: ignore[arg-type]
    assert message in str(caught.value)
    assert not (tmp_path / "out.parquet").exists()


def test_bad_rows_are_rejected_with_line_and_reason_and_the_rest_import(tmp_path: Path) -> None:
    good = _line(case_id="c1", text="Can I get finance?")
    lines = [
        good,
        '{"case_id": "c2", "text": "unterminated',
        "[1, 2]",
        _line(case_id="c3"),
        _line(
            case_id="c4",
            text="hi",
            labels=[{"disclosure_id": "comission", "applicable": True, "presented": False}],
        ),
        _line(case_id="c1", text="again"),
        _line(case_id="c5", text="Is it a loan?"),
    ]
    first = _write(tmp_path / "a.jsonl", "\n".join(lines) + "\n")
    second = _write(tmp_path / "b.jsonl", _line(case_id="c5", text="dup across files") + "\n")
    report = import_files([first, second], tmp_path / "out.parquet", registry=REGISTRY)
    reasons = [(r.where.removeprefix(f"{tmp_path}/"), r.reason) for r in report.rejects]
    assert reasons == [
        ("a.jsonl line 2", "not valid JSON (Unterminated string starting at, column 27)"),
        ("a.jsonl line 3", "expected a JSON object per line, got a list"),
        (
            "a.jsonl line 4",
            "no conversation: give 'turns' (chat messages) or 'text' (one customer message); "
            "--map text=COLUMN names another",
        ),
        (
            "a.jsonl line 5",
            "label for unknown disclosure 'comission' (did you mean 'commission'?); "
            f"{REGISTRY.folder} defines: {', '.join(REGISTRY.ids)}",
        ),
        (
            "a.jsonl line 6",
            f"duplicate case_id 'c1' (first imported from {first} line 1); case ids must be "
            "unique across files: rename one or leave it out",
        ),
        (
            "b.jsonl line 1",
            f"duplicate case_id 'c5' (first imported from {first} line 7); case ids must be "
            "unique across files: rename one or leave it out",
        ),
    ]
    assert [c.case_id for c in iter_cases([tmp_path / "out.parquet"])] == ["c1", "c5"]
    rejects = (tmp_path / "out.rejects.jsonl").read_text().splitlines()
    assert len(rejects) == 6
    assert json.loads(rejects[0]) == {
        "file": str(first),
        "line": 2,
        "reason": "not valid JSON (Unterminated string starting at, column 27)",
        "raw": '{"case_id": "c2", "text": "unterminated',
    }


def test_a_csv_in_another_encoding_rejects_only_the_rows_it_breaks(tmp_path: Path) -> None:
    data = "case_id,text\nc1,Hello\nc2,Caf\u00e9 prices in \u00a3\nc3,Bye\n".encode("cp1252")
    path = _write(tmp_path / "latin.csv", data)
    report = import_cases([path])
    assert [c.case_id for c in report.cases] == ["c1", "c3"]
    assert [(r.line, r.reason) for r in report.rejects] == [
        (
            3,
            "column 'text' is not valid utf-8 (byte 0xe9 at column 4); re-save the file as "
            "UTF-8, or pass --encoding with the file's encoding (e.g. cp1252)",
        )
    ]
    fixed = import_cases([path], mapping=ColumnMapping(encoding="cp1252"))
    assert [c.turns[0].text for c in fixed.cases][1] == "Café prices in £"


def test_a_csv_row_with_an_extra_field_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", 'case_id,text\nc1,"hi, there"\nc2,hi, there\n')
    report = import_cases([path])
    assert [c.case_id for c in report.cases] == ["c1"]
    assert report.rejects[0].where == f"{path} line 3"
    assert report.rejects[0].reason.startswith("has 3 fields but the header has 2")


def test_eval_samples_bad_roles_and_missing_input_are_rejected(tmp_path: Path) -> None:
    lines = [
        _line(input=[{"role": "tool", "content": "x"}]),
        _line(target="x"),
        _line(input="ok", sandbox="docker"),
        _line(input=[{"role": "user", "content": [{"type": "image", "image": "a.png"}]}]),
        _line(id=7, input="fine"),
    ]
    path = _write(tmp_path / "s.jsonl", "\n".join(lines) + "\n")
    report = import_cases([path], format="inspect")
    assert [c.case_id for c in report.cases] == ["7"]
    assert [r.reason for r in report.rejects] == [
        "input[0] has role 'tool', which is not a customer, agent or event turn (known roles: "
        "agent, ai, assistant, bot, customer, event, human, user); map it, e.g. --map "
        "roles=tool:agent",
        "'input' must be a non-empty string or a list of chat messages",
        "uses sandbox: an agentic sample needs an environment a replayed chat case cannot have",
        "input[0] has image content; a replay case holds text only",
    ]


def test_promptfoo_list_vars_and_missing_message_are_rejected(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "t.yaml",
        "- vars: {input: [a, b]}\n- vars: {topic: x}\n  providers: [openai:gpt-4]\n",
    )
    notices: list[object] = []
    report = import_cases([path])
    notices = list(report.notices)
    assert [(r.line, r.reason) for r in report.rejects] == [
        (
            1,
            "var 'input' is a list: promptfoo runs one test per value, a corpus needs one case "
            "per test; write one test per value",
        ),
        (
            2,
            "no customer message: vars are (topic); name the var holding it with --map "
            "text=VAR, or give a 'messages' var of chat messages",
        ),
    ]
    assert [n.message for n in notices] == [  # type: ignore[attr-defined]
        "promptfoo run options providers configure a promptfoo run and were not imported"
    ]
