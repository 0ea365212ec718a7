"""The HTML report of real runs, read back through a parser: figures, evidence, escaping."""

from __future__ import annotations

import base64
import gzip
import hashlib
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.config.redaction import RedactionPolicy, find_personal_data
from harness.corpus.cases import Case
from harness.gate.policy import GateResult
from harness.outputs.report import FailingCase, ReportData, render_report
from harness.outputs.report.embed import embed_cases
from harness.outputs.report.figures import percent, trends
from harness.outputs.report.marks import Segment, mark_spans, redacted_segments
from harness.outputs.report.render import points
from harness.outputs.report.views import case_anchor, case_summary, case_view
from harness.run.finish import RunOutcome, run_scenario
from harness.run.plan import load_plan
from harness.store.database import RunStore
from tests.world import build_world, default_cases, make_case

# Each part would run script if the report let it through; the markers let the browser test
# tell whether anything ran at all.
XSS_TEXT = (
    "<script>alert(1)</script><img src=x onerror=alert(1)>"
    '<script>window.__xss = "script"</script><img src=x onerror="window.__xss = \'img\'">'
)
XSS_TAG = '"><script>window.__xss = "tag"</script>'


def extra_cases() -> list[Case]:
    """Cases beyond the default five: a partial disclosure, a contradiction, an XSS payload."""
    return [
        make_case("case-006", ["We\u2019re a Credit Broker. Representative 9.9% APR.", "Ok"]),
        make_case(
            "case-007",
            ["We are a credit broker, not a lender. 9.9% APR.", "Actually WE ARE the lender."],
        ),
        make_case("case-xss", [XSS_TEXT, "Bye"], channel=XSS_TAG),
    ]


def run_world(root: Path, cases: list[Case] | None = None, **scenario: object) -> RunOutcome:
    """Build a world under ``root``, run its scenario (changed by ``scenario``), return the run."""
    world = build_world(root / "world", cases=cases)
    path = world.write_scenario(**scenario) if scenario else world.scenario  # type: ignore[arg-type]
    plan = load_plan(path)
    outcome = run_scenario(plan, out_dir=root / "out", db_path=root / "harness.duckdb")
    assert outcome is not None
    return outcome


# ---------------------------------------------------------------- a small DOM over html.parser


