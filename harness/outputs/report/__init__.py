"""The HTML report: one self-contained file compliance staff can read, keep and print."""

from harness.outputs.report.render import HTML_CASES, ReportData, render_report
from harness.outputs.report.views import BaselineCase, FailingCase

__all__ = ["HTML_CASES", "BaselineCase", "FailingCase", "ReportData", "render_report"]
