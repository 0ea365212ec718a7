"""The one place jinja2 is configured: strict for prompts, autoescaping for HTML reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from harness.config.files import read_text_file
from harness.errors import ConfigError, TemplateError

#: A compiled template (prompts hold one; nothing else needs to import jinja2).
Template = jinja2.Template


def prompt_template(path: Path) -> jinja2.Template:
    """Compile a system-prompt template; undefined variables are errors, never blanks."""
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # a prompt is plain text for a model, not HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    try:
        source = read_text_file(path)
    except ConfigError as exc:
        raise TemplateError(f"prompt template {exc}") from None
    try:
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"{path} line {exc.lineno}: template syntax error: {exc.message}"
        ) from None


def render_prompt(template: jinja2.Template, path: Path, context: dict[str, Any]) -> str:
    """Render a prompt template, naming the template and the missing variable on failure."""
    try:
        return template.render(**context)
    except jinja2.UndefinedError as exc:
        raise TemplateError(
            f"{path}: template variable missing: {exc.message}; variables available: "
            f"{', '.join(sorted(context))}"
        ) from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{path}: template failed to render: {exc}") from None


def report_environment(folder: Path) -> jinja2.Environment:
    """The HTML report environment: autoescape always on (model output is untrusted)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
