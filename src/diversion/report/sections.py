"""Read what the report shows from the warehouse, stage by stage.

Each reader returns plain data, or ``None`` when its stage has not run (the
template then says which command to run). Nothing here draws or formats.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field
from typing import Any

from diversion.config import Settings, describe
from diversion.engine import Engine
from diversion.engine.schema import decode_json
from diversion.warehouse_status import warehouse_status

#: Which command fills each stage's tables, for "not run yet" notes.
STAGE_COMMANDS = {
    "shipments": "diversion ingest shipments FILE",
    "entities": "diversion resolve",
    "shipment_entities": "diversion resolve",
    "sanctions_matches": "diversion resolve",
    "mentions": "diversion resolve",
    "nodes": "diversion graph",
    "edges": "diversion graph",
    "findings": "diversion detect",
    "leads": "diversion leads",
}


def has_rows(engine: Engine, table: str) -> bool:
    """Whether ``table`` exists and holds at least one row."""
    return engine.table_exists(table) and bool(engine.scalar(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)"))


def missing(table: str) -> str:
    """The "not run yet" sentence for a stage table."""
    return f"not run yet: run `{STAGE_COMMANDS.get(table, 'diversion ' + table)}`"



def findings_summary(engine: Engine) -> list[dict[str, Any]] | None:
    """Per detector: findings, entities flagged, best score."""
    if not has_rows(engine, "findings"):
        return None
    return engine.fetch_dicts(
        "SELECT detector, count(*) AS findings, count(DISTINCT entity_id) AS entities, max(score) AS top_score "
        "FROM findings GROUP BY detector ORDER BY findings DESC, detector"
    )


def ranked_leads(engine: Engine, limit: int) -> list[dict[str, Any]] | None:
    """The leads table, best first."""
    if not has_rows(engine, "leads"):
        return None
    rows = engine.fetch_dicts(
        "SELECT rank, entity_id, name, country, score, flags, evidence FROM leads ORDER BY rank LIMIT ?", [limit]
    )
    for row in rows:
        row["flag_list"] = [f for f in (row["flags"] or "").split(";") if f]
    return rows


def entity_findings(engine: Engine, entity_id: str) -> list[dict[str, Any]]:
    """The findings behind one lead, with their evidence parsed."""
    if not has_rows(engine, "findings"):
        return []
    rows = engine.fetch_dicts(
        "SELECT detector, score, summary, evidence FROM findings WHERE entity_id = ? ORDER BY score DESC, detector",
        [entity_id],
    )
    for row in rows:
        row["evidence"] = decode_json(row["evidence"])
    return rows


def entity_record(engine: Engine, entity_id: str) -> dict[str, Any] | None:
    """The resolved entity (names, countries, identifiers)."""
    if not has_rows(engine, "entities"):
        return None
    rows = engine.fetch_dicts("SELECT * FROM entities WHERE entity_id = ?", [entity_id])
    return rows[0] if rows else None


def sanctions_for(engine: Engine, entity_id: str) -> list[dict[str, Any]] | None:
    """Sanctions-list matches of one entity."""
    if not engine.table_exists("sanctions_matches"):
        return None
    return engine.fetch_dicts(
        "SELECT list_name, programs, listing_date, score, matched_name, explanation, sanction_entity_id "
        "FROM sanctions_matches WHERE entity_id = ? ORDER BY score DESC", [entity_id],
    )


def _linked_keys(engine: Engine, entity_id: str, source_table: str) -> list[str]:
    if not (has_rows(engine, "mentions") and has_rows(engine, "entity_mentions")):
        return []
    rows = engine.fetch_all(
        "SELECT DISTINCT m.source_key FROM mentions m JOIN entity_mentions em USING (mention_id) "
        "WHERE em.entity_id = ? AND m.source_table = ? AND m.source_key IS NOT NULL", [entity_id, source_table],
    )
    return [r[0] for r in rows]


def registry_for(engine: Engine, entity_id: str, names: list[str]) -> dict[str, Any]:
    """Registry companies resolved to the entity (or, before resolve, named like it) and their links."""
    keys = _linked_keys(engine, entity_id, "registry_entities")
    lowered = [n.lower() for n in names]
    companies = engine.fetch_dicts(
        "SELECT entity_id, schema, name, country, address, registration_number, inn, incorporation_date, "
        "website, topics FROM registry_entities "
        + ("WHERE list_contains(?, entity_id)" if keys else "WHERE list_contains(?, lower(name))"),
        [keys or lowered],
    )
    ids = [c["entity_id"] for c in companies]
    links = engine.fetch_dicts(
        "SELECT kind, source_name, target_name, share, role, start_date, end_date FROM registry_links "
        "WHERE list_contains(?, source_entity_id) OR list_contains(?, target_entity_id) ORDER BY kind, start_date",
        [ids, ids],
    ) if ids else []
    return {"companies": companies, "links": links}


def websites_for(engine: Engine, entity_id: str, names: list[str]) -> list[dict[str, Any]]:
    """Website evidence resolved to the entity (or carrying its name)."""
    keys = _linked_keys(engine, entity_id, "web_evidence")
    lowered = [n.lower() for n in names]
    return engine.fetch_dicts(
        "SELECT domain, company_name, claimed_address, claimed_country, hosting_country, registrant_country, "
        "fetched_at, left(text, 400) AS excerpt FROM web_evidence "
        "WHERE list_contains(?, domain) OR list_contains(?, record_hash) OR list_contains(?, lower(company_name)) "
        "ORDER BY domain", [keys, keys, lowered],
    )


def party_role(engine: Engine, entity_id: str, name: str) -> tuple[str, str] | None:
    """Whether the lead mostly imports or exports, and the filter value that finds its shipments.

    Resolved shipments are found by entity id; before resolve, by name.
    """
    if has_rows(engine, "shipment_entities"):
        imp, exp = engine.fetch_all(
            "SELECT count(*) FILTER (WHERE importer_entity_id = ?), count(*) FILTER (WHERE exporter_entity_id = ?) "
            "FROM shipment_entities", [entity_id, entity_id],
        )[0]
        if imp or exp:
            return ("importer" if imp >= exp else "exporter"), entity_id
    imp, exp = engine.fetch_all(
        "SELECT count(*) FILTER (WHERE importer_name ILIKE ?), count(*) FILTER (WHERE exporter_name ILIKE ?) "
        "FROM shipments", [name, name],
    )[0]
    if imp or exp:
        return ("importer" if imp >= exp else "exporter"), name
    return None


def top_customer(engine: Engine, key: str, after: Any) -> tuple[str, str] | None:
    """The importer buying most (by USD value, from ``after`` on) from exporter ``key``: (filter key, name)."""
    if has_rows(engine, "shipment_entities") and has_rows(engine, "entities"):
        rows = engine.fetch_all(
            "SELECT se.importer_entity_id, any_value(e.canonical_name) FROM shipments s "
            "JOIN shipment_entities se USING (record_id) JOIN entities e ON e.entity_id = se.importer_entity_id "
            "WHERE se.exporter_entity_id = ? AND s.date >= ? GROUP BY 1 ORDER BY sum(s.value_usd) DESC NULLS LAST "
            "LIMIT 1", [key, after])
        if rows:
            return rows[0][0], rows[0][1]
    rows = engine.fetch_all(
        "SELECT importer_name FROM shipments WHERE exporter_name ILIKE ? AND date >= ? GROUP BY 1 "
        "ORDER BY sum(value_usd) DESC NULLS LAST LIMIT 1", [key, after])
    return (rows[0][0], rows[0][0]) if rows else None


@dataclass
class Provenance:
    """Which files were loaded, when, with what row counts, and the settings used."""

    tables: dict[str, int]
    sources: list[dict[str, Any]]
    quarantine: list[dict[str, Any]]
    date_range: tuple[Any, Any] | None
    settings: list[tuple[str, Any]]
    rates: list[dict[str, Any]] = field(default_factory=list)
    methods: list[dict[str, str]] = field(default_factory=list)


def provenance(engine: Engine, settings: Settings) -> Provenance:
    """Data provenance and method text for the report's last section."""
    status = warehouse_status(engine)
    sources = engine.fetch_dicts(
        "SELECT path, kind, format, encoding, rows_read, rows_loaded, rows_duplicate, rows_quarantined, "
        "strftime(loaded_at, '%Y-%m-%d %H:%M:%S') AS loaded_at, "
        "left(source_id, 12) AS sha256 FROM sources ORDER BY loaded_at, path"
    )
    rates = engine.fetch_dicts(
        "SELECT currency, min(month) AS first_month, max(month) AS last_month, count(*) AS months "
        "FROM rates GROUP BY currency ORDER BY currency"
    )
    detectors = [r[0] for r in engine.fetch_all("SELECT DISTINCT detector FROM findings ORDER BY 1")] if has_rows(
        engine, "findings") else []
    return Provenance(
        tables=status.tables, sources=sources, quarantine=status.quarantine, date_range=status.date_range,
        settings=describe(settings), rates=rates, methods=detector_methods(detectors),
    )


def detector_methods(used: list[str]) -> list[dict[str, str]]:
    """Method text of each detector: the docstring of its module or of the function named like it."""
    try:
        package = importlib.import_module("diversion.detect")
    except ImportError:
        return []
    out: list[dict[str, str]] = []
    names = {m.name for m in pkgutil.iter_modules(getattr(package, "__path__", []))}
    for flag in used:
        doc = None
        if flag in names:
            module = importlib.import_module(f"diversion.detect.{flag}")
            func = getattr(module, flag, None) or getattr(module, "detect", None)
            doc = inspect.getdoc(func) if callable(func) else None
            doc = doc or inspect.getdoc(module)
        out.append({"detector": flag, "method": doc or "(no method text found)"})
    return out
