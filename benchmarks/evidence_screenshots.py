"""Screenshots of the evidence pack for docs/evidence.md: the printed first page, the QA sample.

    python benchmarks/evidence_screenshots.py   # docs/print-first-page.png, docs/pass-sample.png

Replays the shipped demo in a temporary folder (the baseline scenario, then the candidate),
opens the candidate's report.html in headless Chromium (/usr/bin/chromium) and saves:

* ``print-first-page.png``: the page under the print stylesheet at the width of an A4 page
  less its margins (186 mm at 96 px per inch), cut at the height of one printed page;
* ``pass-sample.png``: the top of the quality-assurance sample of passing cases, with the
  first sampled verdict marked as a reviewer would (wrong, with a note) and the review bar.

Needs no key and no network.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.outputs.report.pdf import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from harness.run.finish import RunOutcome, run_scenario  # noqa: E402
from harness.run.plan import load_plan  # noqa: E402

#: A4 less the print margins (12 mm each side), and one page's height less its margins.
PRINT_WIDTH, PRINT_HEIGHT = 703, 1003


def demo_candidate(root: Path) -> RunOutcome:
    """Run the demo's baseline, then its candidate; return the candidate run."""
    outcome = None
    for number, name in enumerate(("demo-baseline", "demo-candidate")):
        plan = load_plan(ROOT / "scenarios" / f"{name}.yaml")
        outcome = run_scenario(plan, out_dir=root / f"{number}-{name}", db_path=root / "h.duckdb")
    assert outcome is not None
    return outcome


def screenshots(report: Path, first_page: Path, sample: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        page = browser.new_page(
            viewport={"width": PRINT_WIDTH, "height": PRINT_HEIGHT}, device_scale_factor=1.5
        )
        page.goto(report.resolve().as_uri(), wait_until="load")
        page.emulate_media(media="print")
        page.screenshot(path=str(first_page))
        page.close()

        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(report.resolve().as_uri() + "#pass-sample", wait_until="load")
        case = page.locator("#pass-sample article.sampled").first
        mark = case.locator(".review-slot fieldset")
        mark.get_by_label("Wrong: not presented as required").check()
        mark.locator("input.review-note").fill("said 'not a lender' only after the customer asked")
        page.fill("#review-by", "Priya Shah")
        page.evaluate("document.getElementById('pass-sample').scrollIntoView()")
        page.screenshot(path=str(sample))
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        outcome = demo_candidate(Path(tmp))
        first, sample = args.docs / "print-first-page.png", args.docs / "pass-sample.png"
        screenshots(outcome.report_path, first, sample)
    print(f"wrote {first} and {sample} from {outcome.run_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
