"""``harness report pdf RUN_DIR``: the run's report printed to ``report.pdf``.

Exit status: 0 written (and recorded in the manifest's output hashes, re-signed with
``HARNESS_SIGNING_KEY`` when the run is signed), 2 when playwright or Chromium is missing,
the folder holds no report, or the run is signed and the key is not set.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.cli.groups import add_command
from harness.errors import ConfigError, ExitStatus

#: :data:`harness.outputs.report.pdf.CHROMIUM`, repeated so ``harness --help`` loads no
#: library (a test keeps the two equal).
CHROMIUM = Path("/usr/bin/chromium")


def register(commands: Any) -> None:
    """Add ``report`` (with ``pdf``) to the ``harness`` command's subparsers."""
    report = commands.add_parser(
        "report",
        help="work with a run's report (print it to PDF)",
        description="Work with the report a run wrote.",
    )
    actions = report.add_subparsers(dest="report_command", required=True, metavar="ACTION")
    pdf = add_command(actions, "pdf", pdf_command, "print a run's report.html to report.pdf")
    pdf.description = (
        "Print RUN_DIR/report.html to RUN_DIR/report.pdf through headless Chromium (A4; the "
        "run, scenario, verdict and page numbers on every page; every failing case the "
        "report holds), and record its SHA-256 in the run's manifest. Needs playwright "
        f"(pip install playwright) and Chromium at {CHROMIUM} or --chromium."
    )
    pdf.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run's output folder")
    pdf.add_argument(
        "--chromium", type=Path, default=CHROMIUM, help=f"the Chromium to print with ({CHROMIUM})"
    )


def pdf_command(args: argparse.Namespace) -> int:
    from harness.cli.verify import KEY_VARIABLE, key_from_environment
    from harness.outputs.report.pdf import print_pdf
    from harness.run.seal import MANIFEST, SIGNATURE, add_output

    out: Path = args.run_dir
    key = key_from_environment()
    manifest = (out / MANIFEST).is_file()
    if manifest and (out / SIGNATURE).exists() and key is None:
        raise ConfigError(
            f"{out / MANIFEST} is signed: set {KEY_VARIABLE} to the key it was signed with, so "
            "report.pdf can be added to it"
        )
    pdf = print_pdf(out / "report.html", out / "report.pdf", chromium=args.chromium)
    if manifest:
        add_output(out, pdf.name, key=key)
    print(f"pdf:     {pdf}")
    return ExitStatus.PASSED
