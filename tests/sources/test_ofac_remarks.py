"""What the official OFAC CSV writes in its remarks and placeholder rows (real 2021 lines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from diversion.engine import DuckDBEngine
from diversion.sources import ingest_file
from diversion.sources.ofac import parse_remarks

REAL = Path(__file__).parents[1] / "data" / "sanctions" / "ofac2021"


def test_weak_aliases_in_remarks_are_weak_names(engine: DuckDBEngine) -> None:
    ingest_file(engine, "sanctions", REAL / "sdn.csv")
    names = set(engine.fetch_all("SELECT entity_id, name, name_type FROM sanction_names"))
    assert ("ofac-306", "BNC", "weak") in names
    assert ("ofac-4107", "THE CHESS PLAYER", "weak") in names and ("ofac-4107", "LUCAS", "weak") in names


def test_identifiers_written_in_remarks(engine: DuckDBEngine) -> None:
    ingest_file(engine, "sanctions", REAL / "sdn.csv")
    ids = set(engine.fetch_all("SELECT entity_id, scheme, value FROM sanction_identifiers"))
    assert ("ofac-906", "registrationNumber", "01074897") in ids  # Company Number
    assert ("ofac-4359", "taxNumber", "800146749-7") in ids  # NIT #
    assert ("ofac-7156", "taxNumber", "DIB-771110-HQ1") in ids  # R.F.C.
    assert ("ofac-10843", "registrationNumber", "1404087") in ids  # Commercial Registry Number
    assert ("ofac-4107", "passportNumber", "77588") in ids  # alt. Passport
    assert ("ofac-4107", "idNumber", "6067015") in ids  # alt. Cedula No.


@pytest.mark.parametrize(("remark", "expected"), [
    ("Unified Social Credit Code (USCC) 91440300MA5F0X1234 (China)",
     ("registrationNumber", "91440300MA5F0X1234", "CN")),
    ("Legal Entity Number 253400JT3MQWNDKMJE44 (Russia)", ("leiCode", "253400JT3MQWNDKMJE44", "RU")),
    ("LEI 253400JT3MQWNDKMJE44", ("leiCode", "253400JT3MQWNDKMJE44", None)),
    ("Tax ID No. 7701234567 (Russia)", ("innCode", "7701234567", "RU")),
    ("Registration ID 1027700132195 (Russia)", ("registrationNumber", "1027700132195", "RU")),
    ("Identification Number AO 2879097 (Italy) expires 30 Oct 2012", ("idNumber", "AO 2879097", "IT")),
    ("Company Number IMO 1234567", ("imoNumber", "1234567", None)),
    ("V.A.T. Number BE 454,419,759", ("vatCode", "BE 454,419,759", None)),
])
def test_remark_identifiers(remark: str, expected: tuple[str, str, str | None]) -> None:
    ids, _ = parse_remarks(remark + ".")
    assert ids[0] == expected


def test_words_that_start_like_a_label_are_no_identifier() -> None:
    ids, _ = parse_remarks("Innovation Center 2000; Passport issued 21 Jun 1992 in Amman, Jordan")
    assert ids == []


def test_empty_address_rows_skipped_and_counted_not_quarantined(engine: DuckDBEngine) -> None:
    result = ingest_file(engine, "sanctions", REAL / "add.csv", strict=True)
    assert (result.rows_read, result.rows_quarantined, result.rows_empty) == (6, 0, 3)
    assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_duplicate
    assert engine.count("sanction_addresses") == 3 and engine.count("quarantine") == 0
