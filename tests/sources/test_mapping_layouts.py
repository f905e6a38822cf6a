"""Mappings for layouts as users have them: banners, sheets, NULL cells, row filters, fan-out, multipliers, widths."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from diversion.errors import ConfigError, SourceError, StrictModeError
from diversion.sources import ParseOptions, ingest_file
from diversion.sources.mapping import load_mapping
from diversion.sources.shipments import parse_shipments

DATA = Path(__file__).parents[1] / "data"
VENDOR = DATA / "shipments" / "vendor_extract.xlsx"
SID = "e" * 64


def _mapping(tmp_path: Path, text: str, name: str = "map.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _counts_add_up(engine) -> None:
    for row in engine.fetch_dicts("SELECT * FROM sources"):
        assert row["rows_read"] == row["rows_loaded"] + row["rows_quarantined"] + row["rows_duplicate"]


def test_vendor_xlsx_with_banner_null_cells_months_and_inn(engine) -> None:
    result = ingest_file(engine, "shipments", VENDOR, mapping=DATA / "shipments" / "vendor_extract.yaml")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 4, 2)
    _counts_add_up(engine)
    rows = {r["record_id"]: r for r in engine.fetch_dicts("SELECT * FROM shipments")}
    first = rows["10702070/120423/3012345"]
    assert first["date"] == date(2023, 4, 1)  # "Apr 2023"
    assert first["line"] == 7  # the sheet row: header on row 6
    assert (first["importer_name"], first["importer_id"]) == ('ООО "АМГ"', "7701234567")
    # One source column feeds two standard columns.
    assert (first["dispatch_country"], first["exporter_country"], first["origin_country"]) == ("CN", "CN", "JP")
    parts = rows["10702070/180423/3012399"]
    assert parts["brand"] is None and parts["origin_country"] is None  # NULL cells are empty, not "a country"
    assert rows["10702070/220523/3013100"]["hs_code"] == "0102290000"  # a number cell lost its leading zero
    quarantine = engine.fetch_dicts("SELECT line, field, reason FROM quarantine ORDER BY line")
    assert quarantine == [
        {"line": 10, "field": "Направление",
         "reason": "Направление: left out by the mapping's keep (Направление = ИМ)"},
        {"line": 12, "field": "value", "reason": "value: missing"},  # NULL in a required column
    ]


def test_vendor_header_under_a_banner_is_found_without_header_row(tmp_path: Path) -> None:
    text = (DATA / "shipments" / "vendor_extract.yaml").read_text(encoding="utf-8")
    mapping = _mapping(tmp_path, text.replace("header_row: 6\n", "").replace("sheet: Импорт\n", ""))
    parsed = parse_shipments(VENDOR, ParseOptions(SID, mapping=mapping))
    assert parsed.tables["shipments"].num_rows == 4 and parsed.rows_read == 6


def test_vendor_xlsx_without_a_mapping_says_what_is_missing() -> None:
    with pytest.raises(SourceError, match="missing required column.*header_row"):
        parse_shipments(VENDOR, ParseOptions(SID))


def test_unknown_sheet_names_the_sheets(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, "sheet: Export\ncolumns:\n  Период: date\n")
    with pytest.raises(SourceError, match="no sheet 'Export'.*Импорт, Справка"):
        parse_shipments(VENDOR, ParseOptions(SID, mapping=mapping))


def test_strict_lets_rows_left_out_by_keep_pass(tmp_path: Path, engine) -> None:
    text = (DATA / "shipments" / "vendor_extract.yaml").read_text(encoding="utf-8")
    with pytest.raises(StrictModeError, match="1 bad row.*value: missing"):
        ingest_file(engine, "shipments", VENDOR, strict=True, mapping=_mapping(tmp_path, text))
    csv = tmp_path / "two.csv"
    csv.write_text("flow,date,hs_code,exporter_name,importer_name,value\n"
                   "Import,2023-01-05,8458,A,B,10\nExport,2023-01-06,8458,B,A,20\n", encoding="utf-8")
    keep = _mapping(tmp_path, "keep:\n  flow: import\ncolumns:\n  date: date\n", "keep.yaml")
    result = ingest_file(engine, "shipments", csv, strict=True, mapping=keep)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)


def test_csv_banner_units_row_multiplier_width_and_null_tokens(tmp_path: Path, engine) -> None:
    csv = tmp_path / "national.csv"
    csv.write_text(
        "Imports of machinery, thousands of US dollars\n"
        "Source: national statistics office\n"
        "Month;Chapter;Supplier;Buyer;Country;Value\n"
        "month;code;name;name;ISO;USD thousand\n"
        "Apr 2023;1;Agro LLP;Farm JSC;KZ;12,5\n"
        "2023-05;84;Mash GmbH;Stanki LLC;n/a;1 250\n"
        "05.2023;8;Fruit Co;Shop LLC;-;n/a\n",
        encoding="utf-8",
    )
    mapping = _mapping(tmp_path, (
        "header_row: 3\nskip_rows: 1\ndelimiter: ';'\ncurrency: USD\nnull_values: [n/a, '-']\nhs_width: 2\n"
        "multipliers:\n  value: 1000\n"
        "columns:\n  Month: date\n  Chapter: hs_code\n  Supplier: exporter_name\n  Buyer: importer_name\n"
        "  Country: [exporter_country, origin_country]\n  Value: value\n"
    ))
    result = ingest_file(engine, "shipments", csv, mapping=mapping)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    rows = engine.fetch_dicts("SELECT line, date, hs_code, origin_country, value FROM shipments ORDER BY line")
    assert rows == [
        {"line": 5, "date": date(2023, 4, 1), "hs_code": "01", "origin_country": "KZ", "value": 12_500.0},
        {"line": 6, "date": date(2023, 5, 1), "hs_code": "84", "origin_country": None, "value": 1_250_000.0},
    ]
    assert engine.fetch_all("SELECT line, reason FROM quarantine") == [(7, "value: missing")]


def test_comtrade_file_as_shipments_sums_imports_only(engine) -> None:
    """US-China 2017: imports are $526bn; imports, exports and re-exports together would be $666bn."""
    result = ingest_file(engine, "shipments", DATA / "trade" / "sstaple15_US-CNtrade_comtrade.csv",
                         mapping=DATA / "trade" / "us_cn_as_shipments.yaml")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (290, 97, 193)
    total, chapters = engine.fetch_all("SELECT sum(value), count(DISTINCT hs_code) FROM shipments")[0]
    assert total == pytest.approx(526_022_013_512)
    assert chapters == 97
    assert engine.scalar("SELECT count(*) FROM shipments WHERE hs_code IN ('01', '09')") == 2  # "1", "9" padded
    assert engine.fetch_all("SELECT DISTINCT importer_country, origin_country FROM shipments") == [("US", "CN")]


def test_sitc_file_is_refused_as_shipments_saying_why(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, (
        "classification: S4\ndate_format: '%Y'\ncurrency: USD\n"
        "columns:\n  Year: date\n  Commodity Code: hs_code\n  Reporter: importer_name\n  Partner: exporter_name\n"
        "  Trade Value (US$): value\n"
    ))
    with pytest.raises(SourceError, match="SITC4 is not HS.*SITC 84 is clothing.*ingest stats"):
        parse_shipments(DATA / "trade" / "shjain6670_IBE_China_comtrade.csv", ParseOptions(SID, mapping=mapping))


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("header_row: 0\n", "'header_row': expected a whole number of at least 1"),
    ("skip_rows: -1\n", "'skip_rows'"),
    ("keep: [a, b]\n", "'keep': expected"),
    ("keep:\n  Flow: []\n", "'keep.Flow'"),
    ("multipliers:\n  value: -1\n", "'multipliers.value': expected a positive number"),
    ("multipliers:\n  date: 1000\n", "'multipliers.date': not a number column"),
    ("hs_width: 12\n", "'hs_width'"),
    ("hs_width: odd\n", "'hs_width'"),
    ("classification: XYZ\n", "'classification': unknown classification 'XYZ'"),
    ("columns:\n  A: [date, nosuch]\n", "'columns.A': unknown standard column 'nosuch'"),
    ("sheet: [a]\n", "'sheet': expected a text value"),
    ("null_values: {a: 1}\n", "'null_values'"),
])
def test_new_mapping_keys_name_the_key_of_each_mistake(tmp_path: Path, yaml_text: str, message: str) -> None:
    mapping = _mapping(tmp_path, yaml_text + ("columns:\n  A: date\n" if "columns" not in yaml_text else ""))
    with pytest.raises(ConfigError, match=message) as info:
        load_mapping(mapping)
    assert str(mapping) in str(info.value)


def test_keep_column_missing_from_the_file_is_named(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, "keep:\n  Trade Flow: Import\ncolumns:\n  date: date\n")
    with pytest.raises(SourceError, match="'keep.Trade Flow': the file has no column"):
        parse_shipments(DATA / "shipments" / "standard.csv", ParseOptions(SID, mapping=mapping))


def test_bare_null_in_yaml_means_the_text_null(tmp_path: Path) -> None:
    assert load_mapping(_mapping(tmp_path, "null_values: [NULL, '-']\ncolumns:\n  A: date\n")).null_values == (
        "NULL", "-")


def test_standard_header_under_a_banner_needs_no_mapping(tmp_path: Path, engine) -> None:
    csv = tmp_path / "banner.csv"
    csv.write_text("Export of declarations\n\n"
                   "date,hs_code,exporter_name,importer_name,value\n2023-01-05,8458,A,B,10\n", encoding="utf-8")
    result = ingest_file(engine, "shipments", csv)
    assert (result.rows_read, result.rows_loaded) == (1, 1)
    assert engine.scalar("SELECT line FROM shipments") == 4
