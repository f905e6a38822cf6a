"""Shipments ingest: formats, encodings, delimiters, mappings and normalisation."""

from __future__ import annotations

import codecs
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from diversion.errors import ConfigError, SourceError
from diversion.sources import ParseOptions, ingest_file
from diversion.sources.csvfiles import sniff_delimiter
from diversion.sources.shipments import parse_shipments

DATA = Path(__file__).parents[1] / "data" / "shipments"
SID = "f" * 64


def rows_by_id(engine, path: Path, mapping: Path | None = None) -> dict[str, dict]:
    """Load a file and return its shipments keyed by record_id."""
    ingest_file(engine, "shipments", path, mapping=mapping)
    return {r["record_id"]: r for r in engine.fetch_dicts("SELECT * FROM shipments ORDER BY line")}


def test_standard_csv_is_normalised(engine) -> None:
    rows = rows_by_id(engine, DATA / "standard.csv")
    assert list(rows) == ["D-001", "D-002", "D-003", "D-004"]
    first, second, third, fourth = rows.values()
    assert first["date"] == date(2021, 3, 15)
    assert first["hs_code"] == "845811"  # 8458.11 -> digits only
    assert third["hs_code"] == "0101"  # leading zero kept
    assert (first["exporter_country"], second["exporter_country"], third["importer_country"]) == ("JP", "AE", "RU")
    assert (second["origin_country"], third["origin_country"], fourth["dispatch_country"]) == ("JP", "CN", "TR")
    assert third["trading_country"] == "HK"
    assert fourth["trading_country"] is None  # empty, not an error
    assert second["value"] == 1_250_000.0  # "1,250,000.00"
    assert third["value"] == 12.5  # "12,5": decimal comma
    assert (first["manufacture_year"], second["manufacture_year"]) == (2019, 2001)
    assert first["importer_name"] == 'OOO "AMG"'
    assert first["value_usd"] == 245000.0 and third["value_usd"] is None
    assert [r["line"] for r in rows.values()] == [2, 3, 4, 5]
    assert len({r["record_hash"] for r in rows.values()}) == 4
    source = engine.fetch_dicts("SELECT format, encoding, rows_read, rows_loaded FROM sources")[0]
    assert source == {"format": "csv", "encoding": "utf-8", "rows_read": 4, "rows_loaded": 4}


def test_bom_gives_the_same_rows(engine) -> None:
    plain = parse_shipments(DATA / "standard.csv", ParseOptions(SID)).tables["shipments"]
    bom = parse_shipments(DATA / "standard_bom.csv", ParseOptions(SID))
    assert bom.encoding == "utf-8-sig"
    assert bom.tables["shipments"].column("record_hash").to_pylist() == plain.column("record_hash").to_pylist()
    assert bom.tables["shipments"].column("record_id").to_pylist()[0] == "D-001"


def test_tab_delimited_without_record_id(engine) -> None:
    parsed = parse_shipments(DATA / "tab_delimited.tsv", ParseOptions(SID))
    rows = parsed.tables["shipments"].to_pylist()
    assert [r["record_id"] for r in rows] == [f"{SID[:12]}:2", f"{SID[:12]}:3"]
    assert [r["origin_country"] for r in rows] == ["TW", "KR"]
    assert rows[1]["hs_code"] == "030211"
    assert rows[0]["value"] == 55000.5


@pytest.mark.parametrize(("sample", "expected"), [
    ("a,b,c\n1,2,3\n", ","), ("a;b;c\n1;2,5;3\n", ";"), ("a\tb\n1\t2\n", "\t"), ("a|b|c\n1|2|3\n", "|"),
])
def test_delimiter_sniffing(sample: str, expected: str) -> None:
    assert sniff_delimiter(sample) == expected


def test_russian_cp1251_extract_with_mapping(engine) -> None:
    rows = rows_by_id(engine, DATA / "ru_extract_cp1251.csv", DATA / "ru_extract.yaml")
    first = rows["10702070/150323/3012345"]
    assert first["date"] == date(2023, 3, 15)
    assert first["hs_code"] == "8458110000"
    assert first["description"] == "Станок токарный с ЧПУ"
    assert first["importer_name"] == 'ООО "АМГ"'
    assert first["value"] == pytest.approx(1234567.89)  # "1 234 567,89"
    assert first["net_weight_kg"] == 3450.5
    assert (first["exporter_country"], first["origin_country"], first["trading_country"]) == ("CN", "JP", "AE")
    assert first["importer_country"] == "RU"  # constant from the mapping
    assert first["currency"] == "USD" and first["value_usd"] == first["value"]
    assert rows["10702070/200423/3019999"]["origin_country"] == "TW"  # ТАЙВАНЬ (КИТАЙ)
    assert engine.scalar("SELECT encoding FROM sources") == "cp1251"
    q = engine.fetch_dicts("SELECT line, field, reason FROM quarantine")
    assert q == [{"line": 4, "field": "date", "reason": "date: not a valid date (expected %d.%m.%Y)"}]


