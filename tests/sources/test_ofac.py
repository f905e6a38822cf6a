"""OFAC SDN legacy CSV set: sdn.csv, alt.csv, add.csv (no header, ``-0-`` for empty)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diversion.engine import DuckDBEngine
from diversion.sources import ingest_file
from diversion.sources.ofac import detect, parse_ofac_text, parse_remarks, programs

DATA = Path(__file__).parents[1] / "data" / "sanctions"


def load_set(engine: DuckDBEngine, *names: str) -> list:
    return [ingest_file(engine, "sanctions", DATA / name) for name in names]


def test_each_file_detected_from_its_shape() -> None:
    assert detect((DATA / "sdn.csv").read_text()) == "sdn"
    assert detect((DATA / "alt.csv").read_text()) == "alt"
    assert detect((DATA / "add.csv").read_text()) == "add"
    assert detect("name,country\nACME,RU\n") is None
    assert detect("1,2,3,4,5,6,7,8,9,10,11,12\n") is None  # right width, but no -0- markers


def test_sdn_set_loads_entities_names_addresses(engine: DuckDBEngine) -> None:
    results = load_set(engine, "sdn.csv", "alt.csv", "add.csv")
    assert [r.format for r in results] == ["ofac-sdn", "ofac-alt", "ofac-add"]
    for r in results:
        assert r.rows_read == r.rows_loaded + r.rows_quarantined + r.rows_duplicate
    rows = {r["entity_id"]: r for r in engine.fetch_dicts("SELECT * FROM sanctions")}
    assert set(rows) == {"ofac-51234", "ofac-51235", "ofac-51236", "ofac-51237"}
    assert rows["ofac-51234"]["schema"] == "Organization"
    assert rows["ofac-51236"]["schema"] == "Person"
    assert rows["ofac-51237"]["schema"] == "Vessel"
    assert rows["ofac-51235"]["programs"] == ["RUSSIA-EO14024", "UKRAINE-EO13662"]
    assert rows["ofac-51234"]["listing_date"] is None
    assert rows["ofac-51234"]["list_name"] == "us_ofac_sdn"
    assert rows["ofac-51236"]["countries"] == ["RU"]
    assert json.loads(rows["ofac-51237"]["properties"])["flag"] == ["Panama"]
    names = set(engine.fetch_all("SELECT name, name_type FROM sanction_names WHERE entity_id = 'ofac-51234'"))
    assert names == {("AMG LLC", "primary"), ("OOO AMG", "alias"), ("AMG TRADING LLC", "previous")}
    assert ("IVANOV, Vanya", "weak") in set(engine.fetch_all("SELECT name, name_type FROM sanction_names"))
    address = engine.fetch_dicts("SELECT * FROM sanction_addresses WHERE entity_id = 'ofac-51235'")[0]
    assert address["address"] == "Office 1203, Jumeirah Lake Towers, Dubai, United Arab Emirates"
    assert (address["city"], address["country"]) == ("Dubai", "AE")


def test_identifiers_parsed_from_remarks(engine: DuckDBEngine) -> None:
    load_set(engine, "sdn.csv")
    ids = set(engine.fetch_all("SELECT entity_id, scheme, value FROM sanction_identifiers"))
    assert ("ofac-51234", "innCode", "7701234567") in ids
    assert ("ofac-51234", "registrationNumber", "1157746123456") in ids
    assert ("ofac-51234", "ogrnCode", "1157746123456") in ids
    assert ("ofac-51235", "registrationNumber", "DMCC-123456") in ids
    assert ("ofac-51237", "imoNumber", "9123456") in ids
    assert ("ofac-51234", "referent", "ofac-51234") in ids


def test_ofac_row_and_opensanctions_entity_share_a_referent(engine: DuckDBEngine) -> None:
    load_set(engine, "sdn.csv", "opensanctions.ftm.json")
    shared = engine.fetch_all(
        "SELECT a.entity_id, b.entity_id FROM sanction_identifiers a JOIN sanction_identifiers b "
        "ON a.scheme = 'referent' AND b.scheme = 'referent' AND a.value = b.value AND a.entity_id < b.entity_id"
    )
    assert shared == [("NK-amg0001", "ofac-51234")]


def test_parse_remarks() -> None:
    ids, facts = parse_remarks(
        "Tax ID No. 7701234567 (Russia); INN 7709876543; Tax ID No. 12-345 (Germany); "
        "Website www.x.ru; Linked To: KOMETA."
    )
    assert ("innCode", "7701234567", "RU") in ids
    assert ("innCode", "7709876543", None) in ids
    assert ("taxNumber", "12-345", "DE") in ids
    assert facts == {"website": ["www.x.ru"], "linkedTo": ["KOMETA"]}


def test_programs() -> None:
    assert programs("[RUSSIA-EO14024]") == ["RUSSIA-EO14024"]
    assert programs("SDGT] [IRGC") == ["SDGT", "IRGC"]
    assert programs(None) == []


def test_alt_and_add_before_sdn_keep_their_rows(engine: DuckDBEngine) -> None:
    load_set(engine, "alt.csv", "add.csv")
    assert engine.count("sanctions") == 0
    assert engine.scalar("SELECT count(*) FROM sanction_names WHERE entity_id = 'ofac-51240'") == 1
    load_set(engine, "sdn.csv")
    # The aliases loaded first now sit next to their entity's primary name.
    assert engine.scalar("SELECT count(*) FROM sanction_names WHERE entity_id = 'ofac-51234'") == 3


def test_bad_rows_quarantined(engine: DuckDBEngine) -> None:
    sdn, alt, add = load_set(engine, "sdn.csv", "alt.csv", "add.csv")
    assert sdn.quarantine_reasons == {
        "wrong number of fields for OFAC sdn.csv (expected 12)": 1,
        "ent_num is not a number": 1,
        "empty name": 1,
    }
    assert alt.quarantine_reasons == {"unknown alt_type (expected aka, fka or nka)": 1}
    assert add.quarantine_reasons == {} and add.rows_empty == 1  # an all-empty row is a placeholder (issue #14)
    fields = dict(engine.fetch_all("SELECT reason, field FROM quarantine"))
    assert fields["ent_num is not a number"] == "ent_num"
    assert fields["empty name"] == "SDN_Name"


def test_overlapping_reload_adds_nothing(engine: DuckDBEngine, tmp_path: Path) -> None:
    load_set(engine, "sdn.csv", "alt.csv", "add.csv")
    tables = ("sanctions", "sanction_names", "sanction_addresses", "sanction_identifiers")
    before = {t: engine.count(t) for t in tables}
    for name in ("sdn.csv", "alt.csv", "add.csv"):
        copy = tmp_path / name
        copy.write_bytes(b"\r\n" + (DATA / name).read_bytes())  # different bytes, same records
        result = ingest_file(engine, "sanctions", copy)
        # placeholder rows (all-empty add.csv lines) hold nothing and count as loaded each time (issue #14)
        assert result.rows_loaded == result.rows_empty
        assert result.rows_duplicate == result.rows_read - result.rows_quarantined - result.rows_empty
    assert {t: engine.count(t) for t in tables} == before


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_latin_names_in_either_encoding(engine: DuckDBEngine, tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "sdn.csv"
    line = '99,"CAFÉ MÜLLER S.A.",-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    path.write_bytes(line.encode(encoding))
    ingest_file(engine, "sanctions", path)
    assert engine.scalar("SELECT name FROM sanctions") == "CAFÉ MÜLLER S.A."


def test_header_row_is_skipped() -> None:
    text = "ent_num,SDN_Name,SDN_Type,Program,Title,Call_Sign,Vess_type,Tonnage,GRT,Vess_flag,Vess_owner,Remarks\n"
    text += '7,"X CORP",-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
    assert detect(text) == "sdn"
    parsed = parse_ofac_text(text, "sdn")
    assert parsed.rows_read == 1 and parsed.tables["sanctions"].num_rows == 1
