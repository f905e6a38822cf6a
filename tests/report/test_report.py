"""The HTML report: sections present, stages that have not run named, nothing fetched from the network."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from diversion.cli import app
from diversion.config import load_settings
from diversion.engine import DuckDBEngine
from diversion.report import build_report
from diversion.report.flowcharts import comparison_periods
from diversion.report.sections import detector_methods


def test_report_has_every_section_and_chart(case_engine, tmp_path):
    result = build_report(case_engine, load_settings(environ={}), tmp_path, png=False)
    html = result.html.read_text(encoding="utf-8")
    for anchor in ("summary", "leads", "dossiers", "flows", "method"):
        assert f'id="{anchor}"' in html
    assert html.count("<script>") >= 1 and "Plotly.newPlot" in html
    assert {
        "flows_monthly_by_origin",
        "flows_origin_shares",
        "flows_growth_attribution",
        "flows_sankey",
        "lead1_timeline",
        "lead1_network",
        "lead2_network",
    } <= set(result.charts)
    # Names in Cyrillic and Chinese arrive as text, and the provenance lists files and quarantine.
    assert "Андрей Миронов" in html and "深圳 ELE Technology" in html
    assert "shipments.csv" in html and "not a number" in html and "detect.cutoff_date" in html
    assert "OFAC SDN" in html and "amegino.ae" in html
    assert "China (CN)" in html and "values in <b>GBP</b>" in html


def test_report_fetches_nothing(case_engine, tmp_path):
    html = build_report(case_engine, load_settings(environ={}), tmp_path, png=False).html.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=[\"']?(https?:)?//", html)
    assert "cdn.plot.ly" not in html.split("<body>")[1]


def test_sections_of_stages_not_run_say_which_command(tmp_path, make_case_shipments_only):
    html = build_report(make_case_shipments_only, load_settings(environ={}), tmp_path, png=False).html.read_text()
    assert "not run yet: run `diversion detect`" in html
    assert "not run yet: run `diversion leads`" in html
    assert 'data-chart="flows_monthly_by_origin"' in html


def test_comparison_periods_are_a_year_each_side():
    from datetime import date

    before, after = comparison_periods(date(2020, 1, 1), date(2023, 12, 31), date(2022, 2, 24))
    assert (before.start, before.end) == (date(2021, 2, 24), date(2022, 2, 23))
    assert (after.start, after.end) == (date(2023, 1, 1), date(2023, 12, 31))


def test_detector_method_text_is_never_missing_silently():
    rows = detector_methods(["no_such_detector"])
    assert rows == [{"detector": "no_such_detector", "method": "(no method text found)"}]


def test_cli_report_writes_html(tmp_path, make_case_shipments_only):
    make_case_shipments_only.close()
    db = tmp_path / "w.duckdb"
    eng = DuckDBEngine(db)
    eng.execute("INSERT INTO shipments SELECT * FROM read_parquet(?)", [str(tmp_path / "ship.parquet")])  # no rates
    eng.close()
    r = CliRunner().invoke(app, ["report", "--db", str(db), "--out", str(tmp_path / "out"), "--no-png"])
    assert r.exit_code == 0, r.output
    assert "no GBP exchange rates loaded: values are stated in USD" in " ".join(r.output.split())
    assert (tmp_path / "out" / "report.html").stat().st_size > 1_000_000  # plotly.js inlined
