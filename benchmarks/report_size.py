"""The report of a 100,000-case run: its size, and how fast it opens in headless Chromium.

    python benchmarks/report_size.py --cases 100000

Replays the shipped demo once (640 cases, baseline and candidate scenarios, the offline
reference agent: no key, no network), then multiplies each run's part files to --cases
cases (copy k of case ``pos-0004`` becomes ``c0k-pos-0004``, so neighbouring failing cases
are different conversations), and finishes both runs through the harness's own
``finish_run``: DuckDB ingest, gate, drift against the baseline, results.parquet, the
CI surfaces and report.html, with the demo's redaction, side-by-side baseline turns and
embedded case list. Then opens report.html --repeats times in a fresh headless Chromium
page and takes the median of: navigation start to the load event, and to the first
render of the verdict heading (Element Timing). Prints the figures and, with
--write-docs, writes them into the "The report at 100,000 cases" section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.run.finish import finish_run, run_scenario  # noqa: E402
from harness.run.plan import load_plan  # noqa: E402
from harness.store.database import RunStore  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## The report at 100,000 cases"
TARGET_OPEN_S = 2.0
SEARCH = "school run"  # words hurried customers say in the demo corpus
TARGET_BYTES = 20_000_000
# Navigation start → load event, and → the verdict heading's first render (Element Timing;
# first contentful paint if the browser has no Element Timing).
TIMING_JS = """
() => new Promise((resolve) => {
  const nav = performance.getEntriesByType("navigation")[0];
  const done = (verdict) => resolve({ load: nav.loadEventEnd, verdict });
  const seen = performance.getEntriesByType("element").find((e) => e.identifier === "verdict");
  if (seen) { done(seen.renderTime || seen.loadTime); return; }
  try {
    new PerformanceObserver((list) => {
      const entry = list.getEntries().find((e) => e.identifier === "verdict");
      if (entry) { done(entry.renderTime || entry.loadTime); }
    }).observe({ type: "element", buffered: true });
  } catch (error) {
    const paint = performance.getEntriesByName("first-contentful-paint")[0];
    done(paint ? paint.startTime : null);
  }
  setTimeout(() => {
    const paint = performance.getEntriesByName("first-contentful-paint")[0];
    done(paint ? paint.startTime : null);
  }, 5000);
})
"""


def multiply(source: Path, target: Path, copies: int, run_id: str, limit: int) -> None:
    """Write ``copies`` copies of every part in ``source`` into ``target`` (at most ``limit``
    distinct cases), each copy's case ids prefixed ``c<k>-``."""
    target.mkdir(parents=True)
    kinds = ("results", "transcripts", "calls")
    for kind in kinds:
        tables = [pq.read_table(f) for f in sorted(source.glob(f"*-{kind}-*.parquet"))]
        table = pa.concat_tables(tables)
        base_ids = sorted(set(table.column("case_id").to_pylist()))
        for k in range(copies):
            keep = base_ids[: max(0, min(len(base_ids), limit - k * len(base_ids)))]
            if not keep:
                break
            part = table.filter(pc.is_in(table.column("case_id"), pa.array(keep)))
            ids = pc.binary_join_element_wise(f"c{k:03d}", part.column("case_id"), "-")
            part = part.set_column(part.schema.get_field_index("case_id"), "case_id", ids)
            part = part.set_column(
                part.schema.get_field_index("run_id"), "run_id", pa.array([run_id] * len(part))
            )
            pq.write_table(part, target / f"bench-{kind}-{k + 1:06d}.parquet")


@dataclass
class OpenTimes:
    """Seconds per repeat: to the load event, to the verdict's first render, to the first
    page of the embedded cases, and to the result of a first full-text search."""

    load: list[float] = field(default_factory=list)
    verdict: list[float] = field(default_factory=list)
    page: list[float] = field(default_factory=list)
    search: list[float] = field(default_factory=list)


