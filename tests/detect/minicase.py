"""One factory for a tiny, fully resolved diversion case, inserted straight into the warehouse.

The case mirrors the shape detectors look for, under invented names: a brand
(Hokuto, JP) and its official supplier; a Russian importer (sanctioned) whose
purchases of the brand surge after the cut-off through two new intermediaries
(a UAE broker whose site is hosted in Russia, partly owned by listed people,
and a Shenzhen front whose site copies a US distributor's); a military end
user linked to the importer by a contract; and a few ordinary companies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa

from diversion.engine import Engine
from diversion.engine.schema import columns
from diversion.names import normalise_name

LAKESIDE_TEXT = (
    "Lakeside Machinery has served manufacturers across the Midwest since 1978 with new and used CNC "
    "machine tools, Swiss type lathes and machining centers. Our warehouse in Elk Grove Village Illinois "
    "holds more than three hundred machines ready for inspection. We offer free pickup for visiting "
    "customers from Chicago O'Hare airport, full rigging, installation and operator training by our own "
    "service engineers. Ask our sales team about financing, trade-ins and spare parts for every brand we sell."
)


def _h(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:16]


@dataclass
class CaseBuilder:
    """Collects rows for every ingest and resolve table, then writes them in one go."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    entity_names: dict[str, str] = field(default_factory=dict)

    def _add(self, table: str, **values: Any) -> None:
        cols = columns(table)
        row = {c: values.get(c) for c in cols}
        for c in ("source_id", "record_hash"):
            if c in cols and row[c] is None:
                row[c] = "fixture" if c == "source_id" else _h(table, values)
        if "line" in cols and row["line"] is None:
            row["line"] = len(self.rows.get(table, [])) + 1
        self.rows.setdefault(table, []).append(row)

    def _mention(self, entity_id: str, source_table: str, source_key: str, role: str, name: str,
                 country: str | None = None, domain: str | None = None) -> None:
        mid = "m-" + _h(source_table, source_key, role, name)
        self._add("mentions", mention_id=mid, source_table=source_table, source_key=source_key, role=role,
                  schema="Company", name=name, name_norm=normalise_name(name) or name.lower(), country=country,
                  domain=domain)
        self._add("entity_mentions", mention_id=mid, entity_id=entity_id, match_probability=1.0)

    def entity(self, entity_id: str, name: str, country: str, schema: str = "Company",
               topics: list[str] | None = None, registry: bool = True) -> str:
        """A resolved entity, with a registry record unless ``registry`` is false."""
        self.entity_names[entity_id] = name
        self._add("entities", entity_id=entity_id, canonical_name=name, names=[name], countries=[country],
                  identifiers=[], schema=schema, mention_count=1)
        if registry:
            rid = "reg-" + entity_id
            self._add("registry_entities", entity_id=rid, schema=schema, name=name, country=country,
                      topics=topics or [], aliases=[])
            self._mention(entity_id, "registry_entities", rid, "registry", name, country)
        return entity_id

    def ship(self, record_id: str, day: date, exporter: str, importer: str, value_usd: float, *,
             hs_code: str = "84581100", brand: str | None = None, origin: str | None = None,
             dispatch: str | None = None, trading: str | None = None, year: int | None = None,
             description: str | None = None) -> None:
        """One shipment between two entities (countries default to the parties' own)."""
        ex_c = self._country(exporter)
        im_c = self._country(importer)
        self._add("shipments", record_id=record_id, date=day, hs_code=hs_code, brand=brand, description=description,
                  manufacture_year=year, exporter_name=self.entity_names[exporter], exporter_country=ex_c,
                  importer_name=self.entity_names[importer], importer_country=im_c,
                  origin_country=origin or ex_c, dispatch_country=dispatch or ex_c, trading_country=trading,
                  value=value_usd, currency="USD", value_usd=value_usd)
        self._add("shipment_entities", record_id=record_id, exporter_entity_id=exporter,
                  importer_entity_id=importer)

    def _country(self, entity_id: str) -> str | None:
        for row in self.rows["entities"]:
            if row["entity_id"] == entity_id:
                return row["countries"][0]
        return None

    def sanction(self, entity_id: str, list_name: str = "OFAC SDN", programs: list[str] | None = None,
                 topics: list[str] | None = None, score: float = 0.97, listed: date | None = None) -> None:
        """List an entity (on ``listed``, when given) and record resolve's screening match for it."""
        sid = "sanc-" + entity_id
        self._add("sanctions", entity_id=sid, schema="Company", name=self.entity_names[entity_id],
                  programs=programs or ["RUSSIA-EO14024"], topics=topics or ["sanction"],
                  datasets=["us_ofac_sdn"], list_name=list_name, listing_date=listed)
        self._add("sanctions_matches", entity_id=entity_id, sanction_entity_id=sid, list_name=list_name,
                  programs=programs or ["RUSSIA-EO14024"], score=score, listing_date=listed,
                  matched_name=self.entity_names[entity_id], explanation="fixture")

    def link(self, source: str, target: str, kind: str = "ownership", share: float | None = None,
             role: str | None = None, start: date | None = None, end: date | None = None) -> None:
        """A registry link between two registry entities (from ``start`` to ``end`` when given)."""
        self._add("registry_links", link_id="l-" + _h(source, target, kind), kind=kind,
                  source_entity_id="reg-" + source, source_name=self.entity_names[source],
                  target_entity_id="reg-" + target, target_name=self.entity_names[target], share=share, role=role,
                  start_date=start, end_date=end)

    def website(self, entity_id: str, domain: str, text: str, claimed_address: str, claimed_country: str,
                hosting: str, registrant: str | None = None) -> None:
        """A website, resolved to ``entity_id``."""
        self._add("web_evidence", domain=domain, company_name=self.entity_names[entity_id],
                  claimed_address=claimed_address, claimed_country=claimed_country, hosting_country=hosting,
                  registrant_country=registrant, text=text)
        self._mention(entity_id, "web_evidence", domain, "website", self.entity_names[entity_id], domain=domain)

    def distributor(self, brand: str, entity_id: str, country: str, domain: str | None = None) -> None:
        """An authorised distributor of ``brand``, resolved to ``entity_id``."""
        name = self.entity_names[entity_id]
        self._add("distributors", brand=brand, distributor_name=name, country=country, domain=domain,
                  record_hash=_h("dist", brand, name))
        self._mention(entity_id, "distributors", _h("dist", brand, name), "distributor", name, country)

    def write(self, engine: Engine) -> None:
        """Insert every collected row (every engine opens a warehouse with all contract tables)."""
        for table, rows in self.rows.items():
            cols = columns(table)
            engine.insert_arrow(table, pa.Table.from_pylist(rows).select(cols))


