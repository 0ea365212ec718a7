"""The CI surfaces of a real run: job summary, PR comment, annotations and JUnit XML."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from harness.gate.policy import CriterionResult, GateResult
from harness.outputs.console import workflow_commands
from harness.outputs.github import (
    annotations_text,
    comment_marker,
    markdown_cell,
    pr_comment_markdown,
    publish_step_summary,
    summary_markdown,
)
from harness.outputs.junit import junit_xml
from harness.outputs.locations import SourceLine, repository_root
from harness.outputs.report import FailingCase
from harness.run.finish import RunOutcome, run_scenario
from harness.run.plan import load_plan
from tests.world import build_world, default_cases, make_case

XSD = Path(__file__).parent / "data" / "junit.xsd"
EVIL_ID = "case-<script>alert(1)</script>|`x`@team"


@pytest.fixture
def outcome(tmp_path: Path) -> RunOutcome:
    """A failing run against a baseline: apr (2 of 4) is below its 90% threshold."""
    cases = [*default_cases(), make_case(EVIL_ID, ["Hello <img src=x onerror=alert(1)>", "Bye"])]
    world = build_world(tmp_path / "world", cases=cases)
    db = tmp_path / "harness.duckdb"
    base = run_scenario(  # passes its own gate, so it is the baseline
        load_plan(world.write_scenario("base", thresholds={"default": 0.3})),
        out_dir=tmp_path / "base",
        db_path=db,
    )
    assert base is not None
    scenario = world.write_scenario(
        thresholds={"default": 0.5, "criteria": {"apr": 0.9}}, baseline={"scenario": "base"}
    )
    done = run_scenario(load_plan(scenario), out_dir=tmp_path / "out", db_path=db)
    assert done is not None
    return done


def test_every_surface_is_written_into_the_run_folder(outcome: RunOutcome) -> None:
    assert outcome.surfaces is not None
    out = outcome.out_dir
    assert outcome.surfaces.summary == out / "summary.md"
    assert outcome.surfaces.pr_comment == out / "pr-comment.md"
    assert outcome.surfaces.annotations == out / "annotations.txt"
    assert outcome.surfaces.junit == out / "junit.xml"
    assert all(
        p.is_file() for p in (out / "summary.md", out / "pr-comment.md", out / "annotations.txt")
    )


def test_summary_has_the_verdict_table_failing_cases_and_versions(
    outcome: RunOutcome,
) -> None:
    assert outcome.surfaces is not None
    text = outcome.surfaces.summary.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "## ❌ Replay gate mini: FAILED"
    assert lines[2] == r"FAILED: 1 of 2 criteria below threshold \(apr\)."
    assert lines[4:10] == [
        "| Disclosure | Pass rate | 95% interval | Passed/applicable | In review | Threshold "
        "| Verdict | vs baseline | Scorer wrong pass · wrong fail | Corrected interval |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
        r"| broker\_status | 50.0% | 18.8-81.2% | 3/6 | 0 | 50% | pass | +0.0 pts "
        "| 0/0 · 3/6 (6 labelled) | 0.0-100.0% |",
        r"| apr | 40.0% | 11.8-76.9% | 2/5 | 0 | 90% | FAIL | +0.0 pts | not measured | n/a |",
        "",
        "In review: results the scorer was unsure of that nothing settled, counted as fail. "
        "Scorer wrong pass · wrong fail: the gated verdict's mistakes on the labelled "
        "calibration set (not presented but passed · presented but not passed); the corrected "
        "interval allows for them.",
    ]
    assert "### Top failing cases (4)" in lines
    assert "| case-004 | apr failed: wrong figure: apr stated 12.9, the case says 9.9 |" in lines
    manifest = json.loads(outcome.manifest_path.read_text(encoding="utf-8"))
    assert f"- run: {outcome.run_id}" in lines
    assert "- model: recorded:production" in lines
    assert "- prompt: agent v1" in lines
    assert r"- disclosures: broker\_status v1, apr v2" in lines
    assert f"- baseline run: {manifest['baseline']['run_id']}" in lines
    assert manifest["baseline"]["run_id"].startswith("base-")


def test_pr_comment_starts_with_the_hidden_marker(outcome: RunOutcome) -> None:
    assert outcome.surfaces is not None
    text = outcome.surfaces.pr_comment.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "<!-- replay-gate:mini -->"
    assert text.count("<!-- replay-gate:") == 1
    apr = r"| apr | 40.0% | 11.8-76.9% | 2/5 | 0 | 90% | FAIL | +0.0 pts | not measured | n/a |"
    assert apr in text


def test_case_text_stays_inert_in_markdown(outcome: RunOutcome) -> None:
    assert outcome.surfaces is not None
    for path in (outcome.surfaces.summary, outcome.surfaces.pr_comment):
        text = path.read_text(encoding="utf-8")
        row = next(line for line in text.splitlines() if "script" in line)
        assert "<script" not in text and "<img" not in text
        assert row.startswith(
            r"| case-&lt;script&gt;alert\(1\)&lt;/script&gt;\|\`x\`@" + "\u200bteam |"
        )
        # one unescaped separator per cell boundary: two columns, three pipes
        assert len(re.findall(r"(?<!\\)\|", row)) == 3


def test_annotations_name_the_figure_and_threshold(outcome: RunOutcome) -> None:
    assert outcome.surfaces is not None
    assert outcome.surfaces.annotations.read_text(encoding="utf-8").splitlines() == [
        "::error title=Replay gate mini%3A apr FAIL::apr: "
        "40.0%25 of 5 applicable cases passed, below 90%25 (+0.0 pts vs baseline)"
    ]


def _criterion(name: str, *, passed: int, applicable: int, threshold: float) -> CriterionResult:
    rate = passed / applicable
    return CriterionResult(
        criterion=name,
        threshold=threshold,
        applicable=applicable,
        passed=passed,
        failed=applicable - passed,
        errors=0,
        pass_rate=rate,
        verdict="pass" if rate >= threshold else "fail",
        counted=applicable,
        needed=1,
    )


MANIFEST: dict[str, Any] = {"scenario": {"name": "s"}}


def test_annotation_escaping_of_percent_newline_and_colon() -> None:
    gate = GateResult(
        run_id="r",
        criteria=(_criterion("fee: 5%\r\nsee, now", passed=1, applicable=4, threshold=0.9),),
        stopped=("budget: 100% spent\nstop",),
    )
    assert annotations_text(gate, MANIFEST).splitlines() == [
        "::error title=Replay gate s::budget: 100%25 spent%0Astop",
        "::error title=Replay gate s%3A fee%3A 5%25%0D%0Asee%2C now FAIL::fee: 5%25%0D%0Asee, "
        "now: 25.0%25 of 4 applicable cases passed, below 90%25",
    ]


def test_a_passing_gate_is_one_notice() -> None:
    gate = GateResult(
        run_id="r", criteria=(_criterion("apr", passed=4, applicable=4, threshold=0.5),)
    )
    assert annotations_text(gate, MANIFEST) == (
        "::notice title=Replay gate s::PASSED: all 1 criteria met their thresholds.\n"
    )


def _evil_case() -> FailingCase:
    return FailingCase(
        case_id="c\x1b1",
        repeat=2,
        tags={},
        facts={},
        turns=[],
        failures=[
            {
                "criterion": "apr",
                "status": "failed",
                "evidence": {"reason": "said ]]></x><script>&amp; `|` \x00 --> <!--"},
                "error": None,
            }
        ],
    )


def test_untrusted_reasons_are_inert_everywhere() -> None:
    gate = GateResult(
        run_id="r", criteria=(_criterion("apr", passed=1, applicable=4, threshold=0.9),)
    )
    summary = summary_markdown(gate, MANIFEST, [_evil_case()])
    row = next(line for line in summary.splitlines() if line.startswith("| c"))
    assert row == (
        "| c\ufffd1 \\[repeat 2\\] | apr failed: said \\]\\]&gt;&lt;/x&gt;&lt;script&gt;&amp;amp; "
        "\\`\\|\\` \ufffd --&gt; &lt;\\!-- |"
    )
    assert "<script>" not in summary and "-->" not in summary
    root = ET.fromstring(junit_xml(gate, MANIFEST, [_evil_case()]).encode())
    output = root.findtext("testsuite/testcase[@name='apr']/system-out") or ""
    assert output.splitlines()[-1] == (
        "c\ufffd1 [repeat 2]: apr failed: said ]]></x><script>&amp; `|` \ufffd --> <!--"
    )


def test_markdown_cell_neutralises_html_code_pipes_and_mentions() -> None:
    assert markdown_cell("<b>x</b> | `y` @z\n[l](u)") == (
        r"&lt;b&gt;x&lt;/b&gt; \| \`y\` @" + "\u200bz " + r"\[l\]\(u\)"
    )
    assert comment_marker("a--b") == "<!-- replay-gate:a-_b -->"


def test_junit_xml_counts_and_names(outcome: RunOutcome) -> None:
    """A testcase per criterion, failing when it fails the gate; the cases in system-out."""
    assert outcome.surfaces is not None
    root = ET.parse(outcome.surfaces.junit).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["mini"]
    suite = suites[0]
    for element in (root, suite):
        assert {k: element.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
            "tests": "2",
            "failures": "1",
            "errors": "0",
            "skipped": "0",
        }
        assert float(element.get("time", "x")) >= 0
    cases = [(c.get("classname"), c.get("name")) for c in suite.findall("testcase")]
    assert cases == [("mini.disclosures", "broker_status"), ("mini.disclosures", "apr")]
    assert suite.find("testcase[@name='broker_status']/failure") is None
    apr = suite.find("testcase[@name='apr']/failure")
    assert apr is not None
    assert apr.attrib == {
        "message": "40.0% of 5 applicable cases passed, below 90%",
        "type": "FAIL",
    }
    output = (suite.findtext("testcase[@name='apr']/system-out") or "").splitlines()
    assert "case-004: apr failed: wrong figure: apr stated 12.9, the case says 9.9" in output
    assert all(c.get("time") == "0" for c in suite.findall("testcase"))


def test_junit_xml_is_valid_against_the_schema(outcome: RunOutcome) -> None:
    assert outcome.surfaces is not None
    if importlib.util.find_spec("xmlschema") is not None:
        import xmlschema

        xmlschema.XMLSchema(str(XSD)).validate(str(outcome.surfaces.junit))
    elif importlib.util.find_spec("lxml") is not None:
        from lxml import etree

        schema = etree.XMLSchema(etree.parse(str(XSD)))
        document = etree.parse(str(outcome.surfaces.junit))
        assert schema.validate(document), schema.error_log
    else:
        pytest.skip("neither xmlschema nor lxml is installed; the structure is tested above")


def test_publish_step_summary_appends(outcome: RunOutcome, tmp_path: Path) -> None:
    assert outcome.surfaces is not None
    target = tmp_path / "step-summary.md"
    target.write_text("earlier step\n", encoding="utf-8")
    publish_step_summary(outcome.surfaces, target)
    assert target.read_text(encoding="utf-8") == (
        "earlier step\n" + outcome.surfaces.summary.read_text(encoding="utf-8")
    )


def test_cli_prints_the_summary_path_and_publishes_in_github_actions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.cli.main import main

    world = build_world(tmp_path / "world")
    scenario = world.write_scenario(thresholds={"default": 0.95, "criteria": {"apr": 0.9}})
    step_summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(world.root))
    out = tmp_path / "out"
    status = main(["run", str(scenario), "--out", str(out), "--db", str(tmp_path / "h.duckdb")])
    assert status == 1
    stdout = capsys.readouterr().out.splitlines()
    assert f"summary: {out / 'summary.md'}" in stdout
    # one error per failing criterion, each on its own threshold's line of the scenario
    lines = scenario.read_text(encoding="utf-8").splitlines()
    default_line = lines.index("  default: 0.95") + 1
    apr_line = lines.index("    apr: 0.9") + 1
    errors = [line for line in stdout if line.startswith("::error")]
    assert [e.split("::")[1] for e in errors] == [
        f"error file=scenarios/mini.yaml,line={default_line},"
        "title=Replay gate mini%3A broker_status FAIL",
        f"error file=scenarios/mini.yaml,line={apr_line},title=Replay gate mini%3A apr FAIL",
    ]
    assert step_summary.read_text(encoding="utf-8") == (out / "summary.md").read_text("utf-8")


def _annotation_places(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workspace: str
) -> list[str]:
    """The file and line properties of a failing real run's errors (no threshold in the
    scenario, so the 95% default fails both), with ``GITHUB_WORKSPACE`` at ``workspace``
    (relative to ``tmp_path``)."""
    world = build_world(tmp_path / "world")
    scenario = world.write_scenario(thresholds={})
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path / workspace))
    done = run_scenario(load_plan(scenario), out_dir=tmp_path / "out", db_path=tmp_path / "h")
    assert done is not None and done.surfaces is not None
    errors = done.surfaces.annotations.read_text(encoding="utf-8").splitlines()
    return [e.split("title=")[0] for e in errors]


def test_without_a_threshold_line_an_annotation_attaches_to_the_disclosure_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    places = _annotation_places(tmp_path, monkeypatch, "world")
    disclosures = tmp_path / "world" / "scenarios" / "disclosures"
    expected = []
    for criterion in ("broker_status", "apr"):
        lines = (disclosures / f"{criterion}.yaml").read_text(encoding="utf-8").splitlines()
        line = next(i for i, text in enumerate(lines, 1) if text.startswith("id:"))
        expected.append(f"::error file=scenarios/disclosures/{criterion}.yaml,line={line},")
    assert places == expected


def test_a_scenario_outside_the_repository_gets_no_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "elsewhere").mkdir()
    assert _annotation_places(tmp_path, monkeypatch, "elsewhere") == ["::error ", "::error "]


def test_the_repository_root_is_the_workspace_then_the_git_top_level_then_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout, workspace, elsewhere = tmp_path / "checkout", tmp_path / "ws", tmp_path / "else"
    for folder in (checkout / "scenarios", workspace, elsewhere):
        folder.mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=checkout, check=True, capture_output=True)
    monkeypatch.chdir(elsewhere)
    start = checkout / "scenarios"
    assert [
        repository_root(start, {"GITHUB_WORKSPACE": str(workspace)}),
        repository_root(start, {"GITHUB_WORKSPACE": ""}),  # empty counts as unset
        repository_root(start, {}),
        repository_root(tmp_path, {}),  # outside any checkout
    ] == [workspace.resolve(), checkout.resolve(), checkout.resolve(), elsewhere.resolve()]


def test_hostile_places_and_criteria_cannot_break_out_of_an_annotation() -> None:
    hostile = "x,line=1,title=t::owned\n::add-mask::secret\r::error::y"
    gate = GateResult(
        run_id="r",
        criteria=(_criterion(hostile, passed=1, applicable=4, threshold=0.9),),
    )
    places = {hostile: SourceLine(file=f"scenarios/{hostile}.yaml", line=3)}
    printed = workflow_commands(annotations_text(gate, MANIFEST, places))
    assert printed.count("\n") == 1 and printed.startswith("::error file=scenarios/x%2Cline=1")
    command, properties_end, message = printed.rstrip("\n").partition("::")[2].partition("::")
    assert properties_end == "::" and "\r" not in message  # a later "::" is only text
    properties = dict(p.split("=", 1) for p in command.removeprefix("error ").split(","))
    assert list(properties) == ["file", "line", "title"] and properties["line"] == "3"
    assert all(":" not in value for value in properties.values())


def test_cli_outside_github_actions_leaves_no_annotations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.cli.main import main

    world = build_world(tmp_path / "world")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    out = tmp_path / "out"
    assert main(["run", str(world.scenario), "--out", str(out), "--db", str(tmp_path / "h")]) == 0
    stdout = capsys.readouterr().out
    assert f"summary: {out / 'summary.md'}" in stdout.splitlines()
    assert "::" not in stdout


def test_pytest_plugin_prints_and_publishes(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(tmp_path / "world")
    out = tmp_path / "out"
    step_summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    result = pytester.runpytest_subprocess(
        "--harness-scenario",
        str(world.scenario),
        "--harness-db",
        str(tmp_path / "h.duckdb"),
        "--harness-out",
        str(out),
        "-p",
        "no:cacheprovider",
    )
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [f"summary: {out / 'summary.md'}", "::notice title=Replay gate mini::PASSED*"]
    )
    assert step_summary.read_text(encoding="utf-8") == (out / "summary.md").read_text("utf-8")


def _quoting_case() -> FailingCase:
    """A failure whose reasons quote what was said: a name (lower-cased, as evidence is
    normalised), a phone number and an email, as a judge's reasoning might."""
    return FailingCase(
        case_id="case-9",
        repeat=0,
        tags={},
        facts={"customer_first_name": "Grace"},
        turns=[],
        failures=[
            {
                "criterion": "commission",
                "status": "failed",
                "evidence": {
                    "reason": "judge: not presented: it only told grace to ring 07700 900123 "
                    "or write to grace@example.com; the grace period is not a disclosure"
                },
                "error": None,
            }
        ],
    )


