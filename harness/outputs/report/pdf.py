"""Printing the report to PDF through headless Chromium: the file compliance can file.

The report's own print stylesheet lays it out (A4, run, scenario, verdict and "page N of M"
in the margins); the page's script first renders every embedded failing case for print, and
the PDF is written once it says so (``<html data-print-ready>``). Playwright drives the
browser: it is the only module that imports it, and it is optional (``pip install
playwright``); the browser is the system's Chromium, never a download.

>>> print_pdf(Path("reports/run-1/report.html"), Path("reports/run-1/report.pdf"))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import ConfigError

#: Debian's Chromium (``apt-get install chromium``).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
)
#: How long the page may take to load and prepare every case for print.
TIMEOUT_S = 120.0


def print_pdf(
    report: Path, pdf: Path, *, chromium: Path = CHROMIUM, timeout_s: float = TIMEOUT_S
) -> Path:
    """Print ``report`` (an HTML report) to ``pdf`` and return ``pdf``.

    :class:`ConfigError` names what is missing when playwright or Chromium is not there,
    or when the browser does not start or finish in ``timeout_s``.
    """
    if not report.is_file():
        raise ConfigError(f"{report} not found: the run folder holds no report")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise ConfigError(
            "harness report pdf needs playwright to drive Chromium: pip install playwright "
            "(no browser download is needed: it uses the system's Chromium)"
        ) from None
    if not chromium.is_file():
        raise ConfigError(
            f"no Chromium at {chromium}: install it (Debian and Ubuntu: apt-get install "
            "chromium) or pass --chromium PATH"
        )
    timeout_ms = timeout_s * 1000
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(chromium), args=list(CHROMIUM_ARGS)
            )
            try:
                page = browser.new_page()
                page.goto(report.resolve().as_uri(), wait_until="load", timeout=timeout_ms)
                page.emulate_media(media="print")
                if "printReady" in report.read_text(encoding="utf-8", errors="replace"):
                    # The page's script renders the embedded cases for print, then says so
                    # (a report of an older harness has nothing to wait for).
                    ready = "html[data-print-ready]"
                    page.wait_for_selector(ready, state="attached", timeout=timeout_ms)
                pdf.parent.mkdir(parents=True, exist_ok=True)
                page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
            finally:
                browser.close()
    except Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"{report}: Chromium ({chromium}) could not print it: {first}") from None
    return pdf
