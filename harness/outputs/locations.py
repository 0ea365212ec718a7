"""Where a criterion's verdict belongs in the repository: the file and line an annotation
attaches to, so that GitHub shows it on the pull request's diff.

A criterion's place is its threshold's line in the scenario file (``thresholds.criteria.<id>``,
else ``thresholds.default``); a scenario that sets no threshold sends it to the disclosure's
own YAML file (the line of its ``id``); a criterion with neither has no place. Paths are
relative to the repository root: ``$GITHUB_WORKSPACE`` when set, else the git top level of
the scenario's folder, else the current directory. A file outside that root has no place
either (GitHub could not show it on the diff).

>>> threshold_lines("thresholds:\\n  default: 0.9\\n  criteria:\\n    apr: 0.95\\n")
{'default': 2, 'apr': 4}
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from harness.git import top_level


@dataclass(frozen=True)
class SourceLine:
    """A file relative to the repository root (with ``/``) and a 1-based line in it."""

    file: str
    line: int


def _key_lines(node: yaml.Node | None) -> dict[str, tuple[int, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {
        str(key.value): (key.start_mark.line + 1, value)
        for key, value in node.value
        if isinstance(key, yaml.ScalarNode)
    }


def threshold_lines(text: str) -> dict[str, int]:
    """The line of ``thresholds.default`` and of each ``thresholds.criteria`` entry in a
    scenario's YAML text, keyed ``default`` and by criterion; ``{}`` when it has none or
    does not parse (the run read it already, so that is a file edited since)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    thresholds = _key_lines(root).get("thresholds")
    if thresholds is None:
        return {}
    keys = _key_lines(thresholds[1])
    lines = {"default": keys["default"][0]} if "default" in keys else {}
    criteria = keys.get("criteria")
    if criteria is not None:
        lines.update({name: line for name, (line, _) in _key_lines(criteria[1]).items()})
    return lines


def repository_root(start: Path, environ: Mapping[str, str] | None = None) -> Path:
    """``$GITHUB_WORKSPACE`` when set, else the git top level holding ``start``, else the
    current directory."""
    env = os.environ if environ is None else environ
    if env.get("GITHUB_WORKSPACE"):
        return Path(env["GITHUB_WORKSPACE"]).resolve()
    return top_level(start) or Path.cwd().resolve()


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def _id_line(path: Path) -> int:
    try:
        keys = _key_lines(yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return 1
    return keys["id"][0] if "id" in keys else 1


def criterion_locations(
    criteria: Iterable[str],
    scenario_path: Path,
    disclosure_folder: Path,
    root: Path,
) -> dict[str, SourceLine]:
    """Each criterion's place (see the module), for those that have one."""
    try:
        lines = threshold_lines(scenario_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        lines = {}
    scenario_file = _relative(scenario_path, root)
    places = {}
    for criterion in criteria:
        line = lines.get(criterion, lines.get("default"))
        if line is not None and scenario_file is not None:
            places[criterion] = SourceLine(scenario_file, line)
            continue
        disclosure = disclosure_folder / f"{criterion}.yaml"
        disclosure_file = _relative(disclosure, root) if disclosure.is_file() else None
        if disclosure_file is not None:
            places[criterion] = SourceLine(disclosure_file, _id_line(disclosure))
    return places
