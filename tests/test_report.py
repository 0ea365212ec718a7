"""The HTML report of real runs, read back through a parser: figures, evidence, escaping."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from harness.cases import Case
from harness.gate import GateResult
from harness.plan import load_plan
from harness.report import FailingCase, ReportData, render_report
from harness.report.render import Segment, case_anchor, mark_spans, percent, points
from harness.run import RunOutcome, run_scenario
from harness.store import RunStore
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
    return run_scenario(plan, out_dir=root / "out", db_path=root / "harness.duckdb")


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
    ]
    assert table_rows(table) == [
        ["broker_status", "60.0%", BROKER_INTERVAL, "3 / 5", "0", "50%", "Pass"],
        ["apr", "50.0%", APR_INTERVAL.format(threshold="50%"), "2 / 4", "0", "50%", "Pass"],
    ]


def test_model_call_totals(passing_doc: Element) -> None:
    [row] = table_rows(passing_doc.by_id("calls"))
    # calls, failed, input, output, cache hits, retries, prompt-cache read / written, cost
    assert row[:8] == ["10", "0", "0", "0", "0", "0", "0 / 0", "0.0000"]
    assert row[8].endswith(" ms")


def test_failed_gate_names_each_shortfall_and_the_baseline_delta(tmp_path: Path) -> None:
    # The baseline saw cases 1, 2 and 5: broker_status 2 of 3, apr 2 of 2.
    base_cases = [c for c in default_cases() if c.case_id in ("case-001", "case-002", "case-005")]
    base = run_world(tmp_path / "base", cases=base_cases, name="base")
    world = build_world(tmp_path / "cand")
    world.write_scenario(
        baseline={"scenario": "base"}, thresholds={"default": 0.5, "criteria": {"apr": 0.9}}
    )
    cand = run_scenario(
        load_plan(world.scenario),
        out_dir=tmp_path / "out",
        db_path=tmp_path / "base/harness.duckdb",
    )
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
            "\u221250.0 pts (was 100.0%)",
            "2 both pass, 0 pass\u2192fail, 0 fail\u2192pass, 0 both fail; p = 1: "
            "no significant change",
        ],
    ]


def test_disclosure_without_applicable_cases_is_shown_as_failing(tmp_path: Path) -> None:
    outcome = run_world(tmp_path, corpus={"paths": ["../corpus"], "tags": {"channel": "phone"}})
    doc = parse(outcome.report_path.read_text(encoding="utf-8"))
    assert table_rows(doc.by_id("criteria"))[1] == [
        "apr",
        "n/a",
        "n/a",
        "0 / 0",
        "0",
        "50%",
        "Fail no applicable cases",
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
    articles = passing_doc.find_all("article")
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
    assert "Missing not_lender" in partial.text
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
    doc = parse(outcome.report_path.read_text(encoding="utf-8"))
    ids = [e.attrs["id"] for e in doc.iter() if "id" in e.attrs]
    assert len(ids) == len(set(ids))
    assert [a.attrs["id"] for a in doc.find_all("article")] == [
        "case-case-003-r0",
        "case-case-003-r1",
        "case-case-004-r0",
        "case-case-004-r1",
    ]
    assert doc.by_id("case-case-003-r1-title").text == "Case case-003, repeat 1"


def test_truncated_failing_cases_say_showing_n_of_m(passing: RunOutcome, tmp_path: Path) -> None:
    manifest = json.loads(passing.manifest_path.read_text(encoding="utf-8"))
    with RunStore(passing.out_dir.parent / "harness.duckdb") as store:
        rows = store.failing_cases(passing.run_id, limit=1)
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
        "Git commit ",
    ):
        assert expected in text, expected
    assert table_rows(passing_doc.by_id("disclosure-versions")) == [
        [d["id"], str(d["version"]), d["status"], "A. Compliance", "50%", d["sha256"]]
        for d in manifest["disclosures"]
    ]
    times = [t.attrs["datetime"] for t in passing_doc.by_id("versions").find_all("time")]
    assert times == [manifest["started_at"], manifest["finished_at"]]


# ---------------------------------------------------------------- self-contained and safe


def test_report_is_self_contained_under_a_strict_csp(rich: RunOutcome, rich_doc: Element) -> None:
    html = rich.report_path.read_text(encoding="utf-8")
    assert not re.search(r"https?://", html, re.IGNORECASE)
    assert not rich_doc.find_all("link") and not rich_doc.find_all("script")
    assert not [e for e in rich_doc.iter() if "src" in e.attrs or "style" in e.attrs]
    assert {a.attrs["href"][0] for a in rich_doc.find_all("a")} == {"#"}

    [csp] = rich_doc.find_all("meta", **{"http-equiv": "Content-Security-Policy"})
    [style] = rich_doc.find_all("style")
    digest = base64.b64encode(hashlib.sha256(style.raw_text.encode()).digest()).decode()
    assert csp.attrs["content"] == (
        f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )
    assert "@media print" in style.raw_text


def test_untrusted_case_and_model_text_is_escaped(rich: RunOutcome, rich_doc: Element) -> None:
    html = rich.report_path.read_text(encoding="utf-8")
    assert "<script>" not in html and "<img" not in html
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
