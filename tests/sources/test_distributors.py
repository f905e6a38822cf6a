"""Authorised distributors CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from diversion.engine import DuckDBEngine
from diversion.errors import SourceError
from diversion.sources import ingest_file

DATA = Path(__file__).parents[1] / "data" / "distributors"


def test_distributors_loaded(engine: DuckDBEngine) -> None:
    result = ingest_file(engine, "distributors", DATA / "distributors.csv")
    rows = engine.fetch_all("SELECT brand, distributor_name, country, domain FROM distributors ORDER BY line")
    assert rows == [
        ("Tsugami", "REM Sales LLC", "US", "rem-sales.com"),
        ("Tsugami", "Tsugami Europe GmbH", "DE", "tsugami.eu"),
    ]
    # Line 4 says the same as line 3 once normalised: a duplicate, not a second row.
    assert (result.rows_read, result.rows_loaded, result.rows_duplicate, result.rows_quarantined) == (6, 2, 1, 3)
    assert result.quarantine_reasons == {"empty brand": 1, "empty distributor name": 1, "invalid domain name": 1}


def test_semicolon_delimiter_and_bom(engine: DuckDBEngine, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes("\ufeffbrand;distributor_name;country;domain\nTsugami;Tsugami Korea;Korea;tsugami.co.kr\n"
                     .encode())
    ingest_file(engine, "distributors", path)
    assert engine.fetch_all("SELECT country, domain FROM distributors") == [("KR", "tsugami.co.kr")]


def test_wrong_header_is_a_source_error(engine: DuckDBEngine, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("company,country\nA,B\n")
    with pytest.raises(SourceError, match="unknown distributors format"):
        ingest_file(engine, "distributors", path)


@pytest.mark.parametrize(
    "content",
    [b"brand,distributor_name\n\x00\x01\x02\x03", b"brand,distributor_name\nA\x98\x81,B\n"],
    ids=["binary", "undecodable"],
)
def test_unreadable_file_is_a_source_error(engine: DuckDBEngine, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(content)
    with pytest.raises(SourceError, match="binary file|cannot decode"):
        ingest_file(engine, "distributors", path)