@dataclass(frozen=True)
class MiniCase:
    """Entity ids of the planted network and of the ordinary companies."""

    brand: str = "Hokuto"
    official: str = "e-official"
    importer: str = "e-importer"
    broker: str = "e-broker"
    front: str = "e-front"
    end_user: str = "e-enduser"
    owner: str = "e-owner"
    co_owner: str = "e-coowner"
    distributor_us: str = "e-lakeside"
    ordinary: tuple[str, ...] = ("e-bav", "e-ural", "e-shl", "e-kaz")


def build_minicase(engine: Engine) -> MiniCase:
    """Write the mini case into ``engine`` and return its ids."""
    c = MiniCase()
    b = CaseBuilder()
    b.entity(c.official, "Hokuto Trading KK", "JP")
    b.entity(c.importer, "Volga Precision LLC", "RU")
    b.entity(c.broker, "Gulf Bridge FZE", "AE")
    b.entity(c.front, "Pearl River Tech Co Ltd", "CN")
    b.entity(c.end_user, "Zenit Machine Plant", "RU", topics=["mil"])
    b.entity(c.owner, "Ivan Petrov", "RU", schema="Person")
    b.entity(c.co_owner, "Sergei Orlov", "RU", schema="Person")
    b.entity(c.distributor_us, "Lakeside Machinery Inc", "US")
    b.entity("e-bav", "Bavaria Tools GmbH", "DE")
    b.entity("e-ural", "Ural Metal LLC", "RU")
    b.entity("e-shl", "Shanghai Lathe Co", "CN")
    b.entity("e-kaz", "Steppe Trade LLP", "KZ")
    # Before the cut-off: the official supplier alone, ~0.5m.
    for i, month in enumerate((3, 6, 9, 12)):
        b.ship(f"s-off-{i}", date(2021, month, 10), c.official, c.importer, 120_000, brand="Hokuto", year=2019)
    # After: the two intermediaries carry all growth; used machines of JP origin.
    for i in range(8):
        b.ship(f"s-brk-{i}", date(2023, 1 + i, 5), c.broker, c.importer, 2_500_000, brand="Hokuto",
               origin="JP", dispatch="CN", year=2001)
        b.ship(f"s-frt-{i}", date(2023, 1 + i, 20), c.front, c.importer, 2_000_000, brand="Hokuto",
               origin="JP", trading="AE", year=2005)
    # The official supplier still ships a little after the cut-off.
    b.ship("s-off-9", date(2022, 3, 1), c.official, c.importer, 50_000, brand="Hokuto")
    # Ordinary trade: steady, non-priority goods, same suppliers before and after.
    for i, year in enumerate((2021, 2021, 2023, 2023)):
        b.ship(f"s-bav-{i}", date(year, 4 + i, 1), "e-bav", "e-ural", 300_000, hs_code="73181500")
        b.ship(f"s-shl-{i}", date(year, 5 + i, 1), "e-shl", "e-ural", 200_000, hs_code="84581100")
        b.ship(f"s-kaz-{i}", date(year, 6 + i, 1), "e-kaz", "e-ural", 50_000, hs_code="39269097")
    b.sanction(c.importer, programs=["RUSSIA-EO14024"])
    b.sanction(c.owner, programs=["RUSSIA-EO14024"])
    b.sanction(c.end_user, programs=["RUSSIA-EO14024"], topics=["sanction", "mil"])
    b.sanction(c.co_owner, list_name="EU FSF", programs=["EU-RUS"])
    b.link(c.owner, c.broker, share=0.3, role="shareholder")
    b.link(c.co_owner, c.broker, share=0.25, role="shareholder")
    b.link(c.importer, c.end_user, kind="other", role="supply contract")
    b.distributor("Hokuto", c.official, "JP", "hokuto-trading.jp")
    b.distributor("Hokuto", c.distributor_us, "US", "lakeside-machinery.com")
    b.website(c.distributor_us, "lakeside-machinery.com", LAKESIDE_TEXT,
              "1200 Busse Rd, Elk Grove Village, Illinois", "US", hosting="US", registrant="US")
    b.website(c.front, "pearlriver-cnc.com",
              "Pearl River Tech is a branch of Lakeside Machinery. " + LAKESIDE_TEXT.replace("Lakeside Machinery",
                                                                                            "Pearl River Tech"),
              "Elk Grove Village, Illinois", "US", hosting="HK", registrant="CN")
    b.website(c.broker, "gulfbridge.ae", "Gulf Bridge FZE supplies industrial equipment from Dubai to the CIS.",
              "Jebel Ali Free Zone, Dubai", "AE", hosting="RU", registrant="RU")
    b.website("e-ural", "uralmetal.ru", "Ural Metal fasteners and machine parts since 1995, Yekaterinburg.",
              "Yekaterinburg", "RU", hosting="RU", registrant="RU")
    b.write(engine)
    return c
