"""A scenario on the ``recorded`` provider needs no prompt: it replays what production said.

Every other provider generates the agent's turns from a prompt, so leaving it out there is
a clear error before any call, naming the field (in the file or through ``--model``).
"""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from tests.world import World


def _without_prompt(world: World, **changes: object) -> None:
    data = yaml.safe_load(world.scenario.read_text(encoding="utf-8"))
    del data["prompt"]
    data.update(changes)
    world.scenario.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _harness(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", str(world.scenario), "--db", "h.db", *args],
        capture_output=True,
        text=True,
        cwd=world.root,
        timeout=300,
    )


def test_a_recorded_scenario_without_a_prompt_runs(world: World) -> None:
    _without_prompt(world)

    done = _harness(world, "--out", "out")

    assert done.returncode == 0, done.stderr
    assert "scenario mini: 5 cases, model recorded:production, prompt none" in done.stdout
    manifest = json.loads((world.root / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["prompt"] == {"name": None, "version": None, "path": None, "sha256": None}


def test_another_provider_without_a_prompt_is_an_error_naming_the_field(world: World) -> None:
    _without_prompt(world, model={"provider": "offline", "id": "reference-broker-1"})

    done = _harness(world)

    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"harness: error: {world.scenario}: field 'prompt': model provider 'offline' generates "
        "the agent's turns from a prompt; name one (prompt: {name: ..., version: ...}); only "
        "'recorded' needs none"
    )


def test_overriding_the_model_of_a_scenario_without_a_prompt_is_the_same_error(
    world: World,
) -> None:
    _without_prompt(world)

    done = _harness(world, "--model", "offline:reference-broker-1")

    assert done.returncode == 2
    assert "field 'prompt': model provider 'offline' generates" in done.stderr
