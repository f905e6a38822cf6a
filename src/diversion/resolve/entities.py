"""Entity rows from clustered mentions, and the shipment → entity map."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pyarrow as pa
from rigour.names import pick_name

from diversion.engine.schema import columns
from diversion.resolve.clustering import Assignment
from diversion.resolve.mentions import PARTY_COLUMNS, mention_id_sql

_SCHEMA_RANK = {"Person": 0, "Company": 1, "Organization": 2, "LegalEntity": 3}


def _schema(values: list[str | None]) -> str:
    known = [v for v in values if v]
    if not known:
        return "LegalEntity"
    return min(known, key=lambda v: (_SCHEMA_RANK.get(v, 9), v))


def entity_rows(mentions: list[dict[str, Any]], assignments: dict[str, Assignment]) -> list[dict[str, Any]]:
    """One row per entity: canonical name (rigour's ``pick_name``), all names, countries, ids."""
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in mentions:
        members[assignments[m["mention_id"]].entity_id].append(m)
    rows = []
    for eid in sorted(members):
        ms = members[eid]
        if len(ms) == 1 and not ms[0].get("aliases"):  # most entities: one mention with one name
            rows.append(_lone_row(eid, ms[0]))
            continue
        names: Counter[str] = Counter()
        for m in ms:
            for name in [m.get("name"), *(m.get("aliases") or [])]:
                if name and name.strip() and not m.get("unresolved_reason"):
                    names[" ".join(name.split())] += 1
        raw = [n for n, _ in names.most_common()]
        canonical = (raw[0] if len(raw) == 1 else pick_name(raw)) if raw else None  # one name: it is the pick
        if not canonical:
            first = next((m.get("name") for m in ms if m.get("name") and m["name"].strip()), None)
            canonical = (first or "(no name)")[:200]
        rows.append({
            "entity_id": eid,
            "canonical_name": canonical,
            "names": sorted(names) or None,
            "countries": sorted({c for m in ms for c in (m.get("countries") or []) if c}) or None,
            "identifiers": sorted({i for m in ms for i in (m.get("identifiers") or [])}) or None,
            "schema": _schema([m.get("schema") for m in ms]),
            "mention_count": len(ms),
        })
    return rows


def _lone_row(eid: str, m: dict[str, Any]) -> dict[str, Any]:
    """``entity_rows``' row of an entity of one mention without aliases (the same values, quicker)."""
    name = m.get("name")
    valid = bool(name and name.strip())
    clean = " ".join(name.split()) if valid and not m.get("unresolved_reason") else None
    countries, identifiers = m.get("countries"), m.get("identifiers")
    return {
        "entity_id": eid,
        "canonical_name": clean or (name if valid else "(no name)")[:200],
        "names": [clean] if clean else None,
        "countries": (sorted({c for c in countries if c}) or None) if countries else None,
        "identifiers": sorted(set(identifiers)) if identifiers else None,
        "schema": m.get("schema") or "LegalEntity",
        "mention_count": 1,
    }


def entities_table(rows: list[dict[str, Any]]) -> pa.Table:
    """The ``entities`` warehouse table."""
    lists = {"names", "countries", "identifiers"}
    fields = [
        (c, pa.list_(pa.string()) if c in lists else pa.int32() if c == "mention_count" else pa.string())
        for c in columns("entities")
    ]
    return pa.table({c: [r[c] for r in rows] for c, _ in fields}, schema=pa.schema(fields))


def entity_mentions_table(assignments: dict[str, Assignment]) -> pa.Table:
    """The ``entity_mentions`` warehouse table."""
    ids = sorted(assignments)
    return pa.table({
        "mention_id": ids,
        "entity_id": [assignments[i].entity_id for i in ids],
        "match_probability": pa.array([assignments[i].match_probability for i in ids], pa.float64()),
    })


def shipment_entities_sql() -> str:
    """SQL selecting ``shipment_entities`` rows from ``shipments`` and ``entity_mentions``."""
    joins = []
    for role, alias in (("exporter", "ex"), ("importer", "im")):
        mid = mention_id_sql("shipments", role, *[f"s.{c}" if c != "NULL" else c for c in PARTY_COLUMNS[role]])
        joins.append(f"LEFT JOIN entity_mentions {alias} ON {alias}.mention_id = {mid}")
    return (
        "SELECT s.record_id, ex.entity_id AS exporter_entity_id, im.entity_id AS importer_entity_id "
        "FROM shipments s " + " ".join(joins) + " ORDER BY s.record_id"
    )
