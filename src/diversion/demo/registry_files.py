"""Company registry extracts: FtM JSON lines and the two-CSV layout (companies, ownership links).

The case's parties with their identifiers, the owner of the broker, the
importer's contract with the military end user (FtM ``UnknownLink``), and a
sample of ordinary companies with their owners. A few companies appear in
both layouts under different spellings, as they do in real registers.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from followthemoney import model

from diversion.demo.names import VARIANTS
from diversion.demo.sanction_files import Mention, ftm_id, write_ftm
from diversion.demo.scenario import Scenario
from diversion.demo.world import World

FTM_FILE = "registry/registry.ftm.json"
COMPANIES_FILE = "registry/companies.csv"
OWNERSHIP_FILE = "registry/ownership.csv"
#: Share of ordinary companies in each registry layout.
REGISTRY_SHARE = 0.04

_FIRST = (("Иван", "Ivan"), ("Сергей", "Sergey"), ("Алексей", "Aleksey"), ("Дмитрий", "Dmitriy"),
          ("Ольга", "Olga"), ("Елена", "Elena"), ("Михаил", "Mikhail"), ("Наталья", "Natalya"),
          ("Павел", "Pavel"), ("Татьяна", "Tatyana"))
_LAST = (("Кузнецов", "Kuznetsov"), ("Смирнов", "Smirnov"), ("Попов", "Popov"), ("Соколов", "Sokolov"),
         ("Лебедев", "Lebedev"), ("Новиков", "Novikov"), ("Морозов", "Morozov"), ("Волков", "Volkov"),
         ("Зайцев", "Zaytsev"), ("Павлов", "Pavlov"), ("Семенов", "Semenov"), ("Голубев", "Golubev"))


def _person(rng: np.random.Generator) -> tuple[str, str]:
    first, last = _FIRST[int(rng.integers(len(_FIRST)))], _LAST[int(rng.integers(len(_LAST)))]
    female = first[1] in ("Olga", "Elena", "Natalya", "Tatyana")
    return f"{first[0]} {last[0]}{'а' if female else ''}", f"{first[1]} {last[1]}{'a' if female else ''}"


def _entity(schema: str, eid: str, **props: object) -> dict[str, Any]:
    entity = model.make_entity(schema)
    entity.id = eid
    for prop, value in props.items():
        if value:
            entity.add(prop, value if isinstance(value, list) else str(value))
    return entity.to_dict()


def write_registry(out: Path, world: World, rng: np.random.Generator) -> tuple[list[Mention], dict[str, int]]:
    """Write the FtM and CSV registry files; returns name mentions and planted bad lines per file."""
    scenario, pool = world.scenario, world.pool.source
    records, mentions = _case_records(scenario)
    ids = np.array(world.background_ids)
    n = max(3, int(len(ids) * REGISTRY_SHARE))
    in_ftm = rng.choice(ids, size=n, replace=False)
    in_csv = np.concatenate([in_ftm[: n // 4], rng.choice(np.setdiff1d(ids, in_ftm), size=n - n // 4,
                                                          replace=False)])
    owners: list[tuple[int, str, str, float]] = []
    for i in in_ftm:
        eid = ftm_id(pool.ids[i])
        variants = pool.flat_names[i * (VARIANTS + 1): i * (VARIANTS + 1) + 3]
        records.append(_entity("Company", eid, name=pool.canonical[i], alias=list(dict.fromkeys(variants[1:])),
                               country=pool.country[i].lower(), address=pool.address[i], innCode=pool.inn[i],
                               website=pool.website[i]))
        for name in dict.fromkeys(variants):
            mentions.append((FTM_FILE, eid, "registry", name, pool.ids[i]))
        if pool.country[i] == "RU" and rng.random() < 0.5:
            cyr, lat = _person(rng)
            pid = f"{eid}-owner"
            records.append(_entity("Person", pid, name=lat, alias=cyr, country="ru"))
            records.append(_entity("Ownership", f"{eid}-own", owner=pid, asset=eid, percentage="100",
                                   startDate=str(date(2015 + int(rng.integers(8)), 1 + int(rng.integers(12)), 1))))
            mentions += [(FTM_FILE, pid, "registry", lat, pid), (FTM_FILE, pid, "registry", cyr, pid)]
            owners.append((int(i), cyr, lat, 1.0))
    (out / "registry").mkdir(parents=True, exist_ok=True)
    records = [{**r, "datasets": ["demo_registry"]} for r in records]
    bad = write_ftm(out / FTM_FILE, records, ('{"id": "broken-line", "schema": "Company", "properties": ',))
    mentions += _write_csv(out, world, rng, in_csv)
    return mentions, {FTM_FILE: bad}


def _case_records(scenario: Scenario) -> tuple[list[dict[str, Any]], list[Mention]]:
    records, mentions = [], []
    for party in scenario.parties:
        eid = ftm_id(party.key)
        aliases = list(dict.fromkeys(a for a in (*party.aliases, *party.variants) if a != party.canonical))
        records.append(_entity(
            party.schema, eid, name=party.canonical, alias=aliases, country=party.country.lower(),
            address=party.address, innCode=party.inn, ogrnCode=party.ogrn,
            registrationNumber=party.registration_number if party.schema == "Company" else None,
            incorporationDate=party.incorporation_date.isoformat() if party.incorporation_date else None,
            website=party.website if party.schema == "Company" else None,
            topics=[t for t in party.topics if t != "sanction"],
        ))
        for name in (party.canonical, *aliases):
            mentions.append((FTM_FILE, eid, "registry", name, party.key))
    for owner, asset, share, start in scenario.ownership:
        records.append(_entity("Ownership", ftm_id(f"{owner}>{asset}"), owner=ftm_id(owner), asset=ftm_id(asset),
                               percentage=f"{share * 100:g}", startDate=start.isoformat()))
    if scenario.end_user_link:
        subject, obj = scenario.end_user_link
        records.append(_entity("UnknownLink", ftm_id(f"{subject}>{obj}"), subject=ftm_id(subject),
                               object=ftm_id(obj), role=scenario.end_user_link_role, startDate="2022-05-01"))
    return records, mentions


def _write_csv(out: Path, world: World, rng: np.random.Generator, chosen: np.ndarray) -> list[Mention]:
    scenario, pool = world.scenario, world.pool.source
    mentions: list[Mention] = []
    companies, links = [], []
    for party in scenario.parties:
        if party.role in ("front", "near_miss", "official_supplier"):
            cid = f"reg-{party.key}"
            aliases = [a for a in (*party.aliases, *party.variants) if a != party.canonical][:3]
            companies.append([cid, party.canonical, ";".join(aliases), party.country, party.address,
                              party.registration_number or "", party.inn or "",
                              party.incorporation_date.isoformat() if party.incorporation_date else "",
                              party.website or "", ";".join(t for t in party.topics if t != "sanction")])
            mentions += [(COMPANIES_FILE, cid, "registry", nm, party.key) for nm in (party.canonical, *aliases)]
    for owner, asset, share, start in scenario.ownership:
        owner_p, asset_p = scenario.party(owner), scenario.party(asset)
        owner_name = next((a for a in owner_p.aliases if not a.isascii()), owner_p.canonical)
        asset_name = asset_p.variants[1] if len(asset_p.variants) > 1 else asset_p.canonical
        links.append([f"reg-{owner}", owner_name, f"reg-{asset}", asset_name, f"{share * 100:g}%",
                      start.isoformat(), "", "beneficial owner"])
        mentions += [(OWNERSHIP_FILE, f"reg-{owner}", "registry", owner_name, owner),
                     (OWNERSHIP_FILE, f"reg-{asset}", "registry", asset_name, asset)]
    for i in chosen:
        cid = f"reg-{pool.ids[i]}"
        slot = int(rng.integers(3))
        name = pool.flat_names[i * (VARIANTS + 1) + slot]
        companies.append([cid, name, "", pool.country[i], pool.address[i], "", pool.inn[i] or "",
                          "", pool.website[i] or "", ""])
        mentions.append((COMPANIES_FILE, cid, "registry", name, pool.ids[i]))
        if pool.country[i] == "RU" and rng.random() < 0.4:
            cyr, lat = _person(rng)
            share = float(rng.choice([0.51, 0.75, 1.0]))
            links.append([f"{cid}-owner", cyr, cid, name, f"{share:g}", "", "", "participant"])
            mentions.append((OWNERSHIP_FILE, f"{cid}-owner", "registry", cyr, f"{cid}-owner"))
    header = ["id", "name", "aliases", "country", "address", "registration_number", "inn", "incorporation_date",
              "website", "topics"]
    _csv(out / COMPANIES_FILE, header, companies)
    _csv(out / OWNERSHIP_FILE, ["owner_id", "owner_name", "owned_id", "owned_name", "share", "start_date",
                                "end_date", "role"], links)
    return mentions


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)

