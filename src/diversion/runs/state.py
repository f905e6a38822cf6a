"""What a run compares: the warehouse's leads, sanctions matches and flags, as keyed items.

An item is keyed by ``(entity_id, item)``: a sanctions match by the list
entry it matches, a flag by its name, a lead by ``""``. Entity ids can change
when resolve regroups mentions (an entity's id is its smallest mention's, see
``resolve.clustering.entity_id_for``), so ids read before a resolve are mapped
to today's through that mention (``current_ids``): a party that gains a
sanctions-list mention keeps its history.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from diversion.engine import Engine

#: What each tracked stage writes, as the kind of item compared.
KIND_OF_STAGE = {"resolve": "match", "detect": "flag", "leads": "lead"}

Items = dict[tuple[str, str], dict[str, Any]]


def snapshot(engine: Engine, kind: str) -> Items:
    """The items of ``kind`` (``match``, ``flag`` or ``lead``) in the warehouse now, each with its entity's name."""
    if kind == "match":
        rows = engine.fetch_all(
            "SELECT m.entity_id, m.sanction_entity_id, max(m.score), max(m.list_name), "
            "max(m.matched_name), max(e.canonical_name) "
            "FROM sanctions_matches m LEFT JOIN entities e ON e.entity_id = m.entity_id GROUP BY ALL")
        return {(eid, sid): {"name": name, "score": round(score, 4), "list_name": lst, "matched_name": matched}
                for eid, sid, score, lst, matched, name in rows}
    if kind == "flag":
        rows = engine.fetch_all(
            "SELECT f.entity_id, f.detector, max(f.score), max(e.canonical_name) "
            "FROM findings f LEFT JOIN entities e ON e.entity_id = f.entity_id GROUP BY ALL")
        return {(eid, flag): {"name": name, "score": round(score, 4)} for eid, flag, score, name in rows}
    if kind == "lead":
        rows = engine.fetch_all("SELECT entity_id, name, rank, score, flags, section FROM leads")
        return {(eid, ""): {"name": name, "rank": rank, "score": round(score, 4),
                            "flags": [f for f in (flags or "").split(";") if f], "section": section or "lead"}
                for eid, name, rank, score, flags, section in rows}
    raise ValueError(f"unknown kind of change {kind!r}; use match, flag or lead")


def current_ids(engine: Engine, entity_ids: list[str]) -> dict[str, str]:
    """Today's entity id for each of ``entity_ids`` (an id whose founding mention is gone maps to itself)."""
    ids = sorted({e for e in entity_ids if e.startswith("e-")})
    if not ids:
        return {}
    engine.execute("CREATE OR REPLACE TEMP TABLE _run_ids (old_id VARCHAR, mention_id VARCHAR)")
    engine.insert_arrow("_run_ids", pa.table({
        "old_id": pa.array(ids, pa.string()),
        "mention_id": pa.array(["m-" + e.removeprefix("e-") for e in ids], pa.string()),
    }))
    rows = engine.fetch_all("SELECT r.old_id, em.entity_id FROM _run_ids r "
                            "JOIN entity_mentions em ON em.mention_id = r.mention_id")
    return {old: new for old, new in rows if old != new}


def translated(items: Items, mapping: dict[str, str], kind: str) -> Items:
    """``items`` under today's entity ids; items of entities that merged keep the best (top rank, top score)."""
    out: Items = {}
    for (eid, item), value in items.items():
        key = (mapping.get(eid, eid), item)
        known = out.get(key)
        if known is None or _better(value, known, kind):
            out[key] = value
    return out


def _better(a: dict[str, Any], b: dict[str, Any], kind: str) -> bool:
    if kind == "lead":
        return (a["rank"], -a["score"]) < (b["rank"], -b["score"])
    return bool(a["score"] > b["score"])
