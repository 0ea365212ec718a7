"""What the harness prints: no line of outside text is a workflow command."""

from __future__ import annotations

import io

import pytest

from harness.outputs.console import emit, inert, one_line, show_controls, workflow_commands
from harness.outputs.github import escape_data
from tests.test_hostile_text import HOSTILE, commands


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text: 95% of 20", "plain text: 95% of 20"),
        ("::error::x", "\\::error::x"),
        ("a\n::add-mask::k", "a\n\\::add-mask::k"),
        ("a\r\n::add-mask::k", "a\n\\::add-mask::k"),
        ("a\r::stop-commands::t", "a\\r::stop-commands::t"),
        ("   ::warning::indented", "   \\::warning::indented"),
        ("\t\u00a0\u3000::notice::unicode blanks", "\t\u00a0\u3000\\::notice::unicode blanks"),
        ("\ufeff\u200b::debug::invisible", "\ufeff\u200b\\::debug::invisible"),
        ("##[error]old form", "\\##[error]old form"),
        ("a\u2028::error::b", "a\\u2028::error::b"),
        ("a\x85::error::b", "a\\x85::error::b"),
        ("a\x0b\x0c\x1c::error::b", "a\\x0b\\x0c\\x1c::error::b"),
        ("red \x1b[31m \x07 \x7f", "red \\x1b[31m \\x07 \\x7f"),
        ("mid-line :: is harmless", "mid-line :: is harmless"),
        ("tab\tkept", "tab\tkept"),
    ],
    ids=[
        "plain",
        "at-start",
        "after-newline",
        "after-crlf",
        "after-cr",
        "indented",
        "unicode-blanks",
        "format-chars",
        "old-form",
        "line-separator",
        "next-line",
        "vt-ff-fs",
        "terminal-escapes",
        "mid-line",
        "tab",
    ],
)
def test_inert_shows_the_text_and_leaves_no_command(text: str, shown: str) -> None:
    assert inert(text) == shown
    assert commands(inert(text)) == []


def test_one_line_keeps_a_name_on_its_line() -> None:
    assert one_line("case-7\n::error::x\r\n##[y]") == "case-7\\n::error::x\\r\\n##[y]"
    assert one_line("::error::at the start") == "\\::error::at the start"
    assert "\n" not in one_line(HOSTILE) and commands(one_line(HOSTILE)) == []


def test_show_controls_leaves_newlines_and_tabs() -> None:
    assert show_controls("a\tb\nc\rd\x00") == "a\tb\nc\\rd\\x00"


def test_the_harness_own_annotations_pass_and_nothing_else() -> None:
    own = f"::error title=Replay gate x%3A apr::{escape_data(HOSTILE)}"
    notice = "::notice title=Replay gate x::PASSED"
    located = "::error file=scenarios/x.yaml,line=12,title=Replay gate x%3A apr FAIL::below"
    forged = "::add-mask::secret\n::set-output name=a::b\n::error file=x.py::not ours"
    printed = workflow_commands(f"{own}\n{notice}\n{located}\n{forged}")

    assert commands(printed) == [own, notice, located]
    assert printed.splitlines()[3:] == [
        "\\::add-mask::secret",
        "\\::set-output name=a::b",
        "\\::error file=x.py::not ours",
    ]


def test_an_escaped_annotation_message_holds_no_raw_line_break() -> None:
    escaped = escape_data(HOSTILE)
    assert escaped.splitlines() == [escaped]
    assert "%0A::error title=pwned::owned%0D::add-mask::masked%0A" in escaped


def test_emit_prints_inert_text_and_flushes() -> None:
    stream = io.StringIO()
    emit(f"harness: error: {HOSTILE}", stream)
    emit("done", stream, end="")
    assert commands(stream.getvalue()) == []
    assert stream.getvalue().startswith("harness: error: boom\n\\::error title=pwned")
    assert stream.getvalue().endswith("\ndone")
