"""Importing promptfoo test files: YAML, JSON or JSONL tests, and CSV test tables.

A promptfoo test has ``vars`` (the prompt variables), ``assert`` (checks on the output), an
optional ``description`` and ``metadata``. In CSV, each column is a var except promptfoo's
special columns: ``__expected`` / ``__expected1``... (an assertion written ``type: value``,
``equals`` when no type is given), ``__description``, ``__prefix`` / ``__suffix``,
``__metric``, ``__threshold``, ``__metadata:<key>`` (``__metadata:<key>[]`` splits on
commas, ``\\,`` keeps one) and ``__config:__expected[N]:<key>``.

As a case: the customer message is the var named by the mapping's ``text`` (else the first
of ``input``, ``message``, ``customer_message``, ``question``, ``query``, ``prompt``), or a
``messages`` var holding chat messages; the other vars become facts. Metadata becomes tags
(``case_id``, ``source``, ``recorded_at``, ``labels`` and ``label:<disclosure>`` keys are
read as such). An ``equals`` assertion's value becomes the reference answer, and every
assertion is kept as a fact ``assert_1``... in promptfoo's own ``type: value`` form, because
the harness scores disclosures itself. Ids are ``<file stem>-<n>`` unless metadata names one.

>>> test = csv_test({"question": "Is it 0%?", "__expected": "contains: APR",
...                  "__metadata:product": "solar_pv"})
>>> test["assert"], test["metadata"]
([{'type': 'contains', 'value': 'APR'}], {'product': 'solar_pv'})
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from harness.golden.importers.base import (
    ColumnMapping,
    Imported,
    Notice,
    RowProblem,
    build_case,
    chat_turns,
    fact_value,
    labels_from,
    parse_timestamp,
    tag_value,
)
from harness.golden.importers.records import Record, Reject

TEXT_VARS = ("input", "message", "customer_message", "question", "query", "prompt")
CHAT_VARS = ("messages", "_conversation")
# Assertion types promptfoo documents; a "type:" prefix not in this list is part of the value.
ASSERTION_TYPES = frozenset(
    [
        "equals",
        "contains",
        "icontains",
        "contains-all",
        "contains-any",
        "icontains-all",
        "icontains-any",
        "starts-with",
        "regex",
        "is-json",
        "contains-json",
        "is-xml",
        "contains-xml",
        "is-sql",
        "contains-sql",
        "is-html",
        "contains-html",
        "javascript",
        "python",
        "webhook",
        "similar",
        "levenshtein",
        "rouge-n",
        "bleu",
        "gleu",
        "meteor",
        "llm-rubric",
        "model-graded-closedqa",
        "factuality",
        "answer-relevance",
        "context-faithfulness",
        "context-recall",
        "context-relevance",
        "g-eval",
        "select-best",
        "classifier",
        "moderation",
        "perplexity",
        "perplexity-score",
        "cost",
        "latency",
        "word-count",
        "is-refusal",
        "is-valid-openai-tools-call",
        "is-valid-openai-function-call",
        "finish-reason",
        "pi",
        "guardrails",
        "search-rubric",
        "trace-span-count",
        "trace-span-duration",
        "trajectory",
    ]
)
_PREFIX = re.compile(r"^(?P<not>not-)?(?P<type>[a-z][a-z0-9-]*)(?:\((?P<threshold>[\d.]+)\))?:\s?")
# Run options of promptfoo: they configure a promptfoo run and mean nothing to a corpus.
RUN_OPTIONS = ("provider", "providers", "threshold", "metric", "providerOutput")


def parse_expected(text: str) -> dict[str, Any]:
    """One ``__expected`` cell as an assertion, as promptfoo reads it.

    >>> parse_expected("similar(0.8):Hello there")
    {'type': 'similar', 'value': 'Hello there', 'threshold': 0.8}
    >>> parse_expected("Paris")
    {'type': 'equals', 'value': 'Paris'}
    """
    match = _PREFIX.match(text)
    if match is None or match.group("type") not in ASSERTION_TYPES:
        return {"type": "equals", "value": text}
    kind = ("not-" if match.group("not") else "") + match.group("type")
    assertion: dict[str, Any] = {"type": kind, "value": text[match.end() :]}
    if match.group("threshold"):
        assertion["threshold"] = float(match.group("threshold"))
    return assertion


def _split_list(text: str) -> list[str]:
    parts = re.split(r"(?<!\\),", text)
    return [p.replace("\\,", ",").strip() for p in parts if p.strip()]


def csv_test(row: dict[str, str]) -> dict[str, Any]:
    """A promptfoo test from one CSV row with its special ``__`` columns."""
    test: dict[str, Any] = {"vars": {}, "assert": [], "metadata": {}}
    expected: dict[str, dict[str, Any]] = {}
    config: dict[str, dict[str, Any]] = {}
    for column, value in row.items():
        if re.fullmatch(r"__expected\d*", column):
            if value.strip():
                expected[column] = parse_expected(value)
        elif column.startswith("__config:"):
            target, _, key = column.removeprefix("__config:").partition(":")
            if value.strip():
                config.setdefault(target, {})[key] = value
        elif column.startswith("__metadata:"):
            key = column.removeprefix("__metadata:")
            if key.endswith("[]"):
                test["metadata"][key[:-2]] = _split_list(value)
            elif value != "":
                test["metadata"][key] = value
        elif column in ("__description", "__prefix", "__suffix", "__metric", "__threshold"):
            if value != "":
                test[column.removeprefix("__")] = value
        elif column != "__metadata":
            test["vars"][column] = value
    for column in sorted(expected, key=lambda c: (len(c), c)):
        extra = {**config.get("__expected", {}), **config.get(column, {})}
        test["assert"].append({**expected[column], **extra})
    return test


def assertion_text(assertion: Any) -> str:
    """An assertion as promptfoo's CSV writes it: ``type: value`` (JSON when not text)."""
    if isinstance(assertion, dict) and isinstance(assertion.get("value"), str):
        return f"{assertion.get('type', 'equals')}: {assertion['value']}"
    return json.dumps(assertion, sort_keys=True)