def open_times(report: Path, repeats: int, search: str) -> OpenTimes:
    from playwright.sync_api import sync_playwright

    times = OpenTimes()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        for _ in range(repeats):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(report.resolve().as_uri(), wait_until="load", timeout=120_000)
            figures = page.evaluate(TIMING_JS)
            times.load.append(figures["load"] / 1000)
            times.verdict.append((figures["verdict"] or float("nan")) / 1000)
            # The script marks the list and the form aria-busy until it has finished.
            began = time.perf_counter()
            page.click("#more-show")
            page.wait_for_selector("#more-list:not([aria-busy]) article", timeout=120_000)
            times.page.append(time.perf_counter() - began)
            began = time.perf_counter()
            page.fill("#filter-text", search)
            page.wait_for_selector(
                "#case-filter:not([aria-busy])", state="attached", timeout=120_000
            )
            times.search.append(time.perf_counter() - began)
            page.close()
        browser.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--out", type=Path, help="keep the runs in this (new) folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp)
        db = root / "harness.duckdb"
        finished = {}
        for name in ("demo-baseline", "demo-candidate"):
            plan = load_plan(ROOT / "scenarios" / f"{name}.yaml")
            demo = run_scenario(plan, out_dir=root / f"{name}-demo", db_path=root / "demo.duckdb")
            assert demo is not None
            copies = -(-args.cases // demo.cases)
            run_id = f"{name}-bench"
            multiply(demo.out_dir / "parts", root / name / "parts", copies, run_id, args.cases)
            began = time.perf_counter()
            outcome = finish_run(
                plan,
                run_id=run_id,
                out_dir=root / name,
                db_path=db,
                started_at=datetime.now(UTC),
            )
            finished[name] = (outcome, time.perf_counter() - began)
        outcome, seconds = finished["demo-candidate"]
        with RunStore(db) as store:
            failing_total = store.failing_case_count(outcome.run_id)
        report = outcome.report_path
        size = report.stat().st_size
        packed = len(gzip.compress(report.read_bytes(), compresslevel=6))
        times = open_times(report, args.repeats, SEARCH)
        block = _block(report.read_text(encoding="utf-8"))
        load = statistics.median(times.load)
        rows = [
            ("cases in the run (baseline as many)", f"{outcome.cases:,}"),
            ("failing cases", _failing(block, failing_total)),
            ("finish_run (ingest, gate, drift, outputs, report)", f"{seconds:.1f} s"),
            ("report.html size", f"{size / 1e6:.1f} MB (gzip: {packed / 1e6:.1f} MB)"),
            ("open: navigation to load event, median", f"{load:.2f} s"),
            (
                "open: navigation to the verdict's first render, median",
                f"{statistics.median(times.verdict):.2f} s",
            ),
            (
                "first page of the embedded cases (25), median",
                f"{statistics.median(times.page):.2f} s",
            ),
            (
                f'first search of every failing case ("{SEARCH}"), median',
                f"{statistics.median(times.search):.2f} s",
            ),
        ]
    for label, figure in rows:
        print(f"{label}: {figure}")
    met = load <= TARGET_OPEN_S and size <= TARGET_BYTES
    print(
        f"targets: open (load event) <= {TARGET_OPEN_S:.0f} s, file <= {TARGET_BYTES / 1e6:.0f} MB:"
        f" {'met' if met else 'NOT met'}"
    )
    if args.write_docs:
        write_docs(rows, met, args.cases, _compression(block))
    return 0


def _block(html: str) -> dict[str, Any]:
    start = html.index('<script type="application/json" id="failing-data">')
    text = html[html.index(">", start) + 1 : html.index("</script>", start)]
    block: dict[str, Any] = json.loads(text)
    return block


def _failing(block: dict[str, Any], total: int) -> str:
    """How many cases fail, and how many the report renders as HTML, embeds, with details."""
    embedded = len(block["cases"]) - block["html"]
    detailed = min(len(block["chunks"]) * block["chunk"], embedded)
    return (
        f"{total:,}, of which the report holds {len(block['cases']):,}: {block['html']:,} as "
        f"HTML, {embedded:,} embedded ({detailed:,} with their transcripts)"
    )


def _compression(block: dict[str, Any]) -> str:
    """The embedded details' size as JSON, and as gzip + base64 in the file."""
    packed = sum(len(c) for c in block["chunks"])
    raw = sum(len(gzip.decompress(base64.b64decode(c))) for c in block["chunks"])
    return f"{raw / 1e6:.0f} MB of details in {packed / 1e6:.1f} MB"


def write_docs(rows: list[tuple[str, str]], met: bool, cases: int, compression: str) -> None:
    """Replace (or append) this benchmark's section of docs/benchmarks.md."""
    table = "\n".join(f"| {label} | {figure} |" for label, figure in rows)
    section = f"""{SECTION}

`python benchmarks/report_size.py --cases {cases} --write-docs` replays the shipped demo
(640 cases, offline agent) for the baseline and the candidate, multiplies each run's parts
to {cases:,} cases, finishes both runs through `finish_run` (so the report has the demo's
regression, its flips against the baseline, redaction and side-by-side turns), and opens
the candidate's report.html three times in headless Chromium.

| figure | measured |
|---|---|
{table}

Targets: the report opens (load event) in at most {TARGET_OPEN_S:.0f} s and the file stays
under {TARGET_BYTES / 1e6:.0f} MB, which browsers, artifact stores and most email gateways
(often 20–25 MB per message) accept: **{"met" if met else "not met"}**.

How it stays small and fast: the report takes the first 10,000 failing cases (newly
failing first; the page says how many more there are and how to list them from
`results.parquet`); the first 100 are HTML; each has a row (id, tags, failures, flips;
about 60 bytes) in one escaped JSON data block, which also carries the next cases' details
(redacted transcripts, marks, evidence, the baseline's turns) gzip-compressed in chunks of
50 cases, unpacked by the browser (`DecompressionStream`) only when a page of the list, a
search or a link needs them. The block stops taking details after 2,000 cases or at 16 MB,
whichever comes first (building a case's details takes about a millisecond: before that
limit `finish_run` took 24.8 s here, embedding all 16,091); past that a case keeps its row
(searchable, filterable) and the page points to the run database for its transcript. The offline
agent's answers are templated and compress better than a real model's (here {compression}),
so a real run of this size reaches that budget sooner; the file stays bounded either way.
The search and page timings include unpacking the chunks they need.
"""
    text = DOCS.read_text(encoding="utf-8")
    if SECTION in text:
        start = text.index(SECTION)
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + (text[end + 1 :] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOCS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
