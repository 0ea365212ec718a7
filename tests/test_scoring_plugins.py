"""Custom scorers as plugins: a package registers a scorer through the ``harness`` entry-point
group and the ``harness_register_scorers`` hook; mistakes fail at load with a clear message."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from harness.errors import ConfigError
from harness.plugins.registry import build_registries
from harness.run.finish import run_scenario
from harness.run.plan import load_plan
from tests.world import World

PLUGIN = textwrap.dedent(
    """
    from harness.plugins.hooks import hookimpl
    from harness.scoring.base import Score


    class Politeness:
        criteria = ("politeness",)

        def __call__(self, case, transcript):
            polite = any("thank" in text.lower() for _, text in transcript.agent_turns())
            return [Score("politeness", "passed" if polite else "failed")]


    def politeness(context):
        return Politeness()


    def two_arguments(context, extra):
        return Politeness()


    def not_a_scorer(context):
        return "polite"


    @hookimpl
    def harness_register_scorers(register):
        register("politeness", politeness)
        register({extra!r}, {factory})
    """
)


def install_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, factory: str
) -> None:
    """A real installed package (a .dist-info with an entry point) on sys.path."""
    name = f"harness_plugin_{abs(hash((str(tmp_path), extra, factory)))}"
    site = tmp_path / "site"
    (site / name).mkdir(parents=True)
    (site / name / "__init__.py").write_text(PLUGIN.format(extra=extra, factory=factory))
    dist = site / f"{name}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[harness]\n{name} = {name}\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    monkeypatch.setattr(sys, "dont_write_bytecode", True)


def test_an_entry_point_plugin_adds_a_scorer_a_scenario_can_name(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin(tmp_path, monkeypatch, "also_polite", "politeness")
    assert {"politeness", "also_polite"} <= set(build_registries().scorers.names)
    path = world.write_scenario(scorers=["disclosure_rules", "politeness"])
    outcome = run_scenario(load_plan(path), out_dir=tmp_path / "out", db_path=tmp_path / "h.db")
    assert outcome is not None
    assert [c.criterion for c in outcome.gate.criteria] == ["broker_status", "apr", "politeness"]
    with duckdb.connect(str(tmp_path / "h.db"), read_only=True) as con:
        found = con.execute(
            "SELECT count(*) FROM results WHERE run_id = ? AND criterion = 'politeness'",
            [outcome.run_id],
        ).fetchone()
    assert found == (5,)


def test_a_factory_with_the_wrong_signature_fails_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin(tmp_path, monkeypatch, "rude", "two_arguments")
    with pytest.raises(ConfigError) as caught:
        build_registries()
    assert str(caught.value) == (
        "scorer 'rude': factory must take one argument (the ScorerContext), takes (context, extra)"
    )


def test_a_factory_that_returns_no_scorer_fails_at_load(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin(tmp_path, monkeypatch, "broken", "not_a_scorer")
    path = world.write_scenario(scorers=["broken"])
    with pytest.raises(ConfigError) as caught:
        load_plan(path)
    assert str(caught.value) == (
        f"{path}: scorer 'broken': its factory returned str, which has no 'criteria' tuple of "
        "names; a scorer needs 'criteria' and a __call__(case, transcript) or an async "
        "ascore(case, transcript, calls)"
    )


def test_an_unknown_scorer_id_gets_a_did_you_mean(world: World) -> None:
    path = world.write_scenario(scorers=["disclosure_rule"])
    with pytest.raises(ConfigError) as caught:
        load_plan(path)
    assert str(caught.value) == (
        f"{path}: field 'scorers': unknown scorer 'disclosure_rule' (did you mean "
        "'disclosure_rules'?); known scorers: disclosure_rules, disclosures, ragas"
    )


def test_two_scorers_of_the_same_criterion_fail_at_load(world: World) -> None:
    path = world.write_scenario(scorers=["disclosure_rules", "disclosures"])
    with pytest.raises(ConfigError, match="'disclosures' and 'disclosure_rules' both score"):
        load_plan(path)
