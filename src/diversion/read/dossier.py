"""Everything about one entity, read once for the CLI's ``lead``, the report's dossiers and the web's entity page.

Names, countries and identifiers; its lead row; every finding with its
evidence tables (``read.evidence``); its trade counterparts with values in the
report currency; its registry links (ownership, directorship, contracts,
commissioning), websites and sanctions matches; and a page of its shipments,
each with its record id, file and line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from diversion.config import Settings
from diversion.engine import Engine
from diversion.engine.schema import decode_json
from diversion.graph.lookup import find_node
from diversion.read.evidence import Evidence, evidence_of, findings_of
from diversion.read.leads import lead_row
from diversion.read.values import Converter, converter, monthly_sums

#: Columns the shipments table can be sorted by (a whitelist: they go into ORDER BY).
SHIPMENT_SORTS = {
    "date": "s.date", "record_id": "s.record_id", "hs_code": "s.hs_code", "exporter": "s.exporter_name",
    "importer": "s.importer_name", "origin": "s.origin_country", "dispatch": "s.dispatch_country",
    "value_usd": "s.value_usd", "value": "s.value_usd", "quantity": "s.quantity",
    "manufacture_year": "s.manufacture_year",
}
#: How a registry or network link reads from the entity's side: (when it points at the entity, when away).
LINK_VERBS = {
    "ownership": ("owned by", "owns"), "directorship": ("directed by", "directs"),
    "link": ("linked from", "linked to"), "commissioning": ("commissioned by", "commissioned"),
    "website": ("website of", "has the website"), "supplies": ("authorised distributor of", "supplies"),
    "brand": ("ships the brand", "shipped by"),
}


@dataclass
class Dossier:
    """One entity, as every output shows it."""

    entity_id: str
    name: str
    currency: str
    alternatives: list[tuple[str, str]] = field(default_factory=list)
    entity: dict[str, Any] | None = None
    lead: dict[str, Any] | None = None
    findings: list[Evidence] = field(default_factory=list)
    counterparts: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    sanctions: list[dict[str, Any]] = field(default_factory=list)
    websites: list[dict[str, Any]] = field(default_factory=list)
    shipments_total: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain data (``lead --json``): findings with their facts and record tables."""
        out = asdict(self)
        out["findings"] = [{"detector": f.detector, "score": f.score, "summary": f.summary, "facts": f.facts,
                            "shipments": f.shipments, "registry_links": f.links, "list_entries": f.entries,
                            "websites": f.websites, "finding_id": f.finding_id} for f in self.findings]
        return out


def entity_row(engine: Engine, entity_id: str) -> dict[str, Any] | None:
    """The ``entities`` row (names, countries, identifiers), or ``None``."""
    if not engine.table_exists("entities"):
        return None
    rows = engine.fetch_dicts("SELECT entity_id, canonical_name, names, countries, identifiers, schema, "
                              "mention_count FROM entities WHERE entity_id = ?", [entity_id])
    return rows[0] if rows else None


_SHIPMENTS_OF = ("FROM shipment_entities se JOIN shipments s ON s.record_id = se.record_id "
                 "WHERE se.exporter_entity_id = ? OR se.importer_entity_id = ?")


def shipments_count(engine: Engine, entity_id: str) -> int:
    """How many shipments name the entity as exporter or importer."""
    if not (engine.table_exists("shipment_entities") and engine.table_exists("shipments")):
        return 0
    return int(engine.scalar(f"SELECT count(*) {_SHIPMENTS_OF}", [entity_id, entity_id]) or 0)


