from __future__ import annotations

from pathlib import Path

import pytest

from tests.world import World, build_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    """A small replay world on disk: two disclosures, a prompt, five cases, a scenario."""
    return build_world(tmp_path / "world")
