"""Web evidence JSON lines: domains, countries, claimed country, timestamps."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from diversion.engine import DuckDBEngine
from diversion.errors import SourceError
from diversion.sources import ingest_file
from diversion.sources.listfields import normalise_domain
from diversion.sources.web import claimed_country

DATA = Path(__file__).parents[1] / "data" / "web"


def test_sites_loaded_and_normalised(engine: DuckDBEngine) -> None:
    result = ingest_file(engine, "web", DATA / "sites.jsonl")
    assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_duplicate
    rows = {r["domain"]: r for r in engine.fetch_dicts("SELECT * FROM web_evidence")}
    assert set(rows) == {"ele-tech.cn", "amegino.ae", "rem-sales.com"}
    ele = rows["ele-tech.cn"]
    assert (ele["claimed_country"], ele["hosting_country"], ele["registrant_country"]) == ("US", "CN", "CN")
    assert ele["text"].startswith("<html><body><h1>ELE Technology")  # HTML kept as given
    assert ele["fetched_at"] == datetime(2023, 8, 1, 12, 0)
    assert rows["amegino.ae"]["hosting_country"] == "RU" and rows["amegino.ae"]["claimed_country"] == "AE"
    assert rows["rem-sales.com"]["fetched_at"] == datetime(2023, 8, 2, 7, 30)  # +02:00 -> UTC


def test_bad_lines_quarantined(engine: DuckDBEngine) -> None:
    result = ingest_file(engine, "web", DATA / "sites.jsonl")
    assert result.quarantine_reasons == {
        "invalid domain name": 1,
        "invalid timestamp (expected ISO 8601, e.g. 2023-08-01T12:00:00Z)": 1,
        "empty domain": 1,
        "invalid JSON": 1,
        "JSON line is not an object": 1,
    }
    assert engine.scalar("SELECT line FROM quarantine WHERE reason = 'invalid JSON'") == 7


def test_reload_adds_nothing(engine: DuckDBEngine, tmp_path: Path) -> None:
    ingest_file(engine, "web", DATA / "sites.jsonl")
    copy = tmp_path / "again.jsonl"
    copy.write_bytes(b"\n" + (DATA / "sites.jsonl").read_bytes())
    result = ingest_file(engine, "web", copy)
    assert result.rows_loaded == 0 and result.rows_duplicate == 3
    assert engine.count("web_evidence") == 3


@pytest.mark.parametrize(
    ("address", "country"),
    [
        ("1200 W Lake St, Chicago, IL 60607", "US"),
        ("Warehouse 5, Chicago, Illinois", "US"),
        ("Chicago, IL", "US"),
        ("100 Main St, Springfield, USA", "US"),
        ("Office 1203, Jumeirah Lake Towers, Dubai, UAE", "AE"),
        ("Bao'an District, Shenzhen, Guangdong 518000 China", "CN"),
        ("ул. Ленина 1, Москва, Россия", "RU"),
        ("Somewhere nice", None),
        (None, None),
    ],
)
def test_claimed_country(address: str | None, country: str | None) -> None:
    assert claimed_country(address) == country


def test_normalise_domain() -> None:
    assert normalise_domain("https://www.Example.COM:8080/about?x=1") == "example.com"
    assert normalise_domain("shop.example.co.uk/") == "shop.example.co.uk"
    assert normalise_domain("  ") is None
    with pytest.raises(ValueError):
        normalise_domain("not a domain")


def test_not_web_jsonl_is_a_source_error(engine: DuckDBEngine, tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text("brand,distributor_name\nA,B\n")
    with pytest.raises(SourceError, match="unknown web evidence format"):
        ingest_file(engine, "web", path)
