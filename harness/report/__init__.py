"""The HTML report: one self-contained file compliance staff can read, keep and print."""

from harness.report.render import FailingCase, ReportData, render_report

__all__ = ["FailingCase", "ReportData", "render_report"]