def shipments_page(engine: Engine, entity_id: str, conv: Converter, sort: str = "date", descending: bool = True,
                   offset: int = 0, limit: int = 25) -> list[dict[str, Any]]:
    """One page of the entity's shipments with record id, file, line and the value in the report currency."""
    if not (engine.table_exists("shipment_entities") and engine.table_exists("shipments")):
        return []
    order = SHIPMENT_SORTS.get(sort, "s.date")
    direction = "DESC" if descending else "ASC"
    source = ("LEFT JOIN sources src ON src.source_id = s.source_id", "src.path") if engine.table_exists(
        "sources") else ("", "s.source_id")
    rows = engine.fetch_dicts(
        "SELECT s.record_id, " + source[1] + " AS file, s.line, s.date, s.hs_code, s.description, s.brand, s.model, "
        "s.manufacture_year, s.exporter_name, s.exporter_country, s.importer_name, s.importer_country, "
        "s.origin_country, s.dispatch_country, s.trading_country, s.value, s.currency, s.value_usd, s.quantity, "
        "s.unit, CASE WHEN se.exporter_entity_id = ? THEN 'exporter' ELSE 'importer' END AS role "
        "FROM shipment_entities se JOIN shipments s ON s.record_id = se.record_id " + source[0] + " "
        "WHERE se.exporter_entity_id = ? OR se.importer_entity_id = ? "
        f"ORDER BY {order} {direction} NULLS LAST, s.record_id LIMIT ? OFFSET ?",
        [entity_id, entity_id, entity_id, limit, offset])
    for row in rows:
        row["value_converted"] = conv.row(row)
    return rows


def counterparts(engine: Engine, entity_id: str, conv: Converter, limit: int = 25) -> list[dict[str, Any]]:
    """Who the entity buys from and sells to: shipments, value in the report currency, first and last date."""
    if not (engine.table_exists("shipment_entities") and engine.table_exists("shipments")):
        return []
    other = ("CASE WHEN se.exporter_entity_id = ? THEN se.importer_entity_id ELSE se.exporter_entity_id END")
    rows = engine.fetch_dicts(f"""
        SELECT {other} AS other_id,
               CASE WHEN se.exporter_entity_id = ? THEN 'buyer' ELSE 'supplier' END AS relation,
               any_value(CASE WHEN se.exporter_entity_id = ? THEN s.importer_name ELSE s.exporter_name END) AS raw,
               count(*) AS shipments, sum(s.value_usd) AS value_usd, min(s.date) AS first_date,
               max(s.date) AS last_date
        {_SHIPMENTS_OF} GROUP BY 1, 2 ORDER BY value_usd DESC NULLS LAST, other_id LIMIT ?""",
        [entity_id, entity_id, entity_id, entity_id, entity_id, limit])
    values = monthly_sums(engine, "se.exporter_entity_id = ? OR se.importer_entity_id = ?", [entity_id, entity_id],
                          f"{other} || '|' || CASE WHEN se.exporter_entity_id = ? THEN 'buyer' ELSE 'supplier' END",
                          conv, group_params=[entity_id, entity_id])
    names = {r[0]: r[1] for r in engine.fetch_all(
        "SELECT entity_id, canonical_name FROM entities WHERE list_contains(?, entity_id)",
        [[r["other_id"] for r in rows if r["other_id"]]])} if rows else {}
    for row in rows:
        row["name"] = names.get(row["other_id"] or "", row["raw"])
        row["value"] = values.get(f"{row['other_id']}|{row['relation']}")
    return rows


