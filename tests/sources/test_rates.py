"""Exchange rates: parsing, quarantine, one rate per month and currency, value_usd."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from diversion.sources import ingest_file
from diversion.sources.rates import fill_value_usd

DATA = Path(__file__).parents[1] / "data"


def test_rates_are_loaded_per_month(engine) -> None:
    result = ingest_file(engine, "rates", DATA / "rates" / "rates.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 4, 0)
    rows = engine.fetch_all("SELECT month, currency, per_usd, line FROM rates ORDER BY line")
    assert rows[0] == (date(2023, 6, 1), "EUR", 0.92, 2)
    assert rows[3] == (date(2023, 7, 1), "RUB", 90.5, 5)  # a full date is read as its month


def test_bad_rate_rows_are_quarantined(engine) -> None:
    result = ingest_file(engine, "rates", DATA / "rates" / "bad_rates.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (7, 2, 5)
    assert engine.fetch_all("SELECT line, field, reason FROM quarantine ORDER BY line") == [
        (3, "month", "month: not a month (expected YYYY-MM or a date)"),
        (4, "currency", "currency: not an ISO-4217 currency code"),
        (5, "per_usd", "per_usd: not positive"),
        (6, "per_usd", "per_usd: missing"),
        (8, None, "row: too few fields (expected 3)"),
    ]
    assert engine.scalar("SELECT per_usd FROM rates WHERE currency = 'GBP'") == 0.79  # "0,79"


def test_one_rate_per_month_and_currency(engine, tmp_path: Path) -> None:
    ingest_file(engine, "rates", DATA / "rates" / "rates.csv")
    newer = tmp_path / "rates2.csv"
    newer.write_text("month,currency,per_usd\n2023-06,EUR,0.95\n2023-08,EUR,0.93\n", encoding="utf-8")
    result = ingest_file(engine, "rates", newer)
    assert (result.rows_loaded, result.rows_duplicate) == (1, 1)
    assert engine.scalar("SELECT per_usd FROM rates WHERE month = DATE '2023-06-01'") == 0.92


def test_fill_value_usd_only_fills_missing(engine) -> None:
    ingest_file(engine, "shipments", DATA / "shipments" / "standard.csv")
    engine.execute("UPDATE shipments SET value_usd = -1 WHERE record_id = 'D-004'")
    ingest_file(engine, "rates", DATA / "rates" / "rates.csv")
    fill_value_usd(engine)
    assert engine.scalar("SELECT value_usd FROM shipments WHERE record_id = 'D-004'") == -1
    assert engine.scalar("SELECT value_usd FROM shipments WHERE record_id = 'D-002'") == 1_250_000.0
