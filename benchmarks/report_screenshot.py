"""A screenshot of the demo's report: the candidate against its baseline, for the docs.

    python benchmarks/report_screenshot.py            # writes docs/report-screenshot.png

Replays the shipped demo in a temporary folder (the baseline scenario, then the candidate
twice, so the trend column has a line), opens the candidate's report.html in headless
Chromium (/usr/bin/chromium) and saves the top of the page: the verdict, the
per-disclosure table with the failing commission disclosure and its Wilson interval, and
the first flipped cases. Needs no key and no network.
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

FLIPPED_ROWS = 6  # rows of the flipped-cases table in the picture


def demo_report(root: Path) -> RunOutcome:
    """Run the demo's baseline once and its candidate twice; return the last candidate run."""
    outcome = None
    for number, name in enumerate(("demo-baseline", "demo-candidate", "demo-candidate")):
        plan = load_plan(ROOT / "scenarios" / f"{name}.yaml")
        outcome = run_scenario(plan, out_dir=root / f"{number}-{name}", db_path=root / "h.duckdb")
    assert outcome is not None
    return outcome


def screenshot(report: Path, out: Path, width: int = 1280) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        page = browser.new_page(viewport={"width": width, "height": 900}, device_scale_factor=1)
        page.goto(report.resolve().as_uri(), wait_until="load")
        row = page.locator("#flips tbody tr").nth(FLIPPED_ROWS - 1)
        box = row.bounding_box()
        assert box is not None, "the report has no flipped cases"
        bottom = box["y"] + box["height"] + 2
        page.screenshot(
            path=str(out), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": bottom}
        )
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report-screenshot.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        outcome = demo_report(Path(tmp))
        screenshot(outcome.report_path, args.out)
    print(f"wrote {args.out} from {outcome.run_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
