"""Sanctions lists: OpenSanctions-style FollowTheMoney JSON lines and the OFAC SDN legacy CSV set.

The scenario's listed parties go in both (where their listing says OFAC),
next to a handful of unrelated listed entities, some with names close to
ordinary companies', so that screening has distractors.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from followthemoney import model

from diversion.demo.scenario import Listing, Party, Scenario
from diversion.demo.words import COUNTRY_EN

Mention = tuple[str, str, str, str, str]  # source_file, source_key, role, name, true_entity_id

_OFAC = Listing("Office of Foreign Assets Control", "RUSSIA-EO14024", date(2022, 6, 28), "US", ("us_ofac_sdn",))
_EU = Listing("Council of the European Union", "RUS", date(2023, 6, 23), "EU", ("eu_fsf",), ofac=False)
_BIS = Listing("Bureau of Industry and Security", "Entity List", date(2023, 2, 24), "US", ("us_trade_csl",),
               ("export.control",), ofac=False)


@dataclass(frozen=True)
class Distractor:
    """An unrelated listed entity (invented)."""

    key: str
    schema: str
    name: str
    country: str
    aliases: tuple[str, ...]
    listings: tuple[Listing, ...]
    inn: str | None = None
    topics: tuple[str, ...] = ("sanction",)


DISTRACTORS = (
    Distractor("dx-promsnab-m", "Company", 'ООО "Промснаб-М"', "RU", ("Promsnab-M LLC", "OOO Promsnab-M"),
               (_OFAC,), inn="7701987652"),
    Distractor("dx-sinotech", "Company", "Sinotech Dynamics Co., Limited", "HK", ("Sinotech Dynamics",),
               (_BIS, _OFAC), topics=("sanction", "export.control")),
    Distractor("dx-radiopribor", "Company", 'АО "Радиоприбор-Восток"', "RU", ("JSC Radiopribor-Vostok",),
               (_OFAC, _EU), inn="2536012347", topics=("sanction", "mil")),
    Distractor("dx-techgrand", "Company", "Tech Grand Trading FZE", "AE", ("Tech Grand Trading",), (_OFAC,)),
    Distractor("dx-volkov", "Person", "Sergey Petrovich Volkov", "RU", ("Сергей Петрович Волков", "Volkov Sergei"),
               (_OFAC,)),
    Distractor("dx-orion", "Company", "Orion Machinery Limited", "HK", ("Orion Machinery",), (_BIS,),
               topics=("export.control",)),
    Distractor("dx-kometa-trade", "Company", 'ООО "Комета-Трейд"', "RU", ("Kometa-Treyd LLC", "OOO Kometa-Trade"),
               (_OFAC,), inn="7714098763"),
    Distractor("dx-gray-mountain", "Company", "Gray Mountain Trading Ltd", "HK", ("Grey Mountain Trading",),
               (_BIS,), topics=("export.control",)),
    Distractor("dx-stankoprom", "Company", 'АО "Станкопром-Инжиниринг"', "RU", ("JSC Stankoprom Engineering",),
               (_EU,), inn="7709876545", topics=("sanction", "mil")),
)


#: ``ent_num`` of the first listed party in the OFAC CSV; parties follow in ``_listed`` order.
OFAC_FIRST_ENT = 41000


def ftm_id(key: str) -> str:
    """A stable OpenSanctions-like entity id for a party key."""
    return "NK-" + hashlib.sha1(key.encode()).hexdigest()[:20]


def _is_latin(text: str) -> bool:
    return all(ord(ch) < 0x250 for ch in text)


def _listed(scenario: Scenario) -> list[Party | Distractor]:
    parties: list[Party | Distractor] = [p for p in scenario.parties if p.listings]
    return parties + list(DISTRACTORS)


def _names(item: Party | Distractor) -> tuple[str, list[str]]:
    names = [item.canonical if isinstance(item, Party) else item.name, *item.aliases]
    primary = next((n for n in names if _is_latin(n)), names[0])
    return primary, [n for n in dict.fromkeys(names) if n != primary]


def _stamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00"


def ftm_records(scenario: Scenario) -> tuple[list[dict[str, Any]], list[Mention]]:
    """Entities as OpenSanctions publishes them, and the name mentions they carry."""
    records, mentions = [], []
    for n, item in enumerate(_listed(scenario)):
        eid = ftm_id(item.key)
        primary, aliases = _names(item)
        entity = model.make_entity(item.schema)
        entity.id = eid
        entity.add("name", primary)
        entity.add("alias", aliases)
        entity.add("country", item.country.lower())
        entity.add("topics", list(item.topics) or ["sanction"])
        if item.inn:
            entity.add("innCode", item.inn)
        extra: list[dict[str, Any]] = []
        if isinstance(item, Party):
            if item.ogrn:
                entity.add("ogrnCode", item.ogrn)
            if item.registration_number and item.schema == "Company":
                entity.add("registrationNumber", item.registration_number)
            if item.website and item.schema == "Company":
                entity.add("website", item.website)
            if item.key.endswith("amg"):
                entity.add("weakAlias", "AMG")
            if n % 2 == 0:  # half the addresses as Address entities, half inline
                address = model.make_entity("Address")
                address.id = eid + "-addr"
                address.add("full", item.address)
                address.add("city", item.city)
                address.add("country", item.country.lower())
                entity.add("addressEntity", address.id)
                extra.append(_wrap(address.to_dict(), address.caption, item.listings, target=False))
            else:
                entity.add("address", item.address)
        datasets = sorted({d for listing in item.listings for d in listing.datasets})
        for i, listing in enumerate(item.listings):
            sanction = model.make_entity("Sanction")
            sanction.id = f"{eid}-sanction-{i}"
            sanction.add("entity", eid)
            sanction.add("authority", listing.authority)
            sanction.add("program", listing.program)
            sanction.add("listingDate", listing.listing_date.isoformat())
            sanction.add("country", listing.country.lower())
            extra.append(_wrap(sanction.to_dict(), sanction.caption, (listing,), target=False))
        record = _wrap(entity.to_dict(), primary, item.listings, target=True)
        record["datasets"] = datasets
        if any(x.ofac for x in item.listings):
            # as OpenSanctions does: the OFAC entry it merges, the same id ``write_ofac`` gives the CSV row
            record["referents"] = [f"ofac-{OFAC_FIRST_ENT + n}"]
        records.append(record)
        records.extend(extra)
        for name in (primary, *aliases):
            mentions.append(("sanctions/opensanctions.ftm.json", eid, "sanctioned", name, item.key))
    return records, mentions


def _wrap(data: dict[str, Any], caption: str, listings: Iterable[Listing], target: bool) -> dict[str, Any]:
    listings = list(listings)
    first = min(listing.listing_date for listing in listings)
    return {
        "id": data["id"], "caption": caption, "schema": data["schema"], "properties": data["properties"],
        "referents": [], "datasets": sorted({d for x in listings for d in x.datasets}),
        "first_seen": _stamp(first), "last_seen": "2024-01-31T00:00:00", "last_change": _stamp(first),
        "target": target,
    }


def write_ftm(path: Path, records: list[dict[str, Any]], bad_lines: tuple[str, ...]) -> int:
    """Write JSON lines with ``bad_lines`` (invalid JSON) among them; returns how many were planted."""
    lines = [json.dumps(r, ensure_ascii=False, sort_keys=False) for r in records]
    for i, bad in enumerate(bad_lines):
        lines.insert(min(len(lines), 3 + i * 7), bad)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(bad_lines)


_EMPTY = "-0- "


def _q(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def write_ofac(folder: Path, scenario: Scenario) -> list[Mention]:
    """The SDN legacy CSV set (sdn.csv, alt.csv, add.csv): no header, ``-0-`` for empty, CRLF."""
    folder.mkdir(parents=True, exist_ok=True)
    sdn, alt, add, mentions = [], [], [], []
    alt_num, add_num = 9001, 7001
    for n, item in enumerate(_listed(scenario)):
        ofac = [x for x in item.listings if x.ofac]
        if not ofac:
            continue
        ent = OFAC_FIRST_ENT + n
        primary, aliases = _names(item)
        name = primary.upper().replace('"', "")
        remarks = []
        if item.inn:
            remarks.append(f"Tax ID No. {item.inn} ({COUNTRY_EN.get(item.country, item.country)})")
        if isinstance(item, Party):
            if item.ogrn:
                remarks.append(f"Registration Number {item.ogrn} ({COUNTRY_EN.get(item.country, item.country)})")
            if item.website:
                remarks.append(f"Website {item.website}")
            if item.incorporation_date:
                remarks.append(f"Organization Established Date {item.incorporation_date:%d %b %Y}")
        remarks.append("Secondary sanctions risk: See Section 11 of Executive Order 14024")
        kind = "individual" if item.schema == "Person" else None
        sdn.append([str(ent), _q(name), _q(kind) if kind else _EMPTY, _q(ofac[0].program), *[_EMPTY] * 7,
                    _q("; ".join(remarks) + ".")])
        mentions.append(("sanctions/ofac/sdn.csv", f"ofac-{ent}", "sanctioned", name, item.key))
        for alias in (a for a in aliases if a.isascii()):  # the SDN list is written in Latin script
            alt.append([str(ent), str(alt_num), _q("aka"), _q(alias), _EMPTY])
            mentions.append(("sanctions/ofac/alt.csv", f"ofac-{ent}", "sanctioned", alias, item.key))
            alt_num += 1
        city = item.city if isinstance(item, Party) else ""
        street = item.address if isinstance(item, Party) else ""
        add.append([str(ent), str(add_num), _q(street) if street else _EMPTY, _q(city) if city else _EMPTY,
                    _q(COUNTRY_EN.get(item.country, item.country)), _EMPTY])
        add_num += 1
    for name, rows in (("sdn.csv", sdn), ("alt.csv", alt), ("add.csv", add)):
        text = "".join(",".join(r) + "\r\n" for r in rows)
        (folder / name).write_text(text, encoding="utf-8", newline="")
    return mentions

