"""Small lookups every view needs: entities by id or name fragment, labels, sanctioned marks, one record by id."""

from __future__ import annotations

from typing import Any

from diversion.engine import Engine
from diversion.read.values import Converter


def entities_by_id(engine: Engine, ids: list[str]) -> dict[str, dict[str, Any]]:
    """``entities`` rows (name, countries) keyed by id, for the ids given."""
    if not ids or not engine.table_exists("entities"):
        return {}
    rows = engine.fetch_dicts("SELECT entity_id, canonical_name, countries FROM entities "
                              "WHERE list_contains(?, entity_id)", [ids])
    return {r["entity_id"]: r for r in rows}


def entities_containing(engine: Engine, text: str, limit: int = 20) -> list[dict[str, Any]]:
    """Entities one of whose names contains ``text`` (case-insensitive), for partial typing."""
    if not engine.table_exists("entities"):
        return []
    return engine.fetch_dicts(
        "SELECT entity_id, canonical_name FROM entities "
        "WHERE contains(lower(array_to_string(names, chr(10)) || chr(10) || canonical_name), lower(?)) "
        "ORDER BY mention_count DESC NULLS LAST, entity_id LIMIT ?", [text, limit])


def sanctioned_among(engine: Engine, ids: list[str]) -> set[str]:
    """Which of ``ids`` have a sanctions match."""
    if not ids or not engine.table_exists("sanctions_matches"):
        return set()
    return {r[0] for r in engine.fetch_all(
        "SELECT DISTINCT entity_id FROM sanctions_matches WHERE list_contains(?, entity_id)", [ids])}


def node_labels(engine: Engine, ids: list[str]) -> dict[str, str]:
    """Display labels for node ids (entity names, then network labels)."""
    ids = list(dict.fromkeys(i for i in ids if i))
    out = {k: v["canonical_name"] for k, v in entities_by_id(engine, ids).items()}
    if ids and engine.table_exists("nodes"):
        for node_id, label in engine.fetch_all("SELECT node_id, label FROM nodes WHERE list_contains(?, node_id)",
                                               [ids]):
            out.setdefault(node_id, label)
    return out


def shipment_record(engine: Engine, record_id: str, conv: Converter) -> dict[str, Any] | None:
    """One shipment by its record id: every column, its file and line, its parties' entities, its value converted."""
    if not engine.table_exists("shipments"):
        return None
    source = ("LEFT JOIN sources src ON src.source_id = s.source_id", "src.path") if engine.table_exists(
        "sources") else ("", "s.source_id")
    parties = ("LEFT JOIN shipment_entities se ON se.record_id = s.record_id",
               "se.exporter_entity_id, se.importer_entity_id") if engine.table_exists("shipment_entities") else (
        "", "NULL AS exporter_entity_id, NULL AS importer_entity_id")
    rows = engine.fetch_dicts(
        f"SELECT s.* EXCLUDE (record_hash), {source[1]} AS file, {parties[1]} "
        f"FROM shipments s {source[0]} {parties[0]} WHERE s.record_id = ? LIMIT 1", [record_id])
    if not rows:
        return None
    row = rows[0]
    row["value_converted"] = conv.row(row)
    return row


def findings_citing(engine: Engine, record_id: str) -> list[dict[str, Any]]:
    """Findings whose evidence names this record id (as a shipment, link, entry or domain)."""
    if not engine.table_exists("findings"):
        return []
    return engine.fetch_dicts(
        "SELECT f.finding_id, f.detector, f.entity_id, f.score, f.summary FROM findings f "
        "WHERE contains(f.evidence, ?) ORDER BY f.score DESC, f.finding_id LIMIT 50", [f'"{record_id}"'])