def test_same_extract_resaved_as_utf8_uses_the_same_mapping(tmp_path: Path, engine) -> None:
    utf8 = tmp_path / "ru_extract_utf8.csv"
    utf8.write_text((DATA / "ru_extract_cp1251.csv").read_bytes().decode("cp1251"), encoding="utf-8")
    rows = rows_by_id(engine, utf8, DATA / "ru_extract.yaml")
    assert rows["10702070/150323/3012345"]["description"] == "Станок токарный с ЧПУ"


def test_parquet_with_numeric_cells(tmp_path: Path, engine) -> None:
    path = tmp_path / "declarations.bin"  # detected from content, not the name
    pq.write_table(pa.table({
        "Date": pa.array([date(2023, 2, 1), date(2023, 2, 2)]),
        "HS Code": pa.array([10121, 845811], pa.int64()),  # a number cell lost the leading zero
        "Exporter Name": ["Haas Automation", "Tsugami"],
        "importer_name": ["Stankoimport", "AMG"],
        "value": pa.array([1000.0, 2500.75]),
        "origin_country": ["US", "Japan"],
    }), path)
    rows = rows_by_id(engine, path)
    by_line = sorted(rows.values(), key=lambda r: r["line"])
    assert [r["hs_code"] for r in by_line] == ["010121", "845811"]
    assert [r["date"] for r in by_line] == [date(2023, 2, 1), date(2023, 2, 2)]
    assert [r["value"] for r in by_line] == [1000.0, 2500.75]
    assert [r["line"] for r in by_line] == [1, 2]
    assert by_line[1]["origin_country"] == "JP"
    assert engine.scalar("SELECT format FROM sources") == "parquet"


def test_xlsx_first_sheet(tmp_path: Path, engine) -> None:
    path = tmp_path / "declarations.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(["Record ID", "Date", "HS code", "Exporter name", "Importer name", "Value", "Currency",
                  "Origin country"])
    sheet.append(["X1", datetime(2023, 3, 1), 845811, "Tsugami", "AMG", 1500.5, "USD", "Japan"])
    sheet.append([None] * 8)  # an empty row is skipped
    sheet.append(["X2", "02.03.2023", "0101", "Ele Tech", "AMG", "12,5", "EUR", "КИТАЙ"])
    sheet.append(["X3", "not a date", "8458", "Ele Tech", "AMG", 1, "USD", "CN"])
    book.save(path)
    rows = rows_by_id(engine, path)
    assert rows["X1"]["hs_code"] == "845811" and rows["X1"]["date"] == date(2023, 3, 1)
    assert rows["X1"]["value"] == 1500.5 and rows["X1"]["origin_country"] == "JP"
    assert rows["X2"]["hs_code"] == "0101" and rows["X2"]["date"] == date(2023, 3, 2)
    assert rows["X2"]["value"] == 12.5 and rows["X2"]["origin_country"] == "CN"
    assert (rows["X1"]["line"], rows["X2"]["line"]) == (2, 4)
    assert engine.fetch_all("SELECT line, field FROM quarantine") == [(5, "date")]
    assert engine.fetch_all("SELECT format, rows_read FROM sources") == [("xlsx", 3)]


def test_missing_required_columns_name_them(tmp_path: Path) -> None:
    path = tmp_path / "partial.csv"
    path.write_text("date,hs_code,value\n2023-01-01,8458,1\n", encoding="utf-8")
    with pytest.raises(SourceError, match="exporter_name, importer_name"):
        parse_shipments(path, ParseOptions(SID))


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("columns:\n  A: exporter_nmae\n", "columns.A.*unknown standard column 'exporter_nmae'"),
    ("columns: [a, b\n", "not valid YAML"),
    ("colums:\n  A: date\n", "'colums': unknown key"),
    ("columns:\n  A: date\ndecimal: ';'\n", "'decimal'"),
    ("columns:\n  A: date\nconstants:\n  country: RU\n", "constants.country"),
])
def test_bad_mapping_names_file_and_key(tmp_path: Path, yaml_text: str, message: str) -> None:
    mapping = tmp_path / "bad.yaml"
    mapping.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        parse_shipments(DATA / "standard.csv", ParseOptions(SID, mapping=mapping))
    assert str(mapping) in str(info.value)


@pytest.mark.parametrize(("content", "message"), [
    (b"\x00\x01\x02garbage\x00" * 50, "binary content"),
    (bytes(range(128, 256)) * 20, "unreadable encoding"),
    (b"", "file is empty"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel", "unknown format"),
    (b"PK\x03\x04not really a zip", "not a readable XLSX"),
    (b"PAR1broken parquet", "not a readable Parquet"),
])
def test_unreadable_files_are_source_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        parse_shipments(path, ParseOptions(SID))


def test_utf16_with_bom_is_transcoded(tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    text = (DATA / "standard.csv").read_text(encoding="utf-8")
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    parsed = parse_shipments(path, ParseOptions(SID))
    assert parsed.tables["shipments"].num_rows == 4
    assert parsed.tables["shipments"].column("importer_name").to_pylist()[0] == 'OOO "AMG"'
