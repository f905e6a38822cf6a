"""Values checked against what they can mean (``sources.bounds``): no number that cannot be true is loaded."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from diversion.config import IngestSettings, load_settings
from diversion.engine import DuckDBEngine
from diversion.errors import ConfigError
from diversion.flows import FlowQuery, compute_flows
from diversion.sources import ingest_file
from diversion.sources.rates import fill_value_usd


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_rates_that_cannot_be_true_are_quarantined(engine: DuckDBEngine, tmp_path: Path) -> None:
    path = _file(tmp_path, "r.csv", "month,currency,per_usd\n2023-01,EUR,0.92\n2023-02,EUR,NaN\n2023-03,EUR,inf\n"
                 "2023-04,EUR,1e-320\n2023-05,RUB,0.0001\n2023-06,RUB,95.5\n2023-07,USD,1.1\n2023-08,XAF,600\n")
    result = ingest_file(engine, "rates", path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (8, 3, 5)
    reasons = engine.fetch_all("SELECT line, reason FROM quarantine ORDER BY line")
    assert [line for line, _ in reasons] == [3, 4, 5, 6, 8]
    assert reasons[0][1] == reasons[1][1] == "per_usd: not a finite number"
    assert "outside the plausible band for EUR" in reasons[2][1] and "for RUB" in reasons[3][1]
    assert all(math.isfinite(r) for (r,) in engine.fetch_all("SELECT per_usd FROM rates"))


def test_shipment_values_above_the_ceiling_are_quarantined(engine: DuckDBEngine, tmp_path: Path) -> None:
    path = _file(tmp_path, "s.csv", "date,hs_code,exporter_name,importer_name,value,currency,quantity\n"
                 "2023-01-01,845811,A,B,100,USD,1\n2023-01-02,845811,A,B,1e308,USD,1\n"
                 "2023-01-03,845811,A,B,5,USD,1e300\n2023-01-04,845811,A,B,2e6,USD,1\n")
    result = ingest_file(engine, "shipments", path)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 2)
    assert engine.fetch_all("SELECT field FROM quarantine ORDER BY line") == [("value",), ("quantity",)]
    strict = ingest_file(engine, "shipments", _file(tmp_path, "t.csv", path.read_text() + "\n"),
                         limits=IngestSettings(max_value=1e6))  # configurable
    assert (strict.rows_loaded, strict.rows_quarantined) == (1, 3)


def test_the_bounds_are_settings(tmp_path: Path) -> None:
    config = _file(tmp_path, "d.toml", "[ingest]\nmax_value = 1e9\n[ingest.rate_min_per_usd]\nRUB = 20\n")
    settings = load_settings(config_file=config, environ={"DIVERSION_INGEST__RATE_MAX_PER_USD__RUB": "200"})
    assert settings.ingest.max_value == 1e9 and settings.ingest.rate_band("RUB") == (20.0, 200.0)
    assert settings.ingest.rate_band("XAF") == (1e-4, 1e6)
    for bad in ("max_value = -1", "max_value = nan", "rate_min_per_usd = {EUR = 3}"):
        with pytest.raises(ConfigError, match="ingest"):
            load_settings(config_file=_file(tmp_path, "b.toml", "[ingest]\n" + bad + "\n"), environ={})


def test_a_bad_rate_already_in_a_warehouse_never_makes_a_figure_nan(engine: DuckDBEngine) -> None:
    """A warehouse loaded before rates were bounded: a NaN rate gives no value, not NaN totals."""
    from datetime import date

    engine.execute("INSERT INTO rates VALUES (DATE '2023-01-01', 'EUR', 'NaN'::DOUBLE, 'old', 1, 'h1'), "
                   "(DATE '2023-01-01', 'GBP', 0.8, 'old', 2, 'h2')")
    engine.execute(
        "INSERT INTO shipments (record_id, date, hs_code, exporter_name, importer_name, importer_country, "
        "origin_country, value, currency, source_id, line, record_hash) VALUES "
        "('a', DATE '2023-01-05', '845811', 'A', 'B', 'RU', 'CN', 100, 'USD', 'old', 1, 'a'), "
        "('b', DATE '2023-01-06', '845811', 'A', 'B', 'RU', 'CN', 100, 'EUR', 'old', 2, 'b')")
    fill_value_usd(engine)
    assert engine.fetch_all("SELECT record_id, value_usd FROM shipments ORDER BY 1") == [("a", 100.0), ("b", None)]
    result = compute_flows(engine, FlowQuery(currency="GBP"))
    values = [r["value"] for r in result.series]
    assert values and all(v is not None and math.isfinite(v) for v in values)
    assert date(2023, 1, 1) in {r["period"] for r in result.series}