def links(engine: Engine, entity_id: str) -> list[dict[str, Any]]:
    """Registry and network links touching the entity (not trade): who, which way, share, dates, link ids."""
    if not engine.table_exists("edges"):
        return []
    rows = engine.fetch_dicts("""
        SELECT e.edge_id, e.kind, e.source, e.target, e.share, e.first_date, e.last_date, e.count, e.evidence,
               n.label AS other_name, n.kind AS other_kind
        FROM edges e LEFT JOIN nodes n ON n.node_id = CASE WHEN e.source = ? THEN e.target ELSE e.source END
        WHERE list_contains(['ownership', 'directorship', 'link', 'commissioning', 'website', 'supplies', 'brand'],
                            e.kind) AND (e.source = ? OR e.target = ?)
        ORDER BY e.kind, e.share DESC NULLS LAST, e.edge_id""", [entity_id, entity_id, entity_id])
    for row in rows:
        incoming = row["target"] == entity_id
        row["direction"] = LINK_VERBS.get(row["kind"], ("from", "to"))[0 if incoming else 1]
        row["other_id"] = row["source"] if incoming else row["target"]
        row["other_name"] = row["other_name"] or row["other_id"]
        row["other_is_entity"] = (row["other_kind"] or "entity") == "entity" and not str(
            row["other_id"]).startswith("registry:")
        ev = decode_json(row.pop("evidence")) or {}
        ev = ev if isinstance(ev, dict) else {}
        row["roles"] = ", ".join(str(r) for r in ev.get("roles") or [] if r)
        row["link_ids"] = [str(i) for i in ev.get("link_ids") or []][:5]
        row["shipment_ids"] = [str(i) for i in ev.get("shipment_ids") or []][:5]
    return rows


def sanctions_matches(engine: Engine, entity_id: str) -> list[dict[str, Any]]:
    """Sanctions-list entries the entity matched, with score, listing date and explanation."""
    if not engine.table_exists("sanctions_matches"):
        return []
    return engine.fetch_dicts(
        "SELECT sanction_entity_id, list_name, programs, listing_date, score, matched_name, explanation "
        "FROM sanctions_matches WHERE entity_id = ? ORDER BY score DESC, sanction_entity_id", [entity_id])


def websites(engine: Engine, entity_id: str) -> list[dict[str, Any]]:
    """Web evidence for the entity's domains (from its mentions and its website edges)."""
    if not engine.table_exists("web_evidence"):
        return []
    domains = {r[0] for r in engine.fetch_all(
        "SELECT DISTINCT m.domain FROM entity_mentions em JOIN mentions m ON m.mention_id = em.mention_id "
        "WHERE em.entity_id = ? AND m.domain IS NOT NULL", [entity_id])} if engine.table_exists("mentions") else set()
    if engine.table_exists("edges"):
        domains |= {str(r[0]).removeprefix("domain:") for r in engine.fetch_all(
            "SELECT target FROM edges WHERE kind = 'website' AND source = ?", [entity_id])}
    if not domains:
        return []
    return engine.fetch_dicts(
        "SELECT domain, company_name, claimed_address, claimed_country, hosting_country, registrant_country, "
        "fetched_at, left(text, 400) AS excerpt FROM web_evidence WHERE list_contains(?, domain) ORDER BY domain",
        [sorted(domains)])


def dossier_of(engine: Engine, settings: Settings, entity_id: str, name: str | None = None,
               alternatives: list[tuple[str, str]] | None = None, cache_key: str | None = None,
               currency: str | None = None) -> Dossier:
    """The dossier of a known entity id (the web app's and the report's entry point)."""
    conv = converter(engine, currency or settings.report_currency, cache_key)
    row = entity_row(engine, entity_id)
    found = findings_of(engine, entity_id)
    return Dossier(
        entity_id=entity_id, name=name or (row or {}).get("canonical_name") or entity_id, currency=conv.currency,
        alternatives=alternatives or [], entity=row, lead=lead_row(engine, entity_id),
        findings=[evidence_of(engine, f, conv) for f in found],
        counterparts=counterparts(engine, entity_id, conv), links=links(engine, entity_id),
        sanctions=sanctions_matches(engine, entity_id), websites=websites(engine, entity_id),
        shipments_total=shipments_count(engine, entity_id),
    )


def dossier(engine: Engine, settings: Settings, id_or_name: str) -> Dossier:
    """The dossier of the entity an id or a (partial, misspelt) name points at (the CLI's ``lead``)."""
    node = find_node(engine, id_or_name, kinds=("entity",))
    return dossier_of(engine, settings, node.node_id, node.label, node.alternatives)
