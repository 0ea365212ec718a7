"""The HTML report: one self-contained file compliance staff can read, keep and print."""

from harness.report.render import HTML_CASES, ReportData, render_report
from harness.report.views import BaselineCase, FailingCase

__all__ = ["HTML_CASES", "BaselineCase", "FailingCase", "ReportData", "render_report"]
