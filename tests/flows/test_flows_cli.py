"""``diversion flows`` on a warehouse file: JSON, CSV and table outputs state their currency."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from diversion.cli import app
from diversion.engine import DuckDBEngine


@pytest.fixture
def db(tmp_path, make_shipments, make_rates):
    path = tmp_path / "w.duckdb"
    eng = DuckDBEngine(path)
    # The user's rate for each month (it wins over the shipped ECB reference rate of that month).
    make_rates(eng, "GBP", 0.8, ["2021-05", "2023-05"])
    make_shipments(
        eng,
        {"date": "2021-05-01", "value": 100.0, "exporter_name": "Official"},
        {"date": "2023-05-01", "value": 1000.0, "exporter_name": "Broker", "hs_code": "8466930000"},
        {"date": "2023-05-01", "value": 5.0, "hs_code": "8501100000"},
    )
    eng.close()
    return path


def run(*args):
    result = CliRunner().invoke(app, list(args))
    return result


def test_json_states_currency_and_attribution(db):
    r = run(
        "flows",
        "--db",
        str(db),
        "--machine-tools",
        "--by",
        "exporter",
        "--before",
        "2021",
        "--after",
        "2023",
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["currency"] == "GBP"
    assert data["filters"] == {"machine_tools": True}
    assert data["attribution"]["before_total"] == pytest.approx(80.0)
    assert data["attribution"]["after_total"] == pytest.approx(800.0)
    assert data["attribution"]["counterparts"][0]["counterpart"] == "Broker"
    assert data["attribution"]["counterparts"][0]["is_new"] is True


def test_csv_has_a_currency_column(db):
    r = run("flows", "--db", str(db), "--currency", "USD", "--format", "csv", "--by", "heading")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert {row["currency"] for row in rows} == {"USD"}
    assert {row["group"] for row in rows} == {"8458", "8466", "8501"}


def test_table_view_names_the_currency(db):
    r = run("flows", "--db", str(db), "--period", "year")
    assert r.exit_code == 0, r.output
    # Years are shown as years (the issue: annual periods printed as 2016-01-01).
    assert "(GBP)" in r.output and "2023" in r.output and "2023-01-01" not in r.output


def test_bad_option_is_one_clear_error(db):
    r = run("flows", "--db", str(db), "--by", "colour")
    assert r.exit_code != 0
    assert "colour" in str(r.exception) or "colour" in r.output
