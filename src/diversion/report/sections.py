"""Read what only the report shows from the warehouse: the findings summary, registry facts, provenance.

Leads, dossiers, evidence, neighbourhoods and money come from the one read
layer (``diversion.read``) the CLI and the web app use too. Each reader here
returns plain data, or ``None`` when its stage has not run (the template then
says which command to run). Nothing here draws or formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from diversion.config import Settings, describe
from diversion.detect.registry import registry, weights
from diversion.engine import Engine
from diversion.reference.exchange_rates import source_note
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



def findings_summary(engine: Engine, settings: Settings) -> list[dict[str, Any]] | None:
    """Per flag in registry order: findings, entities flagged, best score, weight, severity."""
    if not has_rows(engine, "findings"):
        return None
    rows = {r["detector"]: r for r in engine.fetch_dicts(
        "SELECT detector, count(*) AS findings, count(DISTINCT entity_id) AS entities, max(score) AS top_score "
        "FROM findings GROUP BY detector")}
    flag_weights = weights(settings)
    out = []
    for name, found in registry().items():
        if name in rows:
            out.append({**rows[name], "weight": flag_weights[name], "severity": found.severity,
                        "title": found.title})
    return out


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
        "SELECT link_id, line, kind, source_name, target_name, share, role, start_date, end_date FROM registry_links "
        "WHERE list_contains(?, source_entity_id) OR list_contains(?, target_entity_id) ORDER BY kind, start_date",
        [ids, ids],
    ) if ids else []
    return {"companies": companies, "links": links}


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
    methods: list[dict[str, Any]] = field(default_factory=list)
    reference_rates: str = ""


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
    found = {r[0] for r in engine.fetch_all("SELECT DISTINCT detector FROM findings")} if has_rows(
        engine, "findings") else set()
    return Provenance(
        tables=status.tables, sources=sources, quarantine=status.quarantine, date_range=status.date_range,
        settings=describe(settings), rates=rates,
        methods=detector_methods([f for f in registry() if f in found], settings),
        reference_rates=source_note(),
    )


def detector_methods(used: list[str], settings: Settings | None = None) -> list[dict[str, Any]]:
    """Each detector's method text (its docstring), weight, severity and the settings it read."""
    settings = settings or Settings()
    flag_weights = weights(settings)
    out: list[dict[str, Any]] = []
    for flag in used:
        found = registry().get(flag)
        if found is None:
            out.append({"detector": flag, "method": "(no method text found)"})
            continue
        out.append({"detector": flag, "method": found.method() or "(no method text found)",
                    "weight": flag_weights[flag], "severity": found.severity,
                    "settings": found.settings_used(settings)})
    return out
