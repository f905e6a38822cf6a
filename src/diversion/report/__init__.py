"""The investigation report: one self-contained HTML file (plus PNG charts and an optional PDF).

``build_report(engine, settings, out_dir)`` reads whatever stage tables
exist; sections of stages that have not run say which command to run.
"""

from diversion.report.build import ReportResult, build_report

__all__ = ["ReportResult", "build_report"]
