"""Sanctions ingest: FtM JSON lines as OpenSanctions publishes them, and format detection."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from diversion.engine import DuckDBEngine
from diversion.errors import SourceError, StrictModeError
from diversion.sources import ParseOptions, ingest_file
from diversion.sources.sanctions import parse_sanctions

DATA = Path(__file__).parents[1] / "data" / "sanctions"
FTM = DATA / "opensanctions.ftm.json"
CHILD_TABLES = ("sanction_names", "sanction_addresses", "sanction_identifiers")


def counts_add_up(result) -> bool:
    return result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_duplicate


def test_ftm_entities_become_sanctions_rows(engine: DuckDBEngine) -> None:
    result = ingest_file(engine, "sanctions", FTM)
    assert result.format == "ftm"
    assert counts_add_up(result)
    rows = {r["entity_id"]: r for r in engine.fetch_dicts("SELECT * FROM sanctions")}
    # NK-kometa is shipped with "target": false: a registry record, not a listing (issue #14)
    assert set(rows) == {"NK-amg0001", "NK-amegino", "NK-ivanov", "NK-vessel1"}
    assert engine.fetch_all("SELECT entity_id, topics FROM registry_entities") == [("NK-kometa", ["mil"])]
    amg = rows["NK-amg0001"]
    assert amg["schema"] == "Company" and amg["name"] == "AMG LLC"
    assert amg["countries"] == ["RU"]
    assert amg["topics"] == ["sanction", "mil"]
    assert amg["list_name"] == "us_ofac_sdn"
    # Programs and the listing date come from the linked Sanction entity.
    assert "RUSSIA-EO14024" in amg["programs"] and "US-RUS" in amg["programs"]
    assert str(amg["listing_date"]) == "2023-05-19"
    properties = json.loads(amg["properties"])
    assert properties["innCode"] == ["7701234567"]
    assert properties["sanctions"][0]["schema"] == "Sanction"
    assert rows["NK-vessel1"]["schema"] == "Vessel" and rows["NK-vessel1"]["countries"] == ["PA"]
    assert rows["NK-amegino"]["list_name"] == "us_ofac_sdn, gb_hmt_sanctions"


def test_listing_date_prefers_listing_facts_over_first_seen(engine: DuckDBEngine, tmp_path: Path) -> None:
    only_seen = tmp_path / "seen.ftm.json"
    only_seen.write_text('{"id": "NK-k", "schema": "Organization", "caption": "Kometa", "properties": {"name": '
                         '["Kometa"]}, "datasets": ["x"], "target": true, "first_seen": "2022-02-24T00:00:00"}\n',
                         encoding="utf-8")
    ingest_file(engine, "sanctions", FTM)
    ingest_file(engine, "sanctions", only_seen)
    dates = dict(engine.fetch_all("SELECT entity_id, CAST(listing_date AS VARCHAR) FROM sanctions"))
    assert dates["NK-amegino"] == "2023-11-02"  # createdAt, earlier than first_seen 2023-11-03
    assert dates["NK-k"] == "2022-02-24"  # only first_seen is known


def test_aliases_addresses_identifiers_linked_to_their_entity(engine: DuckDBEngine) -> None:
    ingest_file(engine, "sanctions", FTM)
    names = set(engine.fetch_all("SELECT name, name_type FROM sanction_names WHERE entity_id = 'NK-amg0001'"))
    assert names == {
        ("AMG LLC", "primary"), ("OOO AMG", "alias"), ("ООО АМГ", "alias"),
        ("AMG", "weak"), ("AMG Trading LLC", "previous"),
    }
    addresses = engine.fetch_all(
        "SELECT address, city, country FROM sanction_addresses WHERE entity_id = 'NK-amg0001' ORDER BY address"
    )
    assert ("Moscow, Russia", None, None) in addresses
    assert ("Ulitsa Lenina 1, Moscow 101000, Russia", "Moscow", "RU") in addresses
    ids = set(engine.fetch_all("SELECT entity_id, scheme, value FROM sanction_identifiers"))
    assert ("NK-amg0001", "innCode", "7701234567") in ids
    assert ("NK-amg0001", "ogrnCode", "1157746123456") in ids
    assert ("NK-amg0001", "referent", "ofac-51234") in ids
    assert ("NK-amg0001", "referent", "NK-amg0001") in ids
    assert ("NK-ivanov", "passportNumber", "7512345678") in ids
    assert ("NK-vessel1", "imoNumber", "IMO9123456") in ids


def test_relationships_in_a_sanctions_file_become_registry_links(engine: DuckDBEngine) -> None:
    ingest_file(engine, "sanctions", FTM)
    link = engine.fetch_dicts("SELECT * FROM registry_links")
    assert len(link) == 1
    assert link[0]["kind"] == "ownership" and link[0]["share"] == 1.0
    assert (link[0]["source_entity_id"], link[0]["target_entity_id"]) == ("NK-ivanov", "NK-amegino")


def test_bad_lines_quarantined_with_actionable_reasons(engine: DuckDBEngine) -> None:
    result = ingest_file(engine, "sanctions", FTM)
    assert result.rows_read == 15
    # 5 listed entities + 1 link + the Address and Sanction helpers folded into AMG.
    assert result.rows_loaded == 8
    reasons = dict(engine.fetch_all("SELECT reason, line FROM quarantine"))
    assert reasons == {
        "invalid JSON": 9,
        "unknown FtM schema": 10,
        "entity has no id": 11,
        "entity has no name": 12,
        "invalid date (expected YYYY-MM-DD)": 13,
        "helper entity whose listed entity is missing or quarantined": 14,
        "FtM schema not used for sanctions": 15,
    }
    raw = engine.scalar("SELECT raw FROM quarantine WHERE line = 10")
    assert "Compny" in raw


def test_reload_of_overlapping_content_adds_nothing(engine: DuckDBEngine, tmp_path: Path) -> None:
    ingest_file(engine, "sanctions", FTM)
    before = {t: engine.count(t) for t in ("sanctions", "registry_links", *CHILD_TABLES)}
    again = ingest_file(engine, "sanctions", FTM)
    assert again.already_loaded
    copy = tmp_path / "copy.ftm.json"
    copy.write_bytes(FTM.read_bytes() + b"\n")  # other bytes, same entities
    result = ingest_file(engine, "sanctions", copy)
    assert not result.already_loaded
    assert {t: engine.count(t) for t in before} == before
    assert result.rows_duplicate == 6  # 5 sanctions rows + 1 link
    assert counts_add_up(result)


def test_same_id_on_two_lines_is_merged(tmp_path: Path) -> None:
    path = tmp_path / "frag.ftm.json"
    lines = [
        {"id": "e1", "schema": "Company", "properties": {"name": ["Alpha LLC"]}, "datasets": ["a"]},
        {"id": "e1", "schema": "Company", "properties": {"innCode": ["7700000000"]}, "datasets": ["b"]},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines))
    parsed = parse_sanctions(path, ParseOptions("x"))
    assert parsed.tables["sanctions"].num_rows == 1
    assert parsed.rows_folded == 1
    identifiers = parsed.tables["sanction_identifiers"].select(["scheme", "value"]).to_pylist()
    assert {"scheme": "innCode", "value": "7700000000"} in identifiers
    assert parsed.tables["sanctions"].column("datasets").to_pylist() == [["a", "b"]]


def test_strict_mode_writes_nothing(engine: DuckDBEngine) -> None:
    with pytest.raises(StrictModeError):
        ingest_file(engine, "sanctions", FTM, strict=True)
    assert engine.count("sanctions") == 0 and engine.count("sanction_names") == 0


def test_format_detected_from_content_not_name(engine: DuckDBEngine, tmp_path: Path) -> None:
    renamed = tmp_path / "x.txt"
    shutil.copy(DATA / "sdn.csv", renamed)
    result = ingest_file(engine, "sanctions", renamed)
    assert result.format == "ofac-sdn"
    assert engine.count("sanctions") == 4
    ftm_as_csv = tmp_path / "list.csv"
    shutil.copy(FTM, ftm_as_csv)
    assert ingest_file(engine, "sanctions", ftm_as_csv).format == "ftm"


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
        b"name,country,value\nACME,RU,10\nBeta,CN,20\n",
        b'{"domain": "example.com", "text": "hello"}\n',
        b"",
    ],
    ids=["png", "random-csv", "web-jsonl", "empty"],
)
def test_unknown_format_is_a_source_error(engine: DuckDBEngine, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "list.bin"
    path.write_bytes(content)
    with pytest.raises(SourceError, match="unknown sanctions format"):
        ingest_file(engine, "sanctions", path)
    assert engine.count("sources") == 0


def test_missing_file_is_a_source_error(engine: DuckDBEngine, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="file not found"):
        ingest_file(engine, "sanctions", tmp_path / "nope.json")