VOID = frozenset({"meta", "link", "br", "img", "hr", "input", "col", "wbr", "source", "area"})
# Elements a reader sees as separate: their text is kept apart by a space.
BLOCK = frozenset({"p", "div", "li", "dt", "dd", "td", "th", "tr", "br", "h1", "h2", "h3", "h4"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The element's text with whitespace collapsed, as a reader sees it."""
        return re.sub(r"\s+", " ", self._spaced_text()).strip()

    def _spaced_text(self) -> str:
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag in BLOCK:
                parts.append(f" {child._spaced_text()} ")
            else:
                parts.append(child._spaced_text())
        return "".join(parts)

    @property
    def raw_text(self) -> str:
        return "".join(c if isinstance(c, str) else c.raw_text for c in self.children)

    def iter(self) -> list[Element]:
        found = [self]
        for child in self.children:
            if isinstance(child, Element):
                found.extend(child.iter())
        return found

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.iter()
            if e.tag == tag and all(e.attrs.get(k) == v for k, v in attrs.items())
        ]

    def by_id(self, element_id: str) -> Element:
        matches = [e for e in self.iter() if e.attrs.get("id") == element_id]
        assert len(matches) == 1, f"expected one element with id {element_id!r}, got {matches}"
        return matches[0]

    def has_class(self, name: str) -> bool:
        return name in self.attrs.get("class", "").split()


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    assert [e.tag for e in builder.stack] == ["#document"], "unclosed elements"
    return builder.root


def table_rows(table: Element) -> list[list[str]]:
    body = table.find_all("tbody")[0]
    return [
        [cell.text for cell in row.iter()[1:] if cell.tag in ("th", "td")]
        for row in body.find_all("tr")
    ]


# ---------------------------------------------------------------- fixtures: real runs, once each


@pytest.fixture(scope="module")
def passing(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    """The world's recorded scenario as it is: both disclosures at or above 50%."""
    return run_world(tmp_path_factory.mktemp("passing"))


@pytest.fixture(scope="module")
def passing_doc(passing: RunOutcome) -> Element:
    return parse(passing.report_path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    """The default cases plus a partial disclosure, a contradiction and an XSS payload."""
    return run_world(tmp_path_factory.mktemp("rich"), cases=default_cases() + extra_cases())


@pytest.fixture(scope="module")
def rich_doc(rich: RunOutcome) -> Element:
    return parse(rich.report_path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- verdict and figures


def test_sections_come_in_reading_order_under_one_heading_tree(passing_doc: Element) -> None:
    sections = [s.attrs["id"] for s in passing_doc.find_all("section")]
    assert sections == [
        "verdict",
        "disclosures",
        "segments",
        "model-calls",
        "calibration",
        "failing-cases",
        "pass-sample",
        "versions",
    ]
    levels = [int(e.tag[1]) for e in passing_doc.iter() if re.fullmatch(r"h[1-6]", e.tag)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels


def test_passing_run_states_the_verdict_in_plain_words(
    passing: RunOutcome, passing_doc: Element
) -> None:
    verdict = passing_doc.by_id("verdict")
    assert verdict.find_all("h2")[0].text == "Verdict: PASSED"
    assert [p.text for p in verdict.find_all("p")] == [
        "The gate passed: all 2 disclosures met their thresholds on 5 replayed cases.",
        "Scenario mini: a small scenario for tests.",
        "Model recorded / production, prompt agent version 1.",
        "This scenario names no baseline, so there is no comparison.",
        "3 cases have at least one failing disclosure, within the thresholds; each is listed "
        "below with its transcript and the evidence.",
    ]
    title = passing_doc.find_all("title")[0].text
    assert title == f"Passed: replay gate for mini ({passing.run_id})"


# The Wilson 95% interval as text, then the interval bar's SVG title.
BROKER_INTERVAL = "23.1%\u201388.2% Interval 23.1%\u201388.2%, threshold 50%"  # 3 of 5
APR_INTERVAL = "15.0%\u201385.0% Interval 15.0%\u201385.0%, threshold {threshold}"  # 2 of 4


def test_criteria_table_has_exact_figures(passing_doc: Element) -> None:
    table = passing_doc.by_id("criteria")
    headers = table.find_all("thead")[0].find_all("th")
    assert [(h.text, h.attrs.get("scope")) for h in headers] == [
        ("Disclosure", "col"),
        ("Pass rate", "col"),
        ("95% interval", "col"),
        ("Passed / applicable", "col"),
        ("Errors", "col"),
        ("Threshold", "col"),
        ("Verdict", "col"),
        ("Scorer error (labelled set)", "col"),
        ("Corrected interval", "col"),
    ]
    assert table_rows(table) == [
        [
            "broker_status",
            "60.0%",
            BROKER_INTERVAL,
            "3 / 5",
            "0",
            "50%",
            "Pass",
            "wrong pass 0 of 0, wrong fail 2 of 5 (5 labelled)",
            "0.0% to 100.0%",
        ],
        [
            "apr",
            "50.0%",
            APR_INTERVAL.format(threshold="50%"),
            "2 / 4",
            "0",
            "50%",
            "Pass",
            "not measured",
            "n/a",
        ],
    ]


def test_model_call_totals(passing_doc: Element) -> None:
    table = passing_doc.by_id("calls")
    assert [h.text for h in table.find_all("thead")[0].find_all("th")] == ["Figure", "This run"]
    rows = table_rows(table)
    assert rows[:-2] == [
        ["Calls", "10"],
        ["Failed calls", "0"],
        ["Input tokens", "0"],
        ["Output tokens", "0"],
        ["Cache hits", "0"],
        ["Retries", "0"],
        ["Prompt-cache tokens read", "0"],
        ["Prompt-cache tokens written", "0"],
        ["Cost (USD)", "0.0000"],
    ]
    assert rows[-2][0] == "Median latency" and rows[-2][1].endswith(" ms")
    # the recorded provider answers at once: no call waited for a slot
    assert rows[-1] == ["Median wait for a call slot", "0.0 ms"]


def test_failed_gate_names_each_shortfall_and_the_baseline_delta(tmp_path: Path) -> None:
    # The baseline saw cases 1, 2 and 5: broker_status 2 of 3, apr 2 of 2.
    base_cases = [c for c in default_cases() if c.case_id in ("case-001", "case-002", "case-005")]
    base = run_world(tmp_path / "base", cases=base_cases, name="base")
    assert base is not None
    world = build_world(tmp_path / "cand")
    # The three-case baseline is inconclusive (so failed) on its own gate: take it anyway.
    world.write_scenario(
        baseline={"scenario": "base", "passing": False},
        thresholds={"default": 0.5, "criteria": {"apr": 0.9}},
    )
    cand = run_scenario(
        load_plan(world.scenario),
        out_dir=tmp_path / "out",
        db_path=tmp_path / "base/harness.duckdb",
    )
    assert cand is not None
    doc = parse(cand.report_path.read_text(encoding="utf-8"))

    verdict = doc.by_id("verdict")
    assert verdict.has_class("verdict-fail")
    assert verdict.find_all("h2")[0].text == "Verdict: FAILED"
    texts = [p.text for p in verdict.find_all("p")] + [li.text for li in verdict.find_all("li")]
    assert texts[0] == (
        "The gate failed: 1 of 2 disclosures fell below its threshold on 5 replayed cases."
    )
    assert (
        "apr: 50.0% passed (2 of 4 applicable cases), 40.0 percentage points below its 90% "
        "threshold." in texts
    )
    assert (
        f"Against the baseline run {base.run_id}: broker_status \u22126.7 pts; "
        "apr \u221250.0 pts." in texts
    )
    table = doc.by_id("criteria")
    assert table.find_all("thead")[0].find_all("th")[-2].text == "Vs baseline"
    assert table_rows(table) == [
        [
            "broker_status",
            "60.0%",
            BROKER_INTERVAL,
            "3 / 5",
            "0",
            "50%",
            "Pass",
            "wrong pass 0 of 0, wrong fail 2 of 5 (5 labelled)",
            "0.0% to 100.0%",
            "\u22126.7 pts (was 66.7%)",
            "2 both pass, 0 pass\u2192fail, 0 fail\u2192pass, 1 both fail; p = 1: "
            "no significant change",
        ],
        [
            "apr",
            "50.0%",
            APR_INTERVAL.format(threshold="90%"),
            "2 / 4",
            "0",
            "90%",
            "Fail below threshold",
            "not measured",
            "n/a",
            "\u221250.0 pts (was 100.0%)",
            "2 both pass, 0 pass\u2192fail, 0 fail\u2192pass, 0 both fail; p = 1: "
            "no significant change",
        ],
    ]


def test_disclosure_without_applicable_cases_is_shown_as_failing(tmp_path: Path) -> None:
    outcome = run_world(tmp_path, corpus={"paths": ["../corpus"], "tags": {"channel": "phone"}})
    assert outcome is not None
    doc = parse(outcome.report_path.read_text(encoding="utf-8"))
    assert table_rows(doc.by_id("criteria"))[1] == [
        "apr",
        "n/a",
        "n/a",
        "0 / 0",
        "0",
        "50%",
        "Fail no applicable cases",
        "not measured",
        "n/a",
    ]
    assert [li.text for li in doc.by_id("verdict").find_all("li")] == [
        "broker_status: 0.0% passed (0 of 1 applicable cases), 50.0 percentage points below "
        "its 50% threshold.",
        "apr: no applicable cases in the corpus selection, so nothing was checked. "
        "A disclosure with no applicable cases fails the gate.",
    ]


# ---------------------------------------------------------------- failing cases and evidence


def test_every_failing_case_is_listed_with_its_reasons(passing_doc: Element) -> None:
    index = {row[0]: row[2] for row in table_rows(passing_doc.by_id("failing-index"))}
    assert index == {
        "case-003": "apr failed: after the deadline: apr broker_status failed: after the "
        "deadline: is_broker, not_lender",
        "case-004": "apr failed: wrong figure: apr stated 12.9, the case says 9.9",
        "case-005": "broker_status failed: missing: is_broker, not_lender",
    }
    articles = passing_doc.by_id("failing-cases").find_all("article")
    assert [a.attrs["id"] for a in articles] == ["case-case-003", "case-case-004", "case-case-005"]
    links = [a.attrs["href"] for a in passing_doc.by_id("failing-index").find_all("a")]
    assert links == ["#case-case-003", "#case-case-004", "#case-case-005"]


def test_failing_case_shows_tags_facts_evidence_and_turns(passing_doc: Element) -> None:
    case = passing_doc.by_id("case-case-003")
    pairs = case.find_all("dl")[0]
    assert [d.text for d in pairs.find_all("dd")] == [
        "channel: online",
        "apr = 9.9 broker = Warm Homes Finance",
    ]
    failures = [f for f in case.find_all("div") if f.has_class("failure")]
    assert [f.text for f in failures] == [
        "apr: failed after the deadline: apr Deadline before offer_presented (turn 2) "
        "Said after the deadline apr, first at turn 4",
        "broker_status: failed after the deadline: is_broker, not_lender Deadline before "
        "offer_presented (turn 2) Said after the deadline is_broker, first at turn 4 "
        "not_lender, first at turn 4",
    ]
    turns = case.find_all("ol")[0].find_all("li", **{"class": "turn turn-agent cited"})
    assert [t.attrs["id"] for t in turns] == ["case-case-003-t4"]
    transcript = [
        (li.attrs["id"], li.attrs["class"])
        for li in case.find_all("ol")[0].children
        if isinstance(li, Element)
    ]
    assert transcript == [
        ("case-case-003-t0", "turn turn-customer"),
        ("case-case-003-t1", "turn turn-agent"),
        ("case-case-003-t2", "turn turn-event cited"),
        ("case-case-003-t3", "turn turn-customer"),
        ("case-case-003-t4", "turn turn-agent cited"),
    ]
    event = passing_doc.by_id("case-case-003-t2")
    assert event.text == (
        "Turn 2 · Event: offer_presented · cited "
        "apr: the deadline; its key facts had to come before this "
        "broker_status: the deadline; its key facts had to come before this"
    )
    assert passing_doc.by_id("case-case-003-t4").find_all("ul")[0].text == (
        "apr: said here, after the deadline (apr) "
        "broker_status: said here, after the deadline (is_broker, not_lender)"
    )


def test_matched_spans_and_contradictions_are_marked_in_the_transcript(rich_doc: Element) -> None:
    partial = rich_doc.by_id("case-case-006")
    assert "Missing we are not the lender (not_lender)" in partial.text
    assert "is_broker at turn 1: \u201cwe're a credit broker\u201d (exact wording)" in partial.text
    assert [m.text for m in rich_doc.by_id("case-case-006-t1").find_all("mark")] == [
        "We\u2019re a Credit Broker"
    ]
    contradicted = rich_doc.by_id("case-case-007")
    assert "Contradiction at turn 4: \u201cwe are the lender\u201d" in contradicted.text
    turn = rich_doc.by_id("case-case-007-t4")
    assert turn.has_class("cited")
    assert [m.text for m in turn.find_all("mark")] == ["WE ARE the lender"]
    assert "broker_status: contradicted here (\u201cwe are the lender\u201d)" in turn.text


def test_a_case_that_could_not_be_replayed_shows_its_error(
    passing: RunOutcome, tmp_path: Path
) -> None:
    message = "model call for turn 1 failed: ReadTimeout: timed out"
    errored = FailingCase(
        case_id="case-err",
        repeat=0,
        tags={},
        facts={},
        turns=[{"role": "customer", "text": "Hello", "event": None}],
        failures=[{"criterion": "apr", "status": "error", "evidence": {}, "error": message}],
        error=message,
    )
    manifest = json.loads(passing.manifest_path.read_text(encoding="utf-8"))
    data = ReportData(
        gate=passing.gate, manifest=manifest, failing_cases=[errored], failing_cases_total=1
    )
    doc = parse(render_report(data, tmp_path / "report.html").read_text(encoding="utf-8"))
    case = doc.by_id("case-case-err")
    assert [d.text for d in case.find_all("dd")] == ["none", "none", message]
    failures = [f for f in case.find_all("div") if f.has_class("failure")]
    assert [(f.find_all("h4")[0].text, f.find_all("p")[0].text) for f in failures] == [
        ("apr: error", f"The disclosure could not be scored: {message}")
    ]
    assert table_rows(doc.by_id("failing-index")) == [["case-err", "", f"apr error: {message}"]]


def test_repeats_get_their_own_anchors(tmp_path: Path) -> None:
    outcome = run_world(tmp_path, cases=default_cases()[2:4], repeats=2, repeat_policy="mean")
    assert outcome is not None
    doc = parse(outcome.report_path.read_text(encoding="utf-8"))
    ids = [e.attrs["id"] for e in doc.iter() if "id" in e.attrs]
    assert len(ids) == len(set(ids))
    assert [a.attrs["id"] for a in doc.by_id("failing-cases").find_all("article")] == [
        "case-case-003-r0",
        "case-case-003-r1",
        "case-case-004-r0",
        "case-case-004-r1",
    ]
    assert doc.by_id("case-case-003-r1-title").text == "Case case-003, repeat 1"


def test_truncated_failing_cases_say_showing_n_of_m(passing: RunOutcome, tmp_path: Path) -> None:
    manifest = json.loads(passing.manifest_path.read_text(encoding="utf-8"))
    with RunStore(passing.out_dir.parent / "harness.duckdb") as store:
        rows = store.report_cases(passing.run_id, None, limit=1)
        data = ReportData(
            gate=passing.gate,
            manifest=manifest,
            failing_cases=[FailingCase.from_store_row(r) for r in rows],
            failing_cases_total=store.failing_case_count(passing.run_id),
            call_totals=store.call_totals(passing.run_id),
        )
    doc = parse(render_report(data, tmp_path / "report.html").read_text(encoding="utf-8"))
    section = doc.by_id("failing-cases")
    assert "Showing 1 of 3;" in section.find_all("p")[0].text
    assert [a.attrs["id"] for a in doc.find_all("article")] == ["case-case-003"]


def test_report_renders_without_call_totals_or_failing_cases(
    passing: RunOutcome, tmp_path: Path
) -> None:
    manifest = json.loads(passing.manifest_path.read_text(encoding="utf-8"))
    gate = GateResult(run_id=passing.run_id, criteria=())
    data = ReportData(gate=gate, manifest=manifest, failing_cases=[], failing_cases_total=0)
    doc = parse(render_report(data, tmp_path / "r.html").read_text(encoding="utf-8"))
    assert doc.by_id("model-calls").find_all("p")[0].text == (
        "No model-call figures were recorded for this run."
    )
    assert doc.by_id("failing-cases").find_all("p")[0].text == (
        "No case failed or errored on any disclosure."
    )


# ---------------------------------------------------------------- the versions that ran


def test_versions_section_holds_the_manifest(passing: RunOutcome, passing_doc: Element) -> None:
    manifest = json.loads(passing.manifest_path.read_text(encoding="utf-8"))
    text = passing_doc.by_id("versions").text
    for expected in (
        f"Run id {manifest['run_id']}",
        f"SHA-256 {manifest['scenario']['sha256']}",
        f"File {manifest['scenario']['path']}",
        f"SHA-256 {manifest['prompt']['sha256']}",
        f"SHA-256 {manifest['corpus']['sha256']}",
        "Provider recorded Model id production Options none (provider defaults)",
        "Name agent Version 1",
        "Cases replayed 5",
        f"Files (1) {manifest['corpus']['files'][0]}",
        "Harness version ",
        # The world is a temporary folder outside any git checkout.
        "Git commit not a git repository Harness version",
    ):
        assert expected in text, expected
    assert "Uncommitted changes" not in text
    assert table_rows(passing_doc.by_id("disclosure-versions")) == [
        ["broker_status", "1", "approved", "A. Compliance", "2026-01-10", "50%", d_hash]
        if d["id"] == "broker_status"
        else ["apr", "2", "approved", "A. Compliance", "not recorded", "50%", d_hash]
        for d in manifest["disclosures"]
        for d_hash in [d["sha256"]]
    ]
    times = [t.attrs["datetime"] for t in passing_doc.by_id("versions").find_all("time")]
    assert times == [manifest["started_at"], manifest["finished_at"], "2026-01-10"]


def test_each_disclosure_in_force_shows_its_approved_wording(passing_doc: Element) -> None:
    wordings = [a for a in passing_doc.find_all("div") if a.has_class("wording")]
    assert [a.text for a in wordings] == [
        "Broker status (broker_status v1) Approved, approved by A. Compliance on 2026-01-10. "
        "We are a credit broker, not a lender. Key facts the scorer looks for: "
        "we are a broker (is_broker) we are not the lender (not_lender)",
        "APR (apr v2) Approved, approved by A. Compliance (date not recorded). "
        "Representative {apr}% APR. Key facts the scorer looks for: the APR (apr)",
    ]
    # The versions table links each disclosure to its wording.
    links = passing_doc.by_id("disclosure-versions").find_all("a")
    assert [a.attrs["href"] for a in links] == ["#wording-broker_status", "#wording-apr"]


@pytest.mark.parametrize(
    ("git", "commit", "dirty"),
    [
        ({"state": "not_a_repository"}, "not a git repository", None),
        (
            {"state": "no_commit", "branch": "main", "dirty": True},
            "no commit yet",
            "yes: nothing is committed yet",
        ),
        (
            {"state": "commit", "commit": "ab" * 20, "dirty": True},
            "ab" * 20,
            "yes: the work tree differed from the commit",
        ),
        ({"state": "commit", "commit": "ab" * 20, "dirty": False}, "ab" * 20, "no"),
        # A manifest written before the state was recorded.
        ({"commit": None, "dirty": None}, "not recorded", None),
    ],
)
def test_the_git_state_is_stated_exactly(
    passing: RunOutcome, tmp_path: Path, git: dict[str, Any], commit: str, dirty: str | None
) -> None:
    manifest = json.loads(passing.manifest_path.read_text(encoding="utf-8"))
    data = ReportData(
        gate=passing.gate,
        manifest={**manifest, "git": git},
        failing_cases=[],
        failing_cases_total=0,
    )
    doc = parse(render_report(data, tmp_path / "report.html").read_text(encoding="utf-8"))
    assert doc.by_id("git-commit").text == commit
    if dirty is None:
        assert not [e for e in doc.iter() if e.attrs.get("id") == "git-dirty"]
    else:
        assert doc.by_id("git-dirty").text == dirty


# ---------------------------------------------------------------- self-contained and safe


def test_report_is_self_contained_under_a_strict_csp(rich: RunOutcome, rich_doc: Element) -> None:
    html = rich.report_path.read_text(encoding="utf-8")
    assert not re.search(r"https?://", html, re.IGNORECASE)
    assert not rich_doc.find_all("link")
    assert not [e for e in rich_doc.iter() if "src" in e.attrs or "style" in e.attrs]
    assert {a.attrs["href"][0] for a in rich_doc.find_all("a")} == {"#"}

    # Two script elements: the inert JSON data block and the report's own script.
    data, script = rich_doc.find_all("script")
    assert data.attrs == {"type": "application/json", "id": "failing-data"}
    assert script.attrs == {}
    [csp] = rich_doc.find_all("meta", **{"http-equiv": "Content-Security-Policy"})
    [style] = rich_doc.find_all("style")

    def digest(element: Element) -> str:
        return base64.b64encode(hashlib.sha256(element.raw_text.encode()).digest()).decode()

    assert csp.attrs["content"] == (
        f"default-src 'none'; style-src 'sha256-{digest(style)}'; "
        f"script-src 'sha256-{digest(script)}'; require-trusted-types-for 'script'; "
        "trusted-types 'none'; base-uri 'none'; form-action 'none'"
    )
    assert "@media print" in style.raw_text
    # Nothing in the script could end its element early or open an HTML comment.
    assert "</script" not in script.raw_text.lower() and "<!--" not in script.raw_text
    # The script builds the DOM from text only: no HTML sink, no eval, no timers from strings.
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script.raw_text, sink


def test_untrusted_case_and_model_text_is_escaped(rich: RunOutcome, rich_doc: Element) -> None:
    html = rich.report_path.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert not [e for e in rich_doc.iter() if any(k.startswith("on") for k in e.attrs)]

    anchor = "case-case-xss"
    turn = rich_doc.by_id(f"{anchor}-t1").find_all("p")[0]
    assert turn.raw_text == XSS_TEXT  # shown exactly as said, as text
    assert f"channel: {XSS_TAG}" in rich_doc.by_id(anchor).text


# ---------------------------------------------------------------- helpers, table-driven


@pytest.mark.parametrize(
    ("text", "spans", "marked"),
    [
        ("We\u2019re a Credit-Broker!", ["we're a credit broker"], ["We\u2019re a Credit-Broker"]),
        ("Borrow £10,000 today", ["borrow £10000"], ["Borrow £10,000"]),
        ("9.9% APR, 9.9% apr", ["9.9% apr"], ["9.9% APR", "9.9% apr"]),
        ("we are a credit broker", ["a credit", "credit broker"], ["a credit broker"]),
        ("Nothing relevant", ["not a lender"], []),
        ("", ["x"], []),
    ],
)
def test_mark_spans_finds_normalised_spans_in_the_original_text(
    text: str, spans: list[str], marked: list[str]
) -> None:
    segments = mark_spans(text, spans)
    assert "".join(s.text for s in segments) == text
    assert [s.text for s in segments if s.marked] == marked


def test_mark_spans_keeps_unmarked_text_between_marks() -> None:
    assert mark_spans("a not a lender b", ["not a lender"]) == [
        Segment("a ", marked=False),
        Segment("not a lender", marked=True),
        Segment(" b", marked=False),
    ]


@pytest.mark.parametrize(
    ("rate", "places", "expected"),
    [
        (0.5, 1, "50.0%"),
        (0.6667, 1, "66.7%"),
        (0.95, 0, "95%"),
        (0.975, 0, "97.5%"),
        (None, 1, "n/a"),
    ],
)
def test_percent(rate: float | None, places: int, expected: str) -> None:
    assert percent(rate, places) == expected


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (0.1, "+10.0 pts"),
        (-0.0667, "\u22126.7 pts"),
        (0.0, "±0.0 pts"),
        (1e-9, "±0.0 pts"),
        (None, "n/a"),
    ],
)
def test_points(delta: float | None, expected: str) -> None:
    assert points(delta) == expected


@pytest.mark.parametrize(
    ("case_id", "repeat", "repeats", "expected"),
    [
        ("case-001", 0, 1, "case-case-001"),
        ("case-001", 2, 3, "case-case-001-r2"),
        ("a b", 0, 1, "case-a-b-c8687a08"),
        ("a:b", 0, 1, "case-a:b"),
    ],
)
def test_case_anchor_is_a_valid_unique_id(
    case_id: str, repeat: int, repeats: int, expected: str
) -> None:
    assert case_anchor(case_id, repeat, repeats) == expected


# ---------------------------------------------------------------- against a baseline, redacted

GOOD = "We are a credit broker, not a lender. Representative 9.9% APR."
GREETING = {
    "id": "greeting",
    "title": "Greeting",
    "purpose": "The agent greets the customer by name and offers help.",
    "versions": [
        {
            "version": 1,
            "status": "approved",
            "approved_by": "A. Compliance",
            "approved_on": "2026-01-10",
            "wording": "Hello {customer_first_name}, how can I help?",
            "key_facts": [
                {
                    "id": "greets_by_name",
                    "description": "greets the customer by name",
                    "phrases": ["hello {customer_first_name}"],
                },
                {
                    "id": "offers_help",
                    "description": "offers help",
                    "phrases": ["how can i help"],
                    "may_be_asked": True,
                },
            ],
        }
    ],
}
# What the candidate's case-002 says: no broker status (newly failing), and personal data.
LEAKY = "Hello Alan, representative 9.9% APR. Email alan@example.com or call 07700 900123."
PERSONAL = ("Alan", "Smith", "alan@example.com", "07700 900123", "04/07/1981", "SW1A 1AA")


def named(case_id: str, name: str, agent_texts: list[str], **tags: Any) -> Case:
    """A :func:`make_case` conversation with the customer's name in its facts."""
    case = make_case(case_id, agent_texts, **tags)
    return case.model_copy(update={"facts": {**case.facts, "customer_first_name": name}})


def hello(name: str, text: str) -> str:
    return f"Hello {name}, how can I help? {text}"


def compared_cases(candidate: bool, answers: Mapping[str, str] | None = None) -> list[Case]:
    """Five cases; against the baseline, the candidate's case-002 and case-005 newly fail,
    case-003 newly passes, and case-000 fails in both runs. ``answers``: more cases (id →
    the candidate's first answer, after a greeting), each answered well in the baseline."""

    alan = named(
        "case-002",
        "Alan",
        [LEAKY if candidate else f"Hello Alan, {GOOD}", "Bye"],
        channel="online",
        referred_by="alan@example.com",  # a tag holding personal data: a segment, redacted
    )
    said = "I'm Alan Smith, born on 04/07/1981, at SW1A 1AA; how much is it?"
    alan = alan.model_copy(
        update={
            "facts": {**alan.facts, "customer_last_name": "Smith"},
            "turns": (alan.turns[0].model_copy(update={"text": said}), *alan.turns[1:]),
        }
    )
    wrong = GOOD.replace("9.9", "12.9")
    more = [
        named(case_id, "Fay", [hello("Fay", said if candidate else GOOD), "Bye"])
        for case_id, said in (answers or {}).items()
    ]
    return [
        named("case-000", "Bea", [hello("Bea", "Let me see."), GOOD], channel="phone"),
        named("case-001", "Cal", [hello("Cal", GOOD), "Thanks"]),
        alan,
        named("case-003", "Dee", [hello("Dee", GOOD if candidate else wrong), "Bye"]),
        named("case-005", "Eve", [hello("Eve", wrong if candidate else GOOD), "Ok"]),
        *more,
    ]


@dataclass(frozen=True)
class Compared:
    base: RunOutcome
    cand: RunOutcome
    db: Path


def run_compared(
    root: Path, *, answers: Mapping[str, str] | None = None, **scenario: object
) -> Compared:
    """The baseline scenario ``base`` and the candidate ``mini`` (changed by ``scenario``),
    each over its own corpus of the same case ids (see :func:`compared_cases`), in one run
    database."""
    db = root / "harness.duckdb"
    outcomes = []
    for name, candidate in (("base", False), ("mini", True)):
        world = build_world(root / name, cases=compared_cases(candidate, answers))
        path = root / name / "scenarios" / "disclosures" / "greeting.yaml"
        path.write_text(json.dumps(GREETING), encoding="utf-8")  # JSON is YAML
        extra: dict[str, object] = (
            {"baseline": {"scenario": "base"}, **scenario} if candidate else {}
        )
        file = world.write_scenario(
            name,
            disclosures={"versions": {"broker_status": 1, "apr": 2, "greeting": 1}},
            **extra,
        )
        outcome = run_scenario(load_plan(file), out_dir=root / f"{name}-out", db_path=db)
        assert outcome is not None
        outcomes.append(outcome)
    return Compared(outcomes[0], outcomes[1], db)


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Compared:
    return run_compared(tmp_path_factory.mktemp("compared"))


@pytest.fixture(scope="module")
def compared_doc(compared: Compared) -> Element:
    return parse(compared.cand.report_path.read_text(encoding="utf-8"))


def test_newly_failing_cases_come_first_and_every_case_links_both_ways(
    compared_doc: Element,
) -> None:
    articles = [a.attrs["id"] for a in compared_doc.by_id("failing-cases").find_all("article")]
    assert articles == ["case-case-002", "case-case-005", "case-case-000"]
    assert [row.attrs["id"] for row in compared_doc.by_id("failing-index").find_all("tr")[1:]] == [
        "index-case-case-002",
        "index-case-case-005",
        "index-case-case-000",
    ]
    assert [r[-1] for r in table_rows(compared_doc.by_id("failing-index"))] == [
        "\u2717 Newly failing broker_status",
        "\u2717 Newly failing apr",
        "no change against the baseline",
    ]
    flips = compared_doc.by_id("flips")
    assert [
        (row.attrs.get("id"), [a.attrs["href"] for a in row.find_all("a")], row.text)
        for row in flips.find_all("tr")[1:]
    ] == [
        (
            "flip-case-case-002",
            ["#case-case-002"],
            "case-002 broker_status \u2717 Newly failing passed in the baseline",
        ),
        (
            "flip-case-case-005",
            ["#case-case-005"],
            "case-005 apr \u2717 Newly failing passed in the baseline",
        ),
        (
            None,
            [],
            "case-003 apr \u2713 Newly passing failed in the baseline; now passes every disclosure",
        ),
    ]

    def nav(anchor: str) -> list[tuple[str, str]]:
        [links] = compared_doc.by_id(anchor).find_all("nav")
        return [(a.attrs["href"], a.text) for a in links.find_all("a")]

    assert nav("case-case-002") == [
        ("#index-case-case-002", "\u2191 Back to the list"),
        ("#flip-case-case-002", "\u2191 Back to flipped cases"),
        ("#case-case-005", "Next case \u2192"),
    ]
    assert nav("case-case-000") == [
        ("#case-case-005", "\u2190 Previous case"),
        ("#index-case-case-000", "\u2191 Back to the list"),
    ]
    assert compared_doc.by_id("case-case-002-title").text == "Case case-002 \u2717 newly failing"
    assert compared_doc.by_id("case-case-000-title").text == "Case case-000"


def test_a_failing_case_shows_the_baseline_beside_this_run(compared_doc: Element) -> None:
    case = compared_doc.by_id("case-case-002")
    [verdicts] = [t for t in case.find_all("table") if t.has_class("verdicts")]
    assert table_rows(verdicts) == [
        ["apr", "\u2713 passed", "\u2713 passed", "no change"],
        ["broker_status", "\u2713 passed", "\u2717 failed", "\u2717 newly failing"],
        ["greeting", "\u2717 failed", "\u2717 failed", "no change"],
    ]
    headings = [f.find_all("h4")[0].text for f in case.find_all("div") if f.has_class("failure")]
    assert headings == [
        "broker_status: failed (baseline: \u2713 passed)",
        "greeting: failed (baseline: \u2717 failed)",
    ]
    # Customer turns and events once, across both columns; agent turns side by side.
    rows = [li for li in case.find_all("ol")[0].children if isinstance(li, Element)]
    assert [(li.attrs["id"], li.attrs["class"]) for li in rows] == [
        ("case-case-002-t0", "turn turn-customer"),
        ("case-case-002-t1", "turn-pair"),
        ("case-case-002-t2", "turn turn-event cited"),
        ("case-case-002-t3", "turn turn-customer"),
        ("case-case-002-t4", "turn-pair"),
    ]
    before, now = [d for d in rows[1].children if isinstance(d, Element)]
    assert before.attrs == {
        "id": "case-case-002-b1",
        "class": "turn turn-agent turn-baseline cited",
    }
    assert now.attrs == {"class": "turn turn-agent turn-now cited"}
    # What matched in the baseline is highlighted there; the name stays redacted, even in a mark.
    assert [m.text for m in before.find_all("mark")] == [
        "Hello [NAME]",
        "We are a credit broker",
        "not a lender",
    ]
    assert before.find_all("p")[0].text == (
        "Hello [NAME], We are a credit broker, not a lender. Representative 9.9% APR."
    )
    assert [li.text for li in before.find_all("li")] == [
        "broker_status: key facts found here (is_broker, not_lender)",
        "greeting: key facts found here (greets_by_name)",
    ]
    assert [m.text for m in now.find_all("mark")] == ["Hello [NAME]"]
    assert [s.text for s in now.find_all("span")] == [
        "Turn 1",
        "agent, this run",
        "changed",
        "cited",
    ]
    assert now.find_all("p")[0].text == (
        "Hello [NAME], representative 9.9% APR. Email [EMAIL] or call [PHONE]."
    )
    # The deadline event is shared, and cited by this run's evidence.
    assert "broker_status: the deadline; its key facts had to come before this" in rows[2].text
    _, last_now = [d for d in rows[4].children if isinstance(d, Element)]
    assert [s.text for s in last_now.find_all("span")] == [
        "Turn 4",
        "agent, this run",
        "same words",
    ]


def test_personal_data_is_redacted_in_the_report_and_the_ci_surfaces(compared: Compared) -> None:
    outcome = compared.cand
    assert outcome.surfaces is not None
    written = {
        path.name: path.read_text(encoding="utf-8")
        for path in (
            outcome.report_path,
            outcome.surfaces.summary,
            outcome.surfaces.pr_comment,
            outcome.surfaces.annotations,
            outcome.surfaces.junit,
        )
    }
    for name, text in written.items():
        for secret in PERSONAL:
            assert secret not in text, (name, secret)
    doc = parse(written["report.html"])
    assert doc.by_id("case-case-002-t0").find_all("p")[0].text == (
        "I'm [NAME] [NAME], born on [DATE_OF_BIRTH], at [POSTCODE]; how much is it?"
    )
    assert "customer_first_name = [NAME] customer_last_name = [NAME]" in (
        doc.by_id("case-case-002").find_all("dl")[0].text
    )
    segments = {row[0] for row in table_rows(doc.by_id("segment-table"))}
    assert "referred_by = [EMAIL]" in segments
    assert doc.by_id("redaction-policy").text == (
        "on: names (from the case facts), email addresses, phone numbers, postcodes, dates of "
        "birth, National Insurance numbers, account, sort-code and card numbers are replaced "
        "by a [KIND] placeholder"
    )
    manifest = json.loads(outcome.manifest_path.read_text(encoding="utf-8"))
    assert manifest["report"]["redaction"]["enabled"] is True
    assert manifest["report"]["redaction"]["name_facts"][0] == "customer_first_name"


def test_a_number_in_an_approved_wording_is_kept_and_a_customer_s_is_not(tmp_path: Path) -> None:
    world = build_world(tmp_path / "world", cases=[
        make_case("case-001", ["Hello. Free help: 0800 138 7777 or 08001387777.", "Bye"]),
        make_case("case-002", ["My mobile is 07700 900123, call 0800 138 7777.", "Bye"]),
    ])  # fmt: skip
    path = world.root / "scenarios" / "disclosures" / "broker_status.yaml"
    registry = yaml.safe_load(path.read_text(encoding="utf-8"))
    registry["versions"][0]["wording"] += " Free help: 0800 138 7777."
    path.write_text(yaml.safe_dump(registry), encoding="utf-8")
    outcome = run_scenario(
        load_plan(world.scenario), out_dir=tmp_path / "out", db_path=tmp_path / "h.duckdb"
    )
    assert outcome is not None
    manifest = json.loads(outcome.manifest_path.read_text(encoding="utf-8"))
    assert manifest["report"]["redaction"]["keep"] == ["0800 138 7777"]
    doc = parse(outcome.report_path.read_text(encoding="utf-8"))
    assert doc.by_id("case-case-001-t1").find_all("p")[0].text == (
        "Hello. Free help: 0800 138 7777 or 08001387777."
    )
    assert doc.by_id("case-case-002-t1").find_all("p")[0].text == (
        "My mobile is [PHONE], call 0800 138 7777."
    )
    assert "always kept: 0800 138 7777" in doc.by_id("redaction-policy").text
    summary = outcome.surfaces.summary.read_text(encoding="utf-8") if outcome.surfaces else ""
    assert "07700 900123" not in summary


def test_redaction_can_be_turned_off_for_internal_use(tmp_path: Path) -> None:
    runs = run_compared(tmp_path, report={"redaction": False})
    html = runs.cand.report_path.read_text(encoding="utf-8")
    for secret in PERSONAL:
        assert secret in html, secret
    doc = parse(html)
    assert doc.by_id("redaction-policy").text == (
        "off: the report shows case text as recorded (internal use only)"
    )
    assert doc.by_id("case-case-002-b1").find_all("mark")[0].text == "Hello Alan"
    manifest = json.loads(runs.cand.manifest_path.read_text(encoding="utf-8"))
    assert manifest["report"]["redaction"]["enabled"] is False


def test_model_calls_are_set_against_the_baseline(compared_doc: Element) -> None:
    table = compared_doc.by_id("calls")
    assert [h.text for h in table.find_all("thead")[0].find_all("th")] == [
        "Figure",
        "This run",
        "Baseline",
        "Change",
    ]
    rows = {row[0]: row[1:] for row in table_rows(table)}
    # The recorded provider answers every agent turn: 2 per case, 5 cases in each run.
    assert rows["Calls"] == ["10", "10", "\u00b10 (no change)"]
    assert rows["Cost (USD)"] == ["0.0000", "0.0000", "\u00b10 (no change)"]
    assert rows["Cache hits"] == ["0", "0", "\u00b10 (no change)"]
    assert list(rows) == [
        "Calls",
        "Failed calls",
        "Input tokens",
        "Output tokens",
        "Cache hits",
        "Retries",
        "Prompt-cache tokens read",
        "Prompt-cache tokens written",
        "Cost (USD)",
        "Median latency",
        "Median wait for a call slot",
    ]


def test_each_criterion_has_a_trend_over_the_scenario_s_runs(tmp_path: Path) -> None:
    world = build_world(tmp_path / "world")
    db = tmp_path / "harness.duckdb"
    run_scenario(load_plan(world.scenario), out_dir=tmp_path / "one", db_path=db)
    world.write_scenario(thresholds={"default": 0.5, "criteria": {"apr": 0.9}})
    second = run_scenario(load_plan(world.scenario), out_dir=tmp_path / "two", db_path=db)
    assert second is not None
    doc = parse(second.report_path.read_text(encoding="utf-8"))
    sparks = [s for s in doc.by_id("criteria").find_all("svg") if s.has_class("sparkline")]
    assert [(s.attrs["role"], s.attrs["aria-label"]) for s in sparks] == [
        (
            "img",
            "Pass rate in the last 2 runs, oldest first: 60.0%, 60.0% (this run); threshold 50%",
        ),
        (
            "img",
            "Pass rate in the last 2 runs, oldest first: 50.0%, 50.0% (this run); threshold 90%",
        ),
    ]
    assert [s.find_all("title")[0].text for s in sparks] == [s.attrs["aria-label"] for s in sparks]
    # Two points on the line, the last one (this run) marked with a dot.
    assert [s.find_all("polyline")[0].attrs["points"].count(",") for s in sparks] == [2, 2]
    assert all(s.find_all("circle") for s in sparks)


def test_the_embedded_list_escapes_case_text_and_decodes_to_the_same_view(
    rich: RunOutcome, tmp_path: Path
) -> None:
    manifest = json.loads(rich.manifest_path.read_text(encoding="utf-8"))
    with RunStore(rich.out_dir.parent / "harness.duckdb") as store:
        cases = [FailingCase.from_store_row(r) for r in store.report_cases(rich.run_id, None)]
    data = ReportData(
        gate=rich.gate,
        manifest=manifest,
        failing_cases=cases,
        failing_cases_total=len(cases),
        html_cases=1,
    )
    html = render_report(data, tmp_path / "report.html").read_text(encoding="utf-8")
    doc = parse(html)
    [block] = [s for s in doc.find_all("script") if s.attrs.get("id") == "failing-data"]
    raw = block.raw_text
    assert "<" not in raw and ">" not in raw and "&" not in raw
    assert "\\u003c/script\\u003e" in raw  # the XSS tag, escaped inside the JSON
    embedded = json.loads(raw)
    assert embedded["html"] == 1
    assert [row[1] for row in embedded["cases"]] == [c.case_id for c in cases]
    xss_row = next(row for row in embedded["cases"] if row[1] == "case-xss")
    assert embedded["tagsets"][xss_row[3]] == [["channel", XSS_TAG]]
    # The details: gzip + base64 chunks, holding the turn text exactly as said.
    chunk = json.loads(gzip.decompress(base64.b64decode(embedded["chunks"][0])))
    position = [row[1] for row in embedded["cases"][1:]].index("case-xss")
    turns = chunk[position][3]
    assert turns[1][:3] == ["agent", None, [XSS_TEXT]]
    assert [a.attrs["id"] for a in doc.find_all("article")] == [case_anchor(cases[0].case_id, 0)]
    [note] = [p for p in doc.by_id("more-cases").find_all("p") if p.has_class("nojs")]
    assert note.text.startswith(f"{len(cases) - 1} more failing cases are not shown in this page.")
    [command] = [c.text for c in note.find_all("code") if c.has_class("command")]
    assert command == (
        'harness corpus sql "SELECT case_id, criterion, status FROM results WHERE status IN '
        "('failed', 'error', 'not_run', 'review') ORDER BY case_id\" "
        f"--results {tmp_path / 'results.parquet'} --corpus {manifest['corpus']['paths'][0]}"
    )


def test_embedded_details_stop_at_the_size_budget(compared: Compared) -> None:
    with RunStore(compared.db) as store:
        rows = store.report_cases(compared.cand.run_id, compared.base.run_id)
    cases = [FailingCase.from_store_row(r) for r in rows]
    view = partial(case_view, policy=RedactionPolicy(), compared=True)
    common: dict[str, Any] = {
        "html": 0,
        "view": view,
        "summary": partial(case_summary, policy=RedactionPolicy()),
        "anchor": lambda c: case_anchor(c.case_id, c.repeat),
        "criteria": ["broker_status", "apr", "greeting"],
        "chunk": 1,
    }
    everything = embed_cases(cases, **common)
    assert (everything.cases, everything.detailed) == (3, 3)
    rows_only = embed_cases(cases, budget=0, **common)
    assert (rows_only.cases, rows_only.detailed) == (3, 0)
    assert len(json.loads(rows_only.text)["cases"]) == 3  # every row, whatever the budget
    first = json.loads(everything.text)["chunks"][0]
    budget = len(rows_only.text.encode()) + len(first) + 3  # the rows and one chunk
    limited = embed_cases(cases, budget=budget, **common)
    assert (limited.cases, limited.detailed) == (3, 1)
    assert len(limited.text.encode()) <= budget
    # The count limit works the same way: two cases' details, every row.
    counted = embed_cases(cases, detail_cases=2, **common)
    assert (counted.cases, counted.detailed) == (3, 2)
    assert len(json.loads(counted.text)["chunks"]) == 2
    # The store picks the report's cases before gathering their text: a limit keeps order.
    with RunStore(compared.db) as store:
        first_two = store.report_cases(compared.cand.run_id, compared.base.run_id, limit=2)
    assert [(r["case_id"], r["repeat"]) for r in first_two] == [
        (r["case_id"], r["repeat"]) for r in rows[:2]
    ]
    block = json.loads(limited.text)
    assert len(block["chunks"]) == 1 and len(block["cases"]) == 3
    # Past the budget a case keeps its row: id, tags, failures (criterion, status, reason).
    row = block["cases"][2]
    assert row[1] == "case-000"
    assert [
        (block["criteria"][c], block["statuses"][s], block["strings"][r]) for c, s, r in row[4]
    ] == [
        ("apr", "failed", "after the deadline: apr"),
        ("broker_status", "failed", "after the deadline: is_broker, not_lender"),
    ]


def test_store_report_cases_pair_flips_as_the_gate_does(compared: Compared) -> None:
    with RunStore(compared.db) as store:
        rows = store.report_cases(compared.cand.run_id, compared.base.run_id)
        alone = store.report_cases(compared.cand.run_id, None, limit=1)
    assert [(r["case_id"], r["newly_failing"], r["flips"]) for r in rows] == [
        ("case-002", True, [{"criterion": "broker_status", "direction": "pass_to_fail"}]),
        ("case-005", True, [{"criterion": "apr", "direction": "pass_to_fail"}]),
        ("case-000", False, None),
    ]
    gate_flips = {(f.case_id, c, f.direction) for c, f in compared.cand.gate.flipped}
    assert gate_flips == {
        ("case-002", "broker_status", "pass_to_fail"),
        ("case-005", "apr", "pass_to_fail"),
        ("case-003", "apr", "fail_to_pass"),
    }
    baseline = {r["criterion"]: r for r in rows[0]["baseline_results"]}
    assert {c: r["status"] for c, r in baseline.items()} == {
        "apr": "passed",
        "broker_status": "passed",
        "greeting": "failed",
    }
    # Evidence only for the criteria this run failed: what the baseline said instead.
    assert baseline["apr"]["evidence"] is None
    assert json.loads(baseline["broker_status"]["evidence"])["reason"] == "all key facts in time"
    assert [t["role"] for t in rows[0]["baseline_turns"]] == [t["role"] for t in rows[0]["turns"]]
    assert [(r["case_id"], r["baseline_turns"], r["flips"]) for r in alone] == [
        ("case-000", None, None)
    ]


def test_with_a_baseline_the_flips_come_before_the_segments(compared_doc: Element) -> None:
    assert [s.attrs["id"] for s in compared_doc.find_all("section")] == [
        "verdict",
        "disclosures",
        "flipped-cases",
        "segments",
        "model-calls",
        "calibration",
        "failing-cases",
        "pass-sample",
        "versions",
    ]
    # The filter is in the page for the script to reveal, labelled, and hidden without it.
    form = compared_doc.by_id("case-filter")
    assert "hidden" in form.attrs
    labels = {label.attrs["for"]: label.text for label in form.find_all("label")}
    assert labels == {
        "filter-criterion": "Disclosure",
        "filter-segment": "Segment (tag)",
        "filter-status": "Verdict",
        "filter-flip": "Against the baseline",
        "filter-text": "Search",
    }
    assert all(compared_doc.by_id(control) for control in labels)


@pytest.mark.parametrize(
    ("text", "marks", "names", "expected"),
    [
        # A mark holding a name: the placeholder stays inside the mark.
        (
            "Hello Alan, we are a broker",
            [(0, 10)],
            ["Alan"],
            [("Hello [NAME]", True), (", we are a broker", False)],
        ),
        # A redaction straddling the end of a mark is marked whole, and shown once.
        (
            "call 07700 900123 now",
            [(0, 8)],
            [],
            [("call [PHONE]", True), (" now", False)],
        ),
        # Marks and redactions apart.
        (
            "we are a broker, Alan",
            [(0, 15)],
            ["Alan"],
            [("we are a broker", True), (", [NAME]", False)],
        ),
        ("", [], ["Alan"], [("", False)]),
    ],
)
def test_marks_survive_redaction_and_never_show_what_was_redacted(
    text: str, marks: list[tuple[int, int]], names: list[str], expected: list[tuple[str, bool]]
) -> None:
    redactions = find_personal_data(text, RedactionPolicy(), names=names)
    segments = redacted_segments(text, marks, redactions)
    assert [(s.text, s.marked) for s in segments] == expected


def test_trends_take_earlier_runs_from_the_history_and_this_run_from_the_gate(
    passing: RunOutcome,
) -> None:
    history = [
        {"run_id": "r1", "criterion": "apr", "passed": 3, "applicable": 4},
        {"run_id": "r1", "criterion": "broker_status", "passed": 5, "applicable": 5},
        {"run_id": "r2", "criterion": "broker_status", "passed": 4, "applicable": 5},
        # the run being reported, if the store already lists it, is taken from the gate
        {"run_id": passing.run_id, "criterion": "apr", "passed": 0, "applicable": 4},
    ]
    found = trends(history, passing.gate)
    assert found["broker_status"].rates == [1.0, 0.8, 0.6]
    assert found["apr"].rates == [0.75, None, 0.5]
    assert found["apr"].label == (
        "Pass rate in the last 3 runs, oldest first: 75.0%, n/a, 50.0% (this run); threshold 50%"
    )
    # A run without the criterion leaves a gap in the line, not a point.
    assert found["apr"].points.count(",") == 2
    assert trends(history, passing.gate, runs=2)["broker_status"].rates == [0.8, 0.6]
