"""Shipments parsed inside a DuckDB warehouse (``Staged``) load exactly as through Arrow, and leave nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from diversion.engine import DuckDBEngine
from diversion.errors import SourceError
from diversion.sources import ParseOptions, ingest_file
from diversion.sources.shipments import parse_shipments

DATA = Path(__file__).parents[1] / "data" / "shipments"

# Good rows, a repeated row, bad fields, a value above the ceiling, an infinite quantity, a row with too
# many fields: every way a row can go.
MIXED = (
    "record_id,date,hs_code,exporter_name,importer_name,value,currency,quantity,origin_country\n"
    "A1,2023-01-01,845811,Exporter A,Importer B,100,USD,1,CN\n"
    "A1,2023-01-01,845811,Exporter A,Importer B,100,USD,1,CN\n"
    "A2,2023-13-01,845811,Exporter A,Importer B,100,USD,1,CN\n"
    "A3,2023-01-03,845811,Exporter A,Importer B,1e308,USD,1,China\n"
    "A4,2023-01-04,845811,Exporter A,Importer B,5,USD,inf,КИТАЙ\n"
    "A5,2023-01-05,8,Exporter A,Importer B,5,EUR,2,Atlantis\n"
    "A6,2023-01-06,845811,Exporter A,Importer B,5,USD,2,CN,extra\n"
    "A7,05.01.2023,8458.11,Exporter A,  Importer C ,\"1 234,50\",RUB,3,DE\n"
)


@contextmanager
def _no_scratch() -> Iterator[None]:
    yield None


def _loaded(engine: DuckDBEngine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    rows = engine.fetch_all("SELECT * EXCLUDE (source_id) FROM shipments ORDER BY line, record_hash")
    quarantined = engine.fetch_all("SELECT line, field, reason, raw FROM quarantine ORDER BY line, field")
    return rows, quarantined


@pytest.mark.parametrize("name", ["standard.csv", "bad_rows.csv", "tab_delimited.tsv", "mixed.csv"])
def test_staged_rows_load_as_arrow_rows_do(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = DATA / name
    if name == "mixed.csv":
        path = tmp_path / name
        path.write_text(MIXED, encoding="utf-8")
    staged = DuckDBEngine(":memory:")
    via_arrow = DuckDBEngine(":memory:")
    monkeypatch.setattr(via_arrow, "scratch", _no_scratch)  # what a warehouse that is not DuckDB gets
    first = ingest_file(staged, "shipments", path)
    second = ingest_file(via_arrow, "shipments", path)
    assert (first.rows_read, first.rows_loaded, first.rows_quarantined, first.rows_duplicate) == (
        second.rows_read, second.rows_loaded, second.rows_quarantined, second.rows_duplicate)
    assert first.quarantine_reasons == second.quarantine_reasons
    assert _loaded(staged) == _loaded(via_arrow)
    if name == "mixed.csv":  # the file exercises what it is meant to
        assert first.rows_duplicate == 1 and first.rows_loaded == 2
        assert {r.split(":")[0] for r in first.quarantine_reasons} >= {"date", "value", "quantity", "hs_code", "row"}


def test_the_staged_path_is_taken_and_its_catalog_removed(tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    with engine.scratch() as scratch:
        parsed = parse_shipments(DATA / "standard.csv", ParseOptions(source_id="x" * 64, scratch=scratch))
        assert not parsed.tables and parsed.staged["shipments"].num_rows == 4
    ingest_file(engine, "shipments", DATA / "standard.csv")
    with pytest.raises(SourceError):
        ingest_file(engine, "shipments", tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("no,shipment,columns\n1,2,3\n", encoding="utf-8")
    with pytest.raises(SourceError):
        ingest_file(engine, "shipments", bad)
    catalogs = {name for (name,) in engine.fetch_all("SELECT database_name FROM duckdb_databases()")}
    assert not [c for c in catalogs if c.startswith("_diversion_scratch")]
    assert engine.count("shipments") == 4
