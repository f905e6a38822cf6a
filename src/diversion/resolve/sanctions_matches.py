"""Every entity's sanctions matches: listed members, and screening of its names."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyarrow as pa

from diversion.resolve.clustering import Assignment
from diversion.resolve.screening import ScreeningIndex

_SCHEMA = pa.schema([
    ("entity_id", pa.string()), ("sanction_entity_id", pa.string()), ("list_name", pa.string()),
    ("programs", pa.list_(pa.string())), ("listing_date", pa.date32()), ("score", pa.float64()),
    ("matched_name", pa.string()), ("explanation", pa.string()),
])


#: The mention columns screening reads.
_MENTION_COLUMNS = ["mention_id", "source_table", "source_key", "unresolved_reason", "name", "aliases", "country",
                    "schema"]


def match_rows(
    mentions: pa.Table, assignments: dict[str, Assignment], index: ScreeningIndex, threshold: float, limit: int = 10,
    screened: dict[str, list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """Sanctions matches per entity.

    An entity that contains a listed entity's mention matches it with the
    mention's link probability ("resolved"). An entity without one is screened:
    each of its names, with its countries, against every listed name and alias;
    hits at or above ``threshold`` are kept ("screened"). ``screened``: rows
    already screened for some entities (an incremental run's unchanged ones),
    used instead of screening them again.
    """
    screened = screened or {}
    if not index.entities:  # no sanctions list loaded: nothing to match
        return []
    listed = {e.entity_id: e for e in index.entities}
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in mentions.select(_MENTION_COLUMNS).to_pylist():
        members[assignments[m["mention_id"]].entity_id].append(m)
    rows: list[dict[str, Any]] = []
    index.postings.for_bulk()
    # The same spelling recurs across many mentions (one per address or id), and spellings that normalise
    # alike (case, punctuation, legal form written out or not) get the same answer: each is screened once.
    cache: dict[tuple[str, str | None, str | None], list[Any]] = {}
    by_forms: dict[tuple[Any, ...], list[Any]] = {}

    def search(name: str, country: str | None, schema: str | None) -> list[Any]:
        key = (name, country, schema)
        if key not in cache:
            queries = index.query_forms(name)
            same = (index.forms_key(queries), country, schema)
            if same not in by_forms:
                by_forms[same] = index.search_forms(queries, country, schema, threshold, limit)
            cache[key] = by_forms[same]
        return cache[key]

    for eid in sorted(members):
        ms = members[eid]
        direct = [m for m in ms if m["source_table"] == "sanctions" and m["source_key"] in listed]
        for m in direct:
            ent = listed[m["source_key"]]
            p = assignments[m["mention_id"]].match_probability
            how = "is the listed entity" if len(ms) == 1 else f"linked by entity resolution (p={p:.2f})"
            rows.append(_row(eid, ent, p, ent.caption, f"{how}: {ent.caption!r} on {ent.list_name}"))
        if direct:
            continue
        if eid in screened:
            rows.extend(r for r in screened[eid] if r["sanction_entity_id"] in listed)
            continue
        seen: dict[str, dict[str, Any]] = {}
        for m in ms:
            if m.get("unresolved_reason"):
                continue
            for name in [m.get("name"), *(m.get("aliases") or [])]:
                for hit in search(name or "", m.get("country"), m.get("schema")):
                    old = seen.get(hit.sanction_entity_id)
                    if old is None or hit.score > old["score"]:
                        ent = listed[hit.sanction_entity_id]
                        seen[hit.sanction_entity_id] = _row(
                            eid, ent, hit.score, hit.matched_name, f"screened name {name!r}: {hit.explanation}"
                        )
        rows.extend(sorted(seen.values(), key=lambda r: (-r["score"], r["sanction_entity_id"]))[:limit])
    return rows


def _row(eid: str, ent: Any, score: float, matched: str, explanation: str) -> dict[str, Any]:
    return {
        "entity_id": eid, "sanction_entity_id": ent.entity_id, "list_name": ent.list_name,
        "programs": list(ent.programs) or None, "listing_date": ent.listing_date, "score": round(float(score), 4),
        "matched_name": matched, "explanation": explanation,
    }


def matches_table(rows: list[dict[str, Any]]) -> pa.Table:
    """The ``sanctions_matches`` warehouse table."""
    return pa.table({f.name: [r[f.name] for r in rows] for f in _SCHEMA}, schema=_SCHEMA)