def promptfoo_cases(
    items: Iterable[Record | Reject],
    mapping: ColumnMapping,
    *,
    from_csv: bool,
    notices: list[Notice],
) -> Iterator[Imported | Reject]:
    """One case per promptfoo test."""
    dropped: set[str] = set()
    index = 0
    source = None
    for item in items:
        if isinstance(item, Reject):
            yield item
            continue
        index += 1
        source = item.file
        test = csv_test(item.data) if from_csv else item.data
        dropped.update(k for k in RUN_OPTIONS if k in test)
        options = test.get("options")
        if isinstance(options, dict):
            dropped.update(f"options.{k}" for k in options if k not in ("prefix", "suffix"))
        try:
            case = build_case(_row(test, mapping, f"{item.file.name.split('.')[0]}-{index}", item))
        except RowProblem as exc:
            yield Reject(item.file, item.line, str(exc), item.data, unit=item.unit)
            continue
        yield Imported(case, item.file, item.line, item.unit, raw=item.data)
    if dropped and source is not None:
        notices.append(
            Notice(
                str(source),
                f"promptfoo run options {', '.join(sorted(dropped))} configure a promptfoo run "
                "and were not imported",
            )
        )


def _row(
    test: dict[str, Any], mapping: ColumnMapping, default_id: str, item: Record
) -> dict[str, Any]:
    variables = test.get("vars") or {}
    if not isinstance(variables, dict):
        raise RowProblem("'vars' must be a mapping of variable → value")
    metadata = test.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise RowProblem("'metadata' must be a mapping")
    facts: dict[str, Any] = {}
    for key, value in variables.items():
        if isinstance(value, list) and key not in CHAT_VARS:
            raise RowProblem(
                f"var '{key}' is a list: promptfoo runs one test per value, a corpus needs one "
                "case per test; write one test per value"
            )
    chat = next((v for v in CHAT_VARS if v in variables), None)
    text_var = mapping.text or next((v for v in TEXT_VARS if v in variables), None)
    if chat is not None:
        turns, system = chat_turns(variables[chat], mapping.roles, f"vars.{chat}")
        if system:
            facts["system_prompt"] = system
        used = {chat}
    elif text_var is not None and variables.get(text_var) not in (None, ""):
        turns = [{"role": "customer", "text": str(variables[text_var]), "event": None}]
        used = {text_var}
    else:
        names = ", ".join(variables) or "none"
        raise RowProblem(
            f"no customer message: vars are ({names}); name the var holding it with "
            "--map text=VAR, or give a 'messages' var of chat messages"
        )
    for key, value in variables.items():
        if key in used or key in mapping.ignore:
            continue
        facts[key] = fact_value(f"vars.{key}", value)
    if test.get("description"):
        facts["description"] = str(test["description"])
    options = test.get("options") or {}
    for key in ("prefix", "suffix"):
        value = test.get(key, options.get(key) if isinstance(options, dict) else None)
        if value:
            facts[f"prompt_{key}"] = str(value)
    assertions = test.get("assert") or []
    if not isinstance(assertions, list):
        raise RowProblem("'assert' must be a list of assertions")
    reference = None
    for number, assertion in enumerate(assertions, start=1):
        facts[f"assert_{number}"] = assertion_text(assertion)
        if isinstance(assertion, dict) and assertion.get("type") == "equals" and reference is None:
            reference = str(assertion.get("value"))
    special = {"case_id", "source", "recorded_at", "labels"}
    tags = {
        str(k): tag_value(v)
        for k, v in metadata.items()
        if k not in special and not str(k).startswith("label:")
    }
    recorded = metadata.get("recorded_at")
    return {
        "case_id": str(metadata.get("case_id") or default_id),
        "source": str(
            metadata.get("source") or mapping.source_value or item.file.name.split(".")[0]
        ),
        "recorded_at": parse_timestamp(recorded, "metadata.recorded_at") if recorded else None,
        "tags": tags,
        "facts": facts,
        "turns": turns,
        "labels": labels_from(metadata, "labels"),
        "reference": reference,
    }
