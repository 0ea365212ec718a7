"""What the harness prints: outside text made inert for a terminal and for a CI log.

A CI runner reads every line a job writes to stdout and stderr. On GitHub a line whose
first non-blank characters are ``::`` is a workflow command (``::add-mask::``,
``::stop-commands::``, ``::error title=...::``), and ``##[`` starts the older form; the
runner takes ``\\r`` as a line break too. Model answers, server error bodies, corpus text
and case ids reach the messages, tables and headlines the harness prints, so every print
path goes through :func:`inert` (or :func:`emit`, which prints with it):

* a control character, including every line break but ``\\n`` (``\\r``, ``\\x0b``,
  ``\\x85``, ``\\u2028`` ...), is shown as a visible escape, so outside text cannot start a
  line of its own or drive the terminal (ANSI escapes);
* a line that would still start a command gets a ``\\`` before its ``::`` or ``##[``, so
  the reader sees the text and the runner runs nothing;
* credentials of the usual shapes are scrubbed (:mod:`harness.config.secrets`).

The harness's own annotations are the one deliberate exception, printed through
:func:`workflow_commands`, which lets through only well-formed ``::error``, ``::warning``
and ``::notice`` lines (a title, optionally a file and line) whose values were escaped
(:mod:`harness.outputs.github`).

>>> print(inert("server said: boom\\n::add-mask::x\\r::error::y"))
server said: boom
\\::add-mask::x\\r::error::y
>>> inert("  ##[set-env name=A]1")
'  \\\\##[set-env name=A]1'
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

from harness.config.secrets import Scrubber

#: Characters shown as escapes: C0 controls but tab and newline, DEL, C1 controls, and the
#: other characters some reader takes as a line break.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
#: Credential shapes (``sk-...``, ``Bearer ...``): never printed, whoever's they are. The
#: run's own keys are scrubbed where its answers and errors arrive (the call runner).
_SHAPES = Scrubber()
_LINE_BREAK = re.compile("\r|\n")
#: A line a runner would read as a command: blanks (any Unicode space, and the invisible
#: format characters a runner might not count as text), then ``::`` or ``##[``.
_COMMAND_START = re.compile(r"^([\s\u200b-\u200f\u2060\ufeff]*)(::|##\[)", re.MULTILINE)
#: One of the harness's own annotations: a known command, optionally its escaped file and
#: line, its escaped title, a message.
_ANNOTATION = re.compile(
    r"::(error|warning|notice) (file=[^:,\n]*,line=[0-9]+,)?title=[^:,\n]*::[^\n]*"
)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in "\r\n":
        return "\\r" if char == "\r" else "\\n"
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def show_controls(text: object) -> str:
    """``text`` with every control character but tab and newline as a visible escape.

    >>> show_controls("a\\rb\\u2028c\\nd")
    'a\\\\rb\\\\u2028c\\nd'
    """
    return _CONTROL.sub(_escape, str(text))


def inert(text: object) -> str:
    """``text`` as the harness may print it: no line of it is a workflow command.

    >>> inert("case \\x1b[2Kevil")
    'case \\\\x1b[2Kevil'
    """
    value = show_controls(_SHAPES.scrub(str(text)).replace("\r\n", "\n"))
    return _COMMAND_START.sub(r"\1\\\2", value)


def one_line(text: object) -> str:
    """``text`` :func:`inert` on one line, its line breaks shown as ``\\n``: for a name or
    an id that the caller prints inside a line of its own (a pytest item's name).

    >>> one_line("case-1\\n::error::x")
    'case-1\\\\n::error::x'
    """
    return inert(_LINE_BREAK.sub(_escape, str(text)))


def workflow_commands(text: str) -> str:
    """The harness's annotations as printed: each well-formed command line as it is, any
    other line made :func:`inert`.

    >>> print(workflow_commands("::error title=gate::below%0A::x\\n::add-mask::k"))
    ::error title=gate::below%0A::x
    \\::add-mask::k
    """
    lines = []
    for line in text.split("\n"):
        clean = show_controls(_SHAPES.scrub(line))
        lines.append(clean if _ANNOTATION.fullmatch(clean) else inert(clean))
    return "\n".join(lines)


def emit(text: object = "", stream: TextIO | None = None, *, end: str = "\n") -> None:
    """Print ``text`` made :func:`inert` to ``stream`` (stdout by default)."""
    out = sys.stdout if stream is None else stream
    out.write(inert(text) + end)
    out.flush()