@pytest.mark.parametrize(
    ("manifest", "reason"),
    [
        (
            MANIFEST,  # no policy recorded: redact everything
            "commission failed: judge: not presented: it only told [NAME] to ring [PHONE] "
            "or write to [EMAIL]; the [NAME] period is not a disclosure",
        ),
        (
            {**MANIFEST, "report": {"redaction": {"enabled": False}}},
            "commission failed: judge: not presented: it only told grace to ring 07700 900123 "
            "or write to grace@example.com; the grace period is not a disclosure",
        ),
    ],
)
def test_failing_case_reasons_are_redacted_as_the_manifest_says(
    manifest: dict[str, Any], reason: str
) -> None:
    gate = GateResult(
        run_id="r", criteria=(_criterion("commission", passed=1, applicable=4, threshold=0.9),)
    )
    case = _quoting_case()
    summary = summary_markdown(gate, manifest, [case])
    comment = pr_comment_markdown(gate, manifest, [case])
    assert f"| case-9 | {markdown_cell(reason, 400)} |" in summary.splitlines()
    assert f"| case-9 | {markdown_cell(reason, 400)} |" in comment.splitlines()
    root = ET.fromstring(junit_xml(gate, manifest, [case]).encode())
    output = root.findtext("testsuite/testcase[@name='commission']/system-out") or ""
    assert f"case-9: {reason}" in output.splitlines()
