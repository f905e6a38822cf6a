"""A tiny warehouse for resolve tests, built with one factory (``Case``).

The case mirrors the demo's story at toy size: AMG (a Russian military
supplier, listed, spelt five ways in three scripts), Amegino (a UAE broker,
FZE/FZCO/L.L.C.), ELE Technology (a Shenzhen front known by its Chinese and
its English name; a registry record lists both), two different "Kometa"s in
Moscow and Novosibirsk, and some unrelated firms.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from diversion.config import Settings, load_settings
from diversion.engine import DuckDBEngine

SOURCE = "0" * 64


def _hash(*values: Any) -> str:
    return hashlib.sha256(json.dumps(values, default=str).encode()).hexdigest()


class Case:
    """Factory that inserts rows into the contract tables, filling bookkeeping columns."""

    def __init__(self, engine: DuckDBEngine) -> None:
        self.engine = engine
        self.line = 0

    def _insert(self, table: str, row: dict[str, Any], bookkeeping: bool = True) -> None:
        if bookkeeping:
            self.line += 1
            row = {"source_id": SOURCE, "line": self.line, "record_hash": _hash(table, row), **row}
        self.engine.insert_arrow(table, pa.Table.from_pylist([row]))

    def shipment(self, record_id: str, exporter: str, importer: str, *, value: float = 1000.0,
                 exporter_country: str | None = None, importer_country: str | None = "RU",
                 exporter_address: str | None = None, importer_address: str | None = None,
                 importer_id: str | None = None) -> None:
        """A customs declaration between two parties."""
        self._insert("shipments", {
            "record_id": record_id, "date": date(2023, 3, 1), "hs_code": "845811", "exporter_name": exporter,
            "exporter_address": exporter_address, "exporter_country": exporter_country, "importer_name": importer,
            "importer_address": importer_address, "importer_country": importer_country, "importer_id": importer_id,
            "value": value, "value_usd": value,
        })

    def sanctioned(self, entity_id: str, name: str, *, schema: str = "Company", aliases: tuple[str, ...] = (),
                   countries: tuple[str, ...] = ("RU",), inn: str | None = None, address: str | None = None,
                   programs: tuple[str, ...] = ("RUSSIA-EO14024",)) -> None:
        """A listed entity with its names, address and INN."""
        self._insert("sanctions", {
            "entity_id": entity_id, "schema": schema, "name": name, "countries": list(countries),
            "programs": list(programs), "topics": ["sanction"], "datasets": ["us_ofac_sdn"],
            "listing_date": date(2022, 6, 28), "list_name": "OFAC SDN",
        })
        for n, kind in [(name, "primary"), *[(a, "alias") for a in aliases]]:
            self._insert("sanction_names", {"entity_id": entity_id, "name": n, "name_type": kind}, False)
        if address:
            self._insert("sanction_addresses", {"entity_id": entity_id, "address": address,
                                                "country": countries[0] if countries else None}, False)
        if inn:
            self._insert("sanction_identifiers", {"entity_id": entity_id, "scheme": "innCode", "value": inn}, False)

    def registry(self, entity_id: str, name: str, *, aliases: tuple[str, ...] = (), country: str | None = None,
                 address: str | None = None, inn: str | None = None, website: str | None = None,
                 schema: str = "Company", registration_number: str | None = None) -> None:
        """A company (or person) from a registry."""
        self._insert("registry_entities", {
            "entity_id": entity_id, "schema": schema, "name": name, "aliases": list(aliases), "country": country,
            "address": address, "inn": inn, "website": website, "registration_number": registration_number,
        })

    def website(self, domain: str, company: str, *, address: str | None = None, country: str | None = None) -> None:
        """A company web site."""
        self._insert("web_evidence", {"domain": domain, "company_name": company, "claimed_address": address,
                                      "claimed_country": country})

    def distributor(self, brand: str, name: str, country: str, domain: str | None = None) -> None:
        """An authorised distributor."""
        self._insert("distributors", {"brand": brand, "distributor_name": name, "country": country,
                                      "domain": domain})


def build_minicase(case: Case) -> None:
    """The story above, in every source kind."""
    amg_addr = "ул. Профсоюзная, д. 65, Москва, 117342"
    case.sanctioned("ofac-1001", 'ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ "АМГ"', aliases=("AMG LLC", "OOO AMG"),
                    inn="7728123456", address=amg_addr)
    case.sanctioned("ofac-1002", "ZAVOD KRASNY OKTYABR", aliases=("Завод Красный Октябрь", "KRASNY OKTYABR PLANT"),
                    inn="3448009999")
    case.sanctioned("ofac-1003", "Ivan Petrovich SIDOROV", schema="Person", aliases=("Иван Петрович Сидоров",))
    case.sanctioned("ofac-1004", "Горизонт Технолоджи", aliases=(), countries=("RU",))  # Cyrillic only
    case.registry("ru-7728123456", 'ООО "АМГ"', country="RU", address=amg_addr, inn="7728123456")
    case.registry("cn-91440300", "深圳市易络科技有限公司", aliases=("ELE Technology Co., Ltd.",), country="CN",
                  address="深圳市南山区科技园", registration_number="91440300MA5F0X1234", website="ele-tech.cn")
    case.registry("ae-amegino", "Amegino General Trading L.L.C.", country="AE",
                  address="Office 12, Al Quoz Industrial Area 3, Dubai", website="https://www.amegino.ae")
    case.registry("ru-kometa-msk", 'АО "Комета"', country="RU", address="ул. Тверская, д. 7, Москва, 125009",
                  inn="7701000001")
    case.registry("ru-kometa-nsk", 'АО "Комета"', country="RU",
                  address="ул. Ленина, д. 12, Новосибирск, 630004", inn="5406000002")
    case.website("amegino.ae", "Amegino FZE", address="Al Quoz Industrial Area 3, Dubai", country="AE")
    case.website("ele-tech.cn", "ELE Technology", address="Nanshan, Shenzhen", country="CN")
    case.distributor("Tsugami", "Tsugami Precision Engineering India", "IN", "tsugamiindia.com")
    # shipments: AMG spelt in many ways, via Amegino and ELE
    case.shipment("S1", "Amegino FZCO", "OOO AMG", exporter_country="AE", importer_id="7728123456",
                  value=250_000)
    case.shipment("S2", "AMEGINO F.Z.E.", "AMG LLC", exporter_country="AE", importer_id="7728123456",
                  value=180_000)
    case.shipment("S3", "Shenzhen ELE Technology Co Ltd", "Obshchestvo s ogranichennoy otvetstvennostyu AMG",
                  exporter_country="CN", importer_id="7728123456", value=320_000)
    case.shipment("S4", "ELE TECHNOLOGY CO., LTD", 'ООО "АМГ"', exporter_country="CN", value=90_000)
    case.shipment("S5", "Tsugami Corporation", 'АО "Комета"', exporter_country="JP",
                  importer_address="ул. Тверская, 7, Москва", importer_id="7701000001", value=50_000)
    case.shipment("S6", "Tsugami Corp.", 'АО "КОМЕТА"', exporter_country="JP",
                  importer_address="ул. Ленина 12, Новосибирск", importer_id="5406000002", value=40_000)
    case.shipment("S7", "Okuma Corporation", "Stankoimport JSC", exporter_country="JP", value=75_000)
    case.shipment("S8", "", "!!!", exporter_country="JP", value=1_000)
    case.shipment("S9", "x" * 10_000, "ООО AMG شركة 深圳", exporter_country="JP", value=1_000)


@pytest.fixture
def case(engine: DuckDBEngine) -> Case:
    """A factory over an empty in-memory warehouse."""
    return Case(engine)


@pytest.fixture
def minicase(case: Case) -> DuckDBEngine:
    """The mini case loaded into a warehouse."""
    build_minicase(case)
    return case.engine


@pytest.fixture
def minicase_file(tmp_path: Path) -> Path:
    """The mini case loaded into a warehouse file (for the command line)."""
    db = tmp_path / "w.duckdb"
    engine = DuckDBEngine(db)
    build_minicase(Case(engine))
    engine.close()
    return db


@pytest.fixture
def settings() -> Settings:
    """Default settings, ignoring any environment or config file."""
    return load_settings(environ={})


@pytest.fixture
def resolved(minicase: DuckDBEngine, settings: Settings) -> Iterator[DuckDBEngine]:
    """The mini case after one ``resolve``."""
    from diversion.resolve import resolve

    resolve(minicase, settings)
    yield minicase


def wait_until(done: Any, seconds: float = 60.0) -> None:
    """Wait until ``done()`` holds (a worker child answering); fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the worker did not answer"
        time.sleep(0.05)


class FakePartsWorker:
    """A ``worker.PartsWorker`` in this process: it has answered ``count`` items (whole parts of ``parts``) and
    ``ended``, or, not ended, answers one more part each time its count is read (as a real one goes on
    while this process works)."""

    def __init__(self, parts: Iterator[list[Any]], count: int, ended: bool) -> None:
        self.work, self.ended, self.stopped = parts, ended, False
        self.parts: list[list[Any]] = []
        self.answered = 0
        self._answer(count)

    def _answer(self, count: int) -> None:
        while self.answered < count and (part := next(self.work, None)) is not None:
            self.parts.append(part)
            self.answered += len(part)

    @property
    def count(self) -> int:
        if not self.ended:
            self._answer(self.answered + 1)
        return self.answered

    def stop(self) -> None:
        self.stopped = True
