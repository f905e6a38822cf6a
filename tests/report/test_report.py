"""The HTML report: sections present, stages that have not run named, nothing fetched from the network."""

from __future__ import annotations

import re

import pytest
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
    # No rates file: the shipped ECB reference rates state the report in GBP (it used to fall back to USD).
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "values in <b>GBP</b>" in html and "ECB euro foreign exchange reference rates" in html
    assert "values are stated in USD" not in r.output
    assert (tmp_path / "out" / "report.html").stat().st_size > 1_000_000  # plotly.js inlined


def test_report_after_detect_without_leads_refuses_with_the_command(tmp_path, case_engine):
    from diversion.read.stages import StageNotRun, record_stage

    record_stage(case_engine, "detect", "2 findings")  # detection ran after the leads were ranked: stale
    with pytest.raises(StageNotRun, match="run `diversion leads` again"):
        build_report(case_engine, load_settings(environ={}), tmp_path, png=False)
    case_engine.execute("DELETE FROM leads")  # detection ran, leads never did
    with pytest.raises(StageNotRun, match="run `diversion leads` first"):
        build_report(case_engine, load_settings(environ={}), tmp_path, png=False)
    record_stage(case_engine, "leads", "0 leads")
    build_report(case_engine, load_settings(environ={}), tmp_path, png=False)


def test_report_marks_the_threshold_cut_lists_records_and_exports_them(case_engine, tmp_path):
    case_engine.execute("INSERT INTO leads VALUES (3, 'e-x', 'Андрей Миронов', 'RU', 0.3, 'sanctions_proximity', "
                        "'owner', 'lead')")
    case_engine.execute("INSERT INTO leads VALUES (1, 'e-lonely', 'Lonely Listed LLC', 'RU', 0.9, 'sanctioned', "
                        "'listed, no trade', 'context')")
    case_engine.execute("UPDATE findings SET evidence = ? WHERE finding_id = 'f2'",
                        ['{"shipment_ids": ["r0", "r3"], "facts": [["Lists", "OFAC SDN"]]}'])
    result = build_report(case_engine, load_settings(environ={}), tmp_path, png=False)
    html = result.html.read_text(encoding="utf-8")
    leads = html.split('id="leads"')[1].split('id="dossiers"')[0]
    assert leads.index("Amegino FZE") < leads.index("<tr class=\"cut\">") < leads.index("Андрей Миронов")
    assert 'id="context"' in html and "Lonely Listed LLC" in html.split('id="context"')[1]
    assert "<th>Lists</th><td>OFAC SDN</td>" in html and "<code>r0</code>" in html and "shipments.csv:1" in html
    rows = result.evidence.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("finding_id,flag,entity_id") and any(",r0,shipments.csv," in r for r in rows)
    assert "{&#34;" not in html and '{"' not in html.split("<body>")[1].split("<script")[0]  # no JSON dumps


def test_demo_reports_say_synthetic(case_engine, tmp_path):
    from diversion.read.stages import mark_synthetic

    html = build_report(case_engine, load_settings(environ={}), tmp_path, png=False).html.read_text(encoding="utf-8")
    assert "SYNTHETIC" not in html
    mark_synthetic(case_engine, "the diversion demo data set")
    html = build_report(case_engine, load_settings(environ={}), tmp_path, png=False).html.read_text(encoding="utf-8")
    assert "SYNTHETIC DATA — the diversion demo data set" in html
    # On every printed page: a page-margin box of the A4 page.
    assert '@bottom-center { content: "SYNTHETIC DATA — every record in this report is invented"' in html
