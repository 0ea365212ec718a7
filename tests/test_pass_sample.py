"""The report's quality-assurance sample of passing results: seeded, sized, redacted, inert."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from harness.cli.main import main
from harness.config.scenario import Scenario
from harness.corpus.cases import Case
from harness.errors import ConfigError
from harness.outputs.report import ReportData, render_report
from harness.outputs.report.pass_sample import PassSample, SampledPass
from harness.run.finish import RunOutcome
from harness.store.database import RunStore
from tests.test_report import XSS_TEXT, Element, parse, run_compared, run_world
from tests.world import build_world, default_cases, make_case

GOOD = "We are a credit broker, not a lender. Representative 9.9% APR."


def many_cases() -> list[Case]:
    """30 cases that pass both disclosures, and the default five (two fail somewhere)."""
    return [make_case(f"pass-{k:02d}", [GOOD, "Thanks"]) for k in range(30)] + default_cases()


@pytest.fixture(scope="module")
def sampled(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    return run_world(
        tmp_path_factory.mktemp("sample"), cases=many_cases(), report={"pass_sample": 4}
    )


def drawn_again(results: Path, run_id: str, size: int) -> dict[str, list[str]]:
    """The sample drawn from results.parquet by hand, as docs/evidence.md says: the passing
    results ranked by the SHA-256 of ``run_id/criterion/case_id/repeat``."""
    rows = (
        duckdb.connect()
        .execute(f"SELECT criterion, case_id, \"repeat\" FROM '{results}' WHERE status = 'passed'")
        .fetchall()
    )
    ranked: dict[str, list[tuple[str, str]]] = {}
    for criterion, case_id, repeat in rows:
        key = hashlib.sha256(f"{run_id}/{criterion}/{case_id}/{repeat}".encode()).hexdigest()
        ranked.setdefault(criterion, []).append((key, case_id))
    return {c: [case for _, case in sorted(items)[:size]] for c, items in ranked.items()}


def shown_sample(report: Path) -> dict[str, list[str]]:
    """Per criterion heading of the sample section, the case ids shown under it."""
    return shown_sample_doc(parse(report.read_text(encoding="utf-8")))


def shown_sample_doc(doc: Element) -> dict[str, list[str]]:
    section = doc.by_id("pass-sample")
    shown: dict[str, list[str]] = {}
    current = ""
    for element in section.iter():
        if element.tag == "h3" and re.fullmatch(r"sample-\d+", element.attrs.get("id", "")):
            current = element.text.split(":")[0]
            shown[current] = []
        elif element.tag == "article":
            assert element.has_class("sampled")
            shown[current].append(element.find_all("h3")[0].text.removeprefix("QA sample Case "))
    return shown


def test_the_sample_is_the_seeded_draw_anyone_can_repeat_from_the_results(
    sampled: RunOutcome,
) -> None:
    shown = shown_sample(sampled.report_path)
    assert shown == drawn_again(sampled.results_path, sampled.run_id, 4)
    assert [len(cases) for cases in shown.values()] == [4, 4]
    # Passing results only, and the page says how many there were.
    section = parse(sampled.report_path.read_text(encoding="utf-8")).by_id("pass-sample")
    headings = [
        h.text for h in section.find_all("h3") if re.fullmatch(r"sample-\d+", h.attrs.get("id", ""))
    ]
    passing = dict(
        duckdb.connect()
        .execute(
            f"SELECT criterion, count(*) FROM '{sampled.results_path}' "
            "WHERE status = 'passed' GROUP BY 1"
        )
        .fetchall()
    )
    assert passing["broker_status"] >= 30 and passing["apr"] >= 30
    assert headings == [
        f"broker_status: 4 of {passing['broker_status']} passing results",
        f"apr: 4 of {passing['apr']} passing results",
    ]
    assert "seeded by the run id" in section.text and sampled.run_id in section.text


def test_the_same_run_draws_the_same_sample_and_another_run_another(
    sampled: RunOutcome, tmp_path: Path
) -> None:
    with RunStore(sampled.out_dir.parent / "harness.duckdb") as store:
        first = store.pass_sample(sampled.run_id, size=4, seed=sampled.run_id)
        again = store.pass_sample(sampled.run_id, size=4, seed=sampled.run_id)
        other = store.pass_sample(sampled.run_id, size=4, seed="another-seed")
    ids = [(r["criterion"], r["case_id"]) for r in first]
    assert ids == [(r["criterion"], r["case_id"]) for r in again]
    assert ids != [(r["criterion"], r["case_id"]) for r in other]
    assert {r["rank"] for r in first} == {1, 2, 3, 4}


def test_each_sampled_case_shows_its_evidence_and_a_review_slot(sampled: RunOutcome) -> None:
    doc = parse(sampled.report_path.read_text(encoding="utf-8"))
    article = doc.by_id("pass-sample").find_all("article")[0]
    failure = next(e for e in article.iter() if e.has_class("failure"))
    assert failure.find_all("h4")[0].text.endswith(": passed")
    labels = [dt.text for dt in failure.find_all("dt")]
    assert "Found in time" in labels
    assert article.find_all("mark")  # the quoted words highlighted in the transcript
    slot = next(e for e in failure.iter() if e.has_class("review-slot"))
    assert slot.attrs["data-status"] == "passed"
    assert slot.attrs["data-source"] == "QA sample of passes"
    assert "hidden" in slot.attrs  # the script fills and shows it
    # The contents lead to the section; the manifest records the size asked.
    assert doc.find_all("a", href="#pass-sample")[0].text == "QA sample of passes (8)"


def test_a_sample_of_zero_leaves_the_section_out(tmp_path: Path) -> None:
    outcome = run_world(tmp_path, report={"pass_sample": 0})
    html = outcome.report_path.read_text(encoding="utf-8")
    assert 'id="pass-sample"' not in html and "#pass-sample" not in html


def test_sampled_case_text_is_redacted_and_inert(tmp_path: Path) -> None:
    hostile = make_case("case-hostile", [GOOD + " " + XSS_TEXT, "Call Jane Doe on 07700 900123"])
    hostile = hostile.model_copy(update={"facts": {**hostile.facts, "customer_name": "Jane Doe"}})
    outcome = run_world(tmp_path, cases=[hostile], report={"pass_sample": 5})
    html = outcome.report_path.read_text(encoding="utf-8")
    section = parse(html).by_id("pass-sample")
    assert len(section.find_all("article")) == 2  # both disclosures passed on it
    assert "<script>alert(1)" not in html.split('id="pass-sample"')[1].split("</section>")[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Jane Doe" not in section.text and "07700 900123" not in section.text
    assert "[NAME]" in section.text and "[PHONE]" in section.text


def test_a_disclosure_with_no_pass_says_there_is_nothing_to_sample(tmp_path: Path) -> None:
    outcome = run_world(tmp_path, cases=[make_case("c1", ["Hello", "Bye"])])
    section = parse(outcome.report_path.read_text(encoding="utf-8")).by_id("pass-sample")
    assert "No result passed on broker_status: there is nothing to sample." in section.text


def test_the_manifest_records_the_size_and_a_report_without_a_draw_has_no_section(
    sampled: RunOutcome, tmp_path: Path
) -> None:
    manifest = json.loads(sampled.manifest_path.read_text(encoding="utf-8"))
    assert manifest["report"]["pass_sample"] == 4
    bare = ReportData(gate=sampled.gate, manifest=manifest, failing_cases=[], failing_cases_total=0)
    html = render_report(bare, tmp_path / "bare.html").read_text(encoding="utf-8")
    assert 'id="pass-sample"' not in html
    with RunStore(sampled.out_dir.parent / "harness.duckdb") as store:
        rows = store.pass_sample(sampled.run_id, size=1, seed="x")
    one = replace(
        bare, pass_sample=PassSample(1, "x", [SampledPass.from_store_row(r) for r in rows])
    )
    section = parse(render_report(one, tmp_path / "one.html").read_text(encoding="utf-8"))
    assert [len(a) for a in shown_sample_doc(section).values()] == [1, 1]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "field 'report.pass_sample': Input should be greater than or equal to 0 (got -1)"),
        (
            "1000",
            "field 'report.pass_sample': Input should be less than or equal to 200 (got 1000)",
        ),
        ("ten", "field 'report.pass_sample': Input should be a valid integer (got 'ten')"),
        ("2.5", "field 'report.pass_sample': Input should be a valid integer (got 2.5)"),
        ("yes", "field 'report.pass_sample': Input should be a valid integer (got True)"),
    ],
)
def test_a_bad_pass_sample_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    world = build_world(tmp_path / "world")
    path = world.write_scenario()
    path.write_text(
        path.read_text(encoding="utf-8") + f"report:\n  pass_sample: {value}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as raised:
        Scenario.load(path)
    assert str(raised.value).startswith(f"{path}: {message}")
    out = tmp_path / "out"
    status = main(["run", str(path), "--out", str(out), "--db", str(tmp_path / "h.duckdb")])
    assert status == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (out / "report.html").exists()


def test_against_a_baseline_a_sampled_pass_shows_no_baseline_table(tmp_path: Path) -> None:
    """The sample loads no baseline verdicts, so it must not claim the case was not replayed."""
    runs = run_compared(tmp_path)
    doc = parse(runs.cand.report_path.read_text(encoding="utf-8"))
    assert doc.by_id("failing-cases").find_all("table", **{"class": "verdicts"})  # failing: yes
    section = doc.by_id("pass-sample")
    assert section.find_all("article")
    assert section.find_all("table") == []
    assert "not replayed" not in section.text
