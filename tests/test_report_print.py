"""The report printed: the demo candidate to PDF through headless Chromium, read back as text.

Needs Debian's Chromium at /usr/bin/chromium and playwright; skipped without them, unless
HARNESS_REQUIRE_BROWSER=1 (as in CI), where a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import harness.run.finish as finish
from harness.cli.main import main
from harness.outputs.report import FailingCase, ReportData, render_report
from harness.outputs.report.pdf import CHROMIUM, CHROMIUM_ARGS
from harness.run.finish import RunOutcome, run_scenario
from harness.run.finish import new_run_id as _new_run_id
from harness.run.plan import load_plan
from harness.run.seal import file_sha256
from harness.store.database import RunStore

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
#: Cases of the demo corpus the test replays: enough for every disclosure to fail somewhere.
DEMO_CASES = 150
A4_POINTS = (595.28, 841.89)


def needs_browser() -> None:
    required = os.environ.get("HARNESS_REQUIRE_BROWSER") == "1"
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} not found; install Debian's chromium package"
    else:
        try:
            import playwright.sync_api  # noqa: F401
            import pypdf  # noqa: F401
        except ImportError as exc:
            missing = f"{exc.name} is not installed (pip install -e '.[dev]')"
    if missing and required:
        pytest.fail(f"HARNESS_REQUIRE_BROWSER=1 but {missing}", pytrace=False)
    if missing:
        pytest.skip(missing)


@pytest.fixture(scope="module")
def candidate(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    """The shipped demo candidate against its baseline over the first cases of the demo
    corpus: with a baseline the disclosure table has all its columns, the widest to print."""
    needs_browser()
    root = tmp_path_factory.mktemp("print")
    (root / "scenarios").mkdir()
    for folder in ("disclosures", "prompts"):
        (root / "scenarios" / folder).symlink_to(ROOT / "scenarios" / folder)
    outcome = None
    with pytest.MonkeyPatch.context() as patch:
        # Run ids whose random part a font would set with ligatures ("ff", "fi"): copied out
        # of the printed evidence, a run id must come back exactly as it is.
        patch.setattr(finish, "new_run_id", lambda name, now=None: f"{_new_run_id(name, now)}-ffi")
        outcome = _demo_runs(root)
    return outcome


def _demo_runs(root: Path) -> RunOutcome:
    outcome = None
    for name in ("demo-baseline", "demo-candidate"):
        scenario = yaml.safe_load((ROOT / "scenarios" / f"{name}.yaml").read_text())
        scenario["corpus"] = {"paths": [str(ROOT / "corpus" / "demo")], "limit": DEMO_CASES}
        if outcome is not None:  # the baseline just run: over a few cases it need not pass
            scenario["baseline"] = {"run_id": outcome.run_id}
        path = root / "scenarios" / f"{name}.yaml"
        path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
        outcome = run_scenario(load_plan(path), out_dir=root / name, db_path=root / "h.duckdb")
    assert outcome is not None and not outcome.gate.passed
    assert outcome.gate.baseline_run_id is not None
    return outcome


def failing_ids(report: Path) -> list[str]:
    """Every failing case id the report holds (shown in full or embedded for the script)."""
    html = report.read_text(encoding="utf-8")
    block = re.search(
        r'<script type="application/json" id="failing-data">(.*?)</script>', html, re.S
    )
    assert block is not None
    return [row[1] for row in json.loads(block.group(1))["cases"]]


def pdf_pages(path: Path) -> list[Any]:
    from pypdf import PdfReader

    return list(PdfReader(path).pages)


def flat(text: str) -> str:
    """PDF text with its line breaks and hyphen-free wraps joined, as a reader sees it."""
    return re.sub(r"\s+", " ", text)


def test_the_demo_candidate_prints_to_an_a4_pdf_that_holds_every_failing_case(
    candidate: RunOutcome, capsys: pytest.CaptureFixture[str]
) -> None:
    out = candidate.out_dir
    assert main(["report", "pdf", str(out)]) == 0
    assert capsys.readouterr().out == f"pdf:     {out / 'report.pdf'}\n"
    pages = pdf_pages(out / "report.pdf")
    texts = [page.extract_text() for page in pages]
    width, height = (float(x) for x in pages[0].mediabox.upper_right)
    assert (round(width, 0), round(height, 0)) == tuple(round(x, 0) for x in A4_POINTS)
    run_id = candidate.run_id
    # The first page names the run and the verdict; every page carries them and its number.
    assert run_id in texts[0] and "Verdict: FAILED" in texts[0]
    for number, text in enumerate(texts, start=1):
        assert f"page {number} of {len(pages)}" in text, number
        assert f"Run {run_id}" in flat(text), number
        assert "Verdict: FAILED" in text, number
    whole = flat(" ".join(texts))
    ids = failing_ids(candidate.report_path)
    assert len(ids) > 10
    assert [i for i in ids if f"Case {i}" not in whole] == []
    # The PDF is one of the run's outputs now: listed in the manifest, verifiable.
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"]["report.pdf"] == file_sha256(out / "report.pdf")
    assert main(["verify", str(out)]) == 0


def test_cases_behind_show_more_print_too(
    candidate: RunOutcome, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = json.loads(candidate.manifest_path.read_text(encoding="utf-8"))
    with RunStore(candidate.out_dir.parent / "h.duckdb") as store:
        cases = [FailingCase.from_store_row(r) for r in store.report_cases(candidate.run_id, None)]
    data = ReportData(
        gate=candidate.gate,
        manifest=manifest,
        failing_cases=cases,
        failing_cases_total=len(cases),
        html_cases=3,  # the others are embedded, behind "show more" on screen
    )
    folder = tmp_path / "lazy"
    report = render_report(data, folder / "report.html")
    assert main(["report", "pdf", str(folder)]) == 0  # a folder without a manifest prints too
    capsys.readouterr()
    whole = flat(" ".join(p.extract_text() for p in pdf_pages(folder / "report.pdf")))
    ids = failing_ids(report)
    assert len(ids) == len(cases) > 3
    assert [i for i in ids if f"Case {i}" not in whole] == []
    assert f"Every other failing case ({len(ids) - 3})" in whole


def test_printed_tables_keep_within_an_a4_page(candidate: RunOutcome) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        # A4 less the print margins, at 96 pixels per inch: 186 mm.
        page = browser.new_page(viewport={"width": 703, "height": 1000})
        page.goto(candidate.report_path.resolve().as_uri(), wait_until="load")
        page.emulate_media(media="print")
        headers = page.locator("table#criteria thead th").all_inner_texts()
        assert "Vs baseline" in headers and len(headers) >= 12, headers
        overflow = page.evaluate(
            """() => [...document.querySelectorAll("table")]
                .filter((t) => t.getClientRects().length)
                .filter((t) => t.getBoundingClientRect().right > innerWidth + 1)
                .map((t) => t.id || t.className || t.tagName)"""
        )
        browser.close()
    assert overflow == []


def test_without_chromium_the_pdf_command_says_what_is_missing(
    candidate: RunOutcome, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-chromium"
    assert main(["report", "pdf", str(candidate.out_dir), "--chromium", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"harness: error: no Chromium at {missing}: install it (Debian and Ubuntu: apt-get "
        "install chromium) or pass --chromium PATH\n"
    )
    assert main(["report", "pdf", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"harness: error: {tmp_path / 'report.html'} not found: the run folder holds no report\n"
    )


def test_a_signed_run_needs_its_key_to_add_the_pdf(
    candidate: RunOutcome, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    (tmp_path / "run").mkdir()
    for name in ("report.html", "manifest.json"):
        (tmp_path / "run" / name).write_bytes((candidate.out_dir / name).read_bytes())
    (tmp_path / "run" / "manifest.sig").write_text("00\n")
    monkeypatch.delenv("HARNESS_SIGNING_KEY", raising=False)
    assert main(["report", "pdf", str(tmp_path / "run")]) == 2
    assert "is signed: set HARNESS_SIGNING_KEY to the key it was signed with" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "run" / "report.pdf").exists()
