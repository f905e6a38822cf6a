"""Registry ingest: FtM JSON lines and the companies / ownership CSV layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from diversion.engine import DuckDBEngine
from diversion.errors import SourceError
from diversion.sources import ingest_file

DATA = Path(__file__).parents[1] / "data" / "registry"


def test_ftm_entities_and_links(engine: DuckDBEngine) -> None:
    result = ingest_file(engine, "registry", DATA / "companies.ftm.json")
    assert result.format == "ftm"
    assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_duplicate
    entities = {r["entity_id"]: r for r in engine.fetch_dicts("SELECT * FROM registry_entities")}
    assert set(entities) == {"ru-inn-7701234567", "ae-amegino", "p-ivanov"}
    amg = entities["ru-inn-7701234567"]
    assert (amg["schema"], amg["name"], amg["country"], amg["inn"]) == ("Company", "AMG LLC", "RU", "7701234567")
    assert amg["registration_number"] == "1157746123456"  # OGRN when no registrationNumber
    assert amg["aliases"] == ["ООО «АМГ»"]
    assert amg["address"] == "ul. Lenina 1, Moscow, 101000, Russia"  # folded Address entity
    assert str(amg["incorporation_date"]) == "2015-03-12"
    assert amg["topics"] == ["mil"]
    assert entities["p-ivanov"]["aliases"] == ["Иван Иванов"]
    links = {r["link_id"]: r for r in engine.fetch_dicts("SELECT * FROM registry_links")}
    assert links["own-1"]["kind"] == "ownership"
    assert links["own-1"]["share"] == pytest.approx(0.755)
    assert (links["own-1"]["source_name"], links["own-1"]["target_name"]) == ("Ivan Ivanov", "Amegino FZE")
    assert links["dir-1"]["kind"] == "directorship" and links["dir-1"]["role"] == "General Director"
    assert (str(links["dir-1"]["start_date"]), str(links["dir-1"]["end_date"])) == ("2019-01-01", "2023-12-31")
    assert links["fam-1"]["kind"] == "other"


def test_ftm_bad_records_quarantined(engine: DuckDBEngine) -> None:
    result = ingest_file(engine, "registry", DATA / "companies.ftm.json")
    assert result.quarantine_reasons == {
        "share is not a percentage between 0 and 100": 1,
        "relationship without both ends": 1,
        "FtM schema not used for registry": 1,
    }
    # The second p-ivanov line is merged into the first (an FtM fragment), counted as loaded.
    assert result.rows_read == 11 and result.rows_loaded == 8


def test_companies_csv(engine: DuckDBEngine) -> None:
    result = ingest_file(engine, "registry", DATA / "companies.csv")
    assert result.format == "csv-companies"
    rows = {r["name"]: r for r in engine.fetch_dicts("SELECT * FROM registry_entities")}
    ele = rows["ELE Technology Co. Ltd"]
    assert ele["entity_id"] == "cn-ele" and ele["country"] == "CN"
    assert ele["aliases"] == ["深圳市ELE科技有限公司", "ELE Tech"]
    assert rows["AMG LLC"]["country"] == "RU" and rows["AMG LLC"]["topics"] == ["mil", "sanction"]
    assert rows["Nameless Id Trading"]["entity_id"].startswith("reg-")
    assert result.quarantine_reasons == {
        "invalid date (expected YYYY-MM-DD)": 1,
        "empty name": 1,
        "wrong number of fields for the header": 1,
    }
    assert result.rows_read == 6 and result.rows_loaded == 3


def test_ownership_csv(engine: DuckDBEngine) -> None:
    result = ingest_file(engine, "registry", DATA / "ownership.csv")
    assert result.format == "csv-ownership"
    links = engine.fetch_dicts("SELECT * FROM registry_links ORDER BY line")
    assert [(r["kind"], r["share"]) for r in links] == [("ownership", 0.75), ("ownership", 0.5), ("directorship", None)]
    assert links[1]["source_entity_id"] is None and links[1]["source_name"] == "Petr Petrov"
    assert all(r["link_id"].startswith("link-") for r in links)
    assert result.quarantine_reasons == {
        "owner missing (need owner_id or owner_name)": 1,
        "share is not a fraction 0..1 or a percentage": 1,
        "invalid date (expected YYYY-MM-DD)": 1,
    }


def test_reload_adds_nothing(engine: DuckDBEngine, tmp_path: Path) -> None:
    for name in ("companies.ftm.json", "companies.csv", "ownership.csv"):
        ingest_file(engine, "registry", DATA / name)
    before = (engine.count("registry_entities"), engine.count("registry_links"))
    for name in ("companies.ftm.json", "companies.csv", "ownership.csv"):
        copy = tmp_path / name
        copy.write_bytes((DATA / name).read_bytes() + b"\n")
        result = ingest_file(engine, "registry", copy)
        assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_duplicate
    assert (engine.count("registry_entities"), engine.count("registry_links")) == before


def test_unknown_csv_header_is_a_source_error(engine: DuckDBEngine, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("foo,bar\n1,2\n")
    with pytest.raises(SourceError, match="unknown registry format"):
        ingest_file(engine, "registry", path)


def test_windows_1251_companies_csv(engine: DuckDBEngine, tmp_path: Path) -> None:
    path = tmp_path / "egrul.csv"
    text = "id,name,aliases,country,address,registration_number,inn,incorporation_date,website,topics\n"
    text += "ru-1,ООО Ромашка,АО Ромашка,РОССИЯ,г. Москва,,7700000001,2010-01-01,,\n"
    path.write_bytes(text.encode("cp1251"))
    result = ingest_file(engine, "registry", path)
    assert result.rows_loaded == 1
    assert engine.fetch_all("SELECT name, aliases, country FROM registry_entities") == [
        ("ООО Ромашка", ["АО Ромашка"], "RU")
    ]
    assert engine.scalar("SELECT encoding FROM sources") == "cp1251"
