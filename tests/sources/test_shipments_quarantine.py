"""Bad shipment rows: each reason, the raw record kept, ``--strict``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diversion.errors import StrictModeError
from diversion.sources import ingest_file
from diversion.warehouse_status import warehouse_status

DATA = Path(__file__).parents[1] / "data" / "shipments"

EXPECTED = {
    3: ("date", "date: not a valid date (expected YYYY-MM-DD or DD.MM.YYYY)"),
    4: ("date", "date: missing"),
    5: ("hs_code", "hs_code: not an HS code (2-10 digits)"),
    6: ("exporter_name", "exporter_name: missing"),
    7: ("importer_name", "importer_name: missing"),  # only spaces
    8: ("origin_country", "origin_country: not a known country"),
    9: ("value", "value: missing"),
    10: ("value", "value: not a number"),
    11: ("value", "value: negative"),
    12: ("currency", "currency: not an ISO-4217 currency code"),
    13: ("manufacture_year", "manufacture_year: not a year (1900-2100)"),
    14: ("quantity", "quantity: not a number"),
    15: ("net_weight_kg", "net_weight_kg: negative"),
    16: (None, "row: too few fields (expected 11)"),
    17: (None, "row: too many fields (expected 11)"),
}


def test_each_bad_row_is_quarantined_with_line_field_and_reason(engine) -> None:
    result = ingest_file(engine, "shipments", DATA / "bad_rows.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (17, 2, 15)
    got = {r["line"]: (r["field"], r["reason"]) for r in engine.fetch_dicts("SELECT * FROM quarantine")}
    assert got == EXPECTED
    assert engine.fetch_all("SELECT record_id, line FROM shipments ORDER BY line") == [("ok-1", 2), ("ok-2", 18)]
    assert engine.scalar("SELECT value FROM shipments WHERE record_id = 'ok-2'") == 1000.5  # "1 000,50"
    assert result.quarantine_reasons["value: negative"] == 1


def test_quarantine_keeps_the_raw_record(engine) -> None:
    ingest_file(engine, "shipments", DATA / "bad_rows.csv")
    raw = json.loads(engine.scalar("SELECT raw FROM quarantine WHERE line = 3"))
    assert raw["record_id"] == "bad-date" and raw["date"] == "31.02.2023"
    assert engine.scalar("SELECT raw FROM quarantine WHERE line = 16") == "short,2023-05-01,845811"
    assert engine.scalar("SELECT count(DISTINCT path) FROM quarantine") == 1


def test_status_groups_quarantine_reasons(engine, tmp_path: Path) -> None:
    path = tmp_path / "dates.csv"
    path.write_text("date,hs_code,exporter_name,importer_name,value\n"
                    "31.02.2023,8458,A,B,1\n2023-13-01,8458,A,B,1\nyesterday,8458,A,B,1\n", encoding="utf-8")
    ingest_file(engine, "shipments", path)
    groups = warehouse_status(engine).quarantine
    assert [(g["reason"], g["n"]) for g in groups] == [
        ("date: not a valid date (expected YYYY-MM-DD or DD.MM.YYYY)", 3)
    ]


def test_bad_quoting_is_a_row_error(engine, tmp_path: Path) -> None:
    path = tmp_path / "quotes.csv"
    path.write_text('date,hs_code,exporter_name,importer_name,value\n'
                    '2023-01-01,8458,A "quoted" name,B,1\n'
                    '2023-01-02,8458,"unterminated,B,2\n', encoding="utf-8")
    result = ingest_file(engine, "shipments", path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert engine.scalar("SELECT exporter_name FROM shipments") == 'A "quoted" name'
    assert engine.fetch_all("SELECT line, reason FROM quarantine") == [
        (3, "row: bad quoting (unterminated or stray quote)")
    ]


def test_bad_bytes_after_the_sample_quarantine_one_row(engine, tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    lines = ["date,hs_code,exporter_name,importer_name,value"]
    lines += [f"2023-01-01,8458,Exporter {i},Importer,1" for i in range(40_000)]  # > 1 MiB of clean UTF-8
    path.write_bytes(("\n".join(lines) + "\n").encode() + b"2023-01-02,8458,Bad \xff name,Imp,2\n"
                     b"2023-01-03,8458,After,Imp,3\n")
    result = ingest_file(engine, "shipments", path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (40_002, 40_001, 1)
    assert engine.fetch_all("SELECT line, reason FROM quarantine") == [
        (40_002, "row: bytes that are not valid UTF-8")
    ]
    assert engine.scalar("SELECT line FROM shipments WHERE exporter_name = 'After'") == 40_003


def test_strict_fails_the_file_and_writes_nothing(engine) -> None:
    with pytest.raises(StrictModeError, match=r"15 bad row\(s\).*line 3, field date"):
        ingest_file(engine, "shipments", DATA / "bad_rows.csv", strict=True)
    assert engine.count("shipments") == engine.count("quarantine") == engine.count("sources") == 0


def test_strict_passes_a_clean_file(engine) -> None:
    result = ingest_file(engine, "shipments", DATA / "standard.csv", strict=True)
    assert result.rows_loaded == 4
