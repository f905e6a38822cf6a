"""A mini case network in a real warehouse file (the web tests' one factory helper).

``make_case_warehouse`` is the one factory helper: it writes, through the
Engine, the tables the later stages would have produced for a small replay of
the case (Tsugami → ELE Technology, Shenzhen → Amegino FZE, UAE → ООО "АМГ" →
a Russian end user), with sanctions matches, findings, leads, network edges,
shipments and uncertain pairs for review.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from diversion.engine import DuckDBEngine
from diversion.engine.schema import STAGE_TABLES, create_sql

API_KEY = "test-key-5b0e2c7d9a41"

#: TestClient sends ``Host: testserver``; the app answers only the hosts it is told to.
TEST_ENV = {"DIVERSION_WEB__ALLOWED_HOSTS": "testserver"}
AMG, AMEGINO, ELE, TSUGAMI, URAL, OTHER = "e-amg", "e-amegino", "e-ele", "e-tsugami", "e-ural", "e-other"
AMG_NAME = 'ООО "АМГ"'

ENTITIES = [
    (AMG, AMG_NAME, [AMG_NAME, "AMG LLC", "OOO AMG"], ["RU"], ["inn:7701234567"], "Company"),
    (AMEGINO, "Amegino FZE", ["Amegino FZE", "AMEGINO F.Z.E."], ["AE"], [], "Company"),
    (ELE, "ELE Technology Co., Ltd", ["ELE Technology Co., Ltd", "深圳市易乐科技有限公司"], ["CN"], [], "Company"),
    (TSUGAMI, "Tsugami Corporation", ["Tsugami Corporation"], ["JP"], [], "Company"),
    (URAL, "АО «Уральский завод»", ["АО «Уральский завод»", "Ural Plant JSC"], ["RU"], ["inn:6601000001"], "Company"),
    (OTHER, "Precision Tools GmbH", ["Precision Tools GmbH"], ["DE"], [], "Company"),
]
MENTIONS = [  # mention_id, entity, source_table, role, name, country, domain, probability
    ("m-amg-1", AMG, "shipments", "importer", AMG_NAME, "RU", None, 1.0),
    ("m-amg-2", AMG, "registry_entities", "registry", "AMG LLC", "RU", None, 0.95),
    ("m-amg-3", AMG, "shipments", "importer", "OOO AMG", "RU", None, 0.8),
    ("m-ame-1", AMEGINO, "shipments", "exporter", "Amegino FZE", "AE", None, 1.0),
    ("m-ame-2", AMEGINO, "shipments", "importer", "AMEGINO F.Z.E.", "AE", None, 0.6),
    ("m-ele-1", ELE, "shipments", "exporter", "ELE Technology Co., Ltd", "CN", None, 1.0),
    ("m-ele-2", ELE, "web_evidence", "website", "ELE Technology", "CN", "ele-tech.cn", 0.9),
    ("m-tsu-1", TSUGAMI, "shipments", "exporter", "Tsugami Corporation", "JP", None, 1.0),
    ("m-ura-1", URAL, "registry_entities", "registry", "АО «Уральский завод»", "RU", None, 1.0),
    ("m-oth-1", OTHER, "shipments", "exporter", "Precision Tools GmbH", "DE", None, 1.0),
]
REVIEW_PAIRS = [("m-amg-1", "m-amg-3", 0.8), ("m-ame-1", "m-ame-2", 0.6), ("m-ele-1", "m-oth-1", 0.55)]


def _table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows)


def _shipments() -> tuple[list[dict], list[dict]]:
    """Machine tools along the chain; AMG imports 30 times from Amegino (two pages)."""
    legs = [  # exporter, importer, dispatch, count, start, value
        (TSUGAMI, ELE, "JP", 6, date(2021, 3, 1), 180_000.0),
        (ELE, AMEGINO, "CN", 8, date(2022, 4, 1), 210_000.0),
        (AMEGINO, AMG, "AE", 30, date(2022, 5, 1), 240_000.0),
        (OTHER, AMG, "DE", 4, date(2021, 1, 10), 90_000.0),
    ]
    names = {e[0]: (e[1], e[3][0]) for e in ENTITIES}
    rows, links = [], []
    for exporter, importer, dispatch, count, start, value in legs:
        for i in range(count):
            record_id = f"{exporter[2:]}-{importer[2:]}-{i:03d}"
            rows.append(
                {
                    "record_id": record_id,
                    "date": start + timedelta(days=17 * i),
                    "hs_code": "8458110000",
                    "description": "CNC lathe",
                    "brand": "Tsugami",
                    "model": f"B0{i % 5}26",
                    "manufacture_year": 2020,
                    "exporter_name": names[exporter][0],
                    "exporter_country": names[exporter][1],
                    "importer_name": names[importer][0],
                    "importer_country": names[importer][1],
                    "importer_id": "7701234567" if importer == AMG else None,
                    "origin_country": "JP",
                    "dispatch_country": dispatch,
                    "value": value + 1000 * i,
                    "currency": "USD",
                    "value_usd": value + 1000 * i,
                    "quantity": 1.0 + i % 3,
                    "unit": "pcs",
                    "source_id": "fixture",
                    "line": len(rows) + 1,
                    "record_hash": f"h-{record_id}",
                }
            )
            links.append({"record_id": record_id, "exporter_entity_id": exporter, "importer_entity_id": importer})
    return rows, links


def _edges(shipments: list[dict], links: list[dict]) -> list[dict]:
    trade: dict[tuple[str, str], list[dict]] = {}
    by_id = {s["record_id"]: s for s in shipments}
    for link in links:
        trade.setdefault((link["exporter_entity_id"], link["importer_entity_id"]), []).append(by_id[link["record_id"]])
    edges = [
        {
            "edge_id": f"trade:{a}:{b}",
            "source": a,
            "target": b,
            "kind": "trade",
            "value_usd": sum(s["value_usd"] for s in rows),
            "count": len(rows),
            "first_date": min(s["date"] for s in rows),
            "last_date": max(s["date"] for s in rows),
            "share": None,
            "evidence": json.dumps({"shipments": [s["record_id"] for s in rows[:5]]}),
        }
        for (a, b), rows in trade.items()
    ]
    edges += [
        {
            "edge_id": "own:ural:amg",
            "source": URAL,
            "target": AMG,
            "kind": "ownership",
            "value_usd": None,
            "count": None,
            "first_date": None,
            "last_date": None,
            "share": 0.6,
            "evidence": json.dumps({"registry_links": ["rl-1"]}),
        },
        {
            "edge_id": "web:ele",
            "source": ELE,
            "target": "domain:ele-tech.cn",
            "kind": "website",
            "value_usd": None,
            "count": None,
            "first_date": None,
            "last_date": None,
            "share": None,
            "evidence": "{}",
        },
        {
            "edge_id": "brand:tsugami",
            "source": TSUGAMI,
            "target": "brand:Tsugami",
            "kind": "brand",
            "value_usd": None,
            "count": None,
            "first_date": None,
            "last_date": None,
            "share": None,
            "evidence": "{}",
        },
    ]
    return edges


def _findings() -> list[dict]:
    rows = [
        (
            AMG,
            "sanctioned",
            1.0,
            'ООО "АМГ" matches OFAC SDN entry AMG LLC (RUSSIA-EO14024).',
            {"sanction_entity_id": "ofac-1001", "matched_name": "AMG LLC", "score": 1.0},
        ),
        (AMG, "military_end_user", 0.9, "Owned 60% by a listed military manufacturer.", {"owner": URAL, "share": 0.6}),
        (
            AMEGINO,
            "intermediary_surge",
            0.85,
            "Amegino FZE carried 62% of the growth of UAE→RU machine tools.",
            {"growth_share": 0.62, "shipments": ["amegino-amg-000", "amegino-amg-001"]},
        ),
        (AMEGINO, "sanctions_proximity", 0.7, "One hop from a sanctioned importer.", {"path": [AMEGINO, AMG]}),
        (
            ELE,
            "impersonation",
            0.8,
            "ele-tech.cn copies the text of an authorised distributor.",
            {"domain": "ele-tech.cn", "jaccard": 0.74},
        ),
    ]
    return [
        {"finding_id": f"f-{i}", "detector": d, "entity_id": e, "score": s, "summary": t, "evidence": json.dumps(ev)}
        for i, (e, d, s, t, ev) in enumerate(rows)
    ]


def make_case_warehouse(path: Path) -> Path:
    """Write the mini case network into a new warehouse at ``path``."""
    engine = DuckDBEngine(path)
    try:
        for name in STAGE_TABLES:
            engine.execute(create_sql(name))
        shipments, links = _shipments()
        engine.insert_arrow("shipments", _table(shipments))
        engine.insert_arrow("shipment_entities", _table(links))
        engine.insert_arrow(
            "entities",
            _table(
                [
                    {
                        "entity_id": e,
                        "canonical_name": n,
                        "names": ns,
                        "countries": cs,
                        "identifiers": ids,
                        "schema": sc,
                        "mention_count": sum(1 for m in MENTIONS if m[1] == e),
                    }
                    for e, n, ns, cs, ids, sc in ENTITIES
                ]
            ),
        )
        engine.insert_arrow(
            "mentions",
            _table(
                [
                    {
                        "mention_id": m,
                        "source_table": t,
                        "source_key": None,
                        "role": r,
                        "schema": "Company",
                        "name": n,
                        "name_norm": n.lower(),
                        "country": c,
                        "address": None,
                        "identifiers": [],
                        "domain": d,
                        "unresolved_reason": None,
                    }
                    for m, _e, t, r, n, c, d, _p in MENTIONS
                ]
            ),
        )
        engine.insert_arrow(
            "entity_mentions",
            _table([{"mention_id": m, "entity_id": e, "match_probability": p} for m, e, *_rest, p in MENTIONS]),
        )
        engine.insert_arrow(
            "resolve_pairs",
            _table(
                [
                    {"mention_id_l": a, "mention_id_r": b, "match_probability": p, "match_weight": 1.0}
                    for a, b, p in REVIEW_PAIRS
                ]
            ),
        )
        engine.insert_arrow(
            "sanctions",
            _table(
                [
                    {
                        "entity_id": "ofac-1001",
                        "schema": "Company",
                        "name": "AMG LLC",
                        "countries": ["RU"],
                        "programs": ["RUSSIA-EO14024"],
                        "topics": ["sanction"],
                        "datasets": ["us_ofac_sdn"],
                        "listing_date": date(2023, 5, 19),
                        "list_name": "OFAC SDN",
                        "properties": "{}",
                        "source_id": "fixture",
                        "line": 1,
                        "record_hash": "s1",
                    },
                    {
                        "entity_id": "ofac-2002",
                        "schema": "Company",
                        "name": "Ural Plant JSC",
                        "countries": ["RU"],
                        "programs": ["RUSSIA-EO14024"],
                        "topics": ["sanction", "mil"],
                        "datasets": ["us_ofac_sdn"],
                        "listing_date": date(2022, 6, 28),
                        "list_name": "OFAC SDN",
                        "properties": "{}",
                        "source_id": "fixture",
                        "line": 2,
                        "record_hash": "s2",
                    },
                    {
                        "entity_id": "gb-7",
                        "schema": "Person",
                        "name": "Ivan Petrov",
                        "countries": ["RU"],
                        "programs": [],
                        "topics": ["sanction"],
                        "datasets": ["gb_hmt_sanctions"],
                        "listing_date": None,
                        "list_name": "UK HMT",
                        "properties": "{}",
                        "source_id": "fixture",
                        "line": 3,
                        "record_hash": "s3",
                    },
                ]
            ),
        )
        engine.insert_arrow(
            "sanction_names",
            _table(
                [
                    {"entity_id": "ofac-1001", "name": "ООО АМГ", "name_type": "alias"},
                    {"entity_id": "ofac-1001", "name": "Limited Liability Company AMG", "name_type": "alias"},
                    {"entity_id": "ofac-2002", "name": "Уральский завод", "name_type": "alias"},
                ]
            ),
        )
        engine.insert_arrow(
            "sanction_identifiers", _table([{"entity_id": "ofac-1001", "scheme": "innCode", "value": "7701234567"}])
        )
        engine.insert_arrow(
            "sanctions_matches",
            _table(
                [
                    {
                        "entity_id": AMG,
                        "sanction_entity_id": "ofac-1001",
                        "list_name": "OFAC SDN",
                        "programs": ["RUSSIA-EO14024"],
                        "listing_date": date(2023, 5, 19),
                        "score": 1.0,
                        "matched_name": "AMG LLC",
                        "explanation": "same name after normalisation ('amg'); same INN",
                    },
                    {
                        "entity_id": URAL,
                        "sanction_entity_id": "ofac-2002",
                        "list_name": "OFAC SDN",
                        "programs": ["RUSSIA-EO14024"],
                        "listing_date": date(2022, 6, 28),
                        "score": 0.97,
                        "matched_name": "Уральский завод",
                        "explanation": "same name after normalisation",
                    },
                ]
            ),
        )
        engine.insert_arrow("findings", _table(_findings()))
        engine.insert_arrow(
            "leads",
            _table(
                [
                    {
                        "rank": 1,
                        "entity_id": AMG,
                        "name": AMG_NAME,
                        "country": "RU",
                        "score": 0.98,
                        "flags": "sanctioned;military_end_user",
                        "evidence": "OFAC SDN AMG LLC; owned 60% by Ural Plant",
                    },
                    {
                        "rank": 2,
                        "entity_id": AMEGINO,
                        "name": "Amegino FZE",
                        "country": "AE",
                        "score": 0.86,
                        "flags": "intermediary_surge;sanctions_proximity",
                        "evidence": "62% of UAE→RU growth",
                    },
                    {
                        "rank": 3,
                        "entity_id": ELE,
                        "name": "ELE Technology Co., Ltd",
                        "country": "CN",
                        "score": 0.8,
                        "flags": "impersonation",
                        "evidence": "copied distributor site",
                    },
                ]
            ),
        )
        engine.insert_arrow("edges", _table(_edges(shipments, links)))
        engine.insert_arrow(
            "nodes",
            _table(
                [
                    {
                        "node_id": e,
                        "kind": "entity",
                        "label": n,
                        "country": cs[0],
                        "schema": sc,
                        "sanctioned": e in (AMG, URAL),
                        "properties": "{}",
                    }
                    for e, n, _ns, cs, _i, sc in ENTITIES
                ]
                + [
                    {
                        "node_id": "domain:ele-tech.cn",
                        "kind": "domain",
                        "label": "ele-tech.cn",
                        "country": "CN",
                        "schema": None,
                        "sanctioned": False,
                        "properties": "{}",
                    },
                    {
                        "node_id": "brand:Tsugami",
                        "kind": "brand",
                        "label": "Tsugami",
                        "country": "JP",
                        "schema": None,
                        "sanctioned": False,
                        "properties": "{}",
                    },
                ]
            ),
        )
        engine.insert_arrow(
            "web_evidence",
            _table(
                [
                    {
                        "domain": "ele-tech.cn",
                        "company_name": "ELE Technology Co., Ltd",
                        "claimed_address": "Futian District, Shenzhen",
                        "claimed_country": "CN",
                        "hosting_country": "RU",
                        "registrant_country": "RU",
                        "fetched_at": datetime(2024, 1, 5, 10, 0),
                        "text": "Authorised Tsugami distributor for China. CNC lathes in stock.",
                        "source_id": "fixture",
                        "line": 1,
                        "record_hash": "w1",
                    }
                ]
            ),
        )
    finally:
        engine.close()
    return path
