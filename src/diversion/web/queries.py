"""Read queries behind the entity page, the leads list and the search results.

Every function takes the ``WebWarehouse`` and plain values, runs parameterised
SQL only, and returns plain dictionaries. A table a stage has not written yet
gives an empty answer rather than an error, so the app works on a warehouse
at any stage of the pipeline.
"""

from __future__ import annotations

from typing import Any

from diversion.engine.schema import decode_json
from diversion.web.warehouse import WebWarehouse

#: Columns the shipments table can be sorted by (whitelist: they go into ORDER BY).
SHIPMENT_SORTS = {
    "date": "s.date",
    "hs_code": "s.hs_code",
    "exporter": "s.exporter_name",
    "importer": "s.importer_name",
    "origin": "s.origin_country",
    "dispatch": "s.dispatch_country",
    "value_usd": "s.value_usd",
    "quantity": "s.quantity",
}



def entity(wh: WebWarehouse, entity_id: str) -> dict[str, Any] | None:
    """The ``entities`` row of ``entity_id`` (names, countries, identifiers), or ``None``."""
    if not wh.has("entities"):
        return None
    rows = wh.rows(
        "SELECT entity_id, canonical_name, names, countries, identifiers, schema, mention_count "
        "FROM entities WHERE entity_id = ?",
        [entity_id],
    )
    return rows[0] if rows else None


def entities_by_id(wh: WebWarehouse, ids: list[str]) -> dict[str, dict[str, Any]]:
    """``entities`` rows keyed by id, for the ids given."""
    if not ids or not wh.has("entities"):
        return {}
    rows = wh.rows("SELECT entity_id, canonical_name, countries FROM entities WHERE list_contains(?, entity_id)", [ids])
    return {r["entity_id"]: r for r in rows}


def entities_containing(wh: WebWarehouse, text: str, limit: int = 20) -> list[dict[str, Any]]:
    """Entities one of whose names contains ``text`` (case-insensitive), for partial typing."""
    if not wh.has("entities"):
        return []
    return wh.rows(
        "SELECT entity_id, canonical_name FROM entities "
        "WHERE contains(lower(array_to_string(names, chr(10)) || chr(10) || canonical_name), lower(?)) "
        "ORDER BY mention_count DESC NULLS LAST, entity_id LIMIT ?",
        [text, limit],
    )


def lead(wh: WebWarehouse, entity_id: str) -> dict[str, Any] | None:
    """The entity's row in the ranked lead list, or ``None``."""
    if not wh.has("leads"):
        return None
    rows = wh.rows("SELECT rank, score, flags, evidence FROM leads WHERE entity_id = ?", [entity_id])
    return rows[0] if rows else None


def leads_for(wh: WebWarehouse, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Lead rows (score, flags) keyed by entity id."""
    if not ids or not wh.has("leads"):
        return {}
    rows = wh.rows("SELECT entity_id, score, flags FROM leads WHERE list_contains(?, entity_id)", [ids])
    return {r["entity_id"]: r for r in rows}


def sanctioned_ids(wh: WebWarehouse, ids: list[str]) -> set[str]:
    """Which of ``ids`` have a sanctions match."""
    if not ids or not wh.has("sanctions_matches"):
        return set()
    rows = wh.rows("SELECT DISTINCT entity_id FROM sanctions_matches WHERE list_contains(?, entity_id)", [ids])
    return {r["entity_id"] for r in rows}


def sanctions_matches(wh: WebWarehouse, entity_id: str) -> list[dict[str, Any]]:
    """Sanctions list entries the entity matched, with score and explanation."""
    if not wh.has("sanctions_matches"):
        return []
    return wh.rows(
        "SELECT sanction_entity_id, list_name, programs, listing_date, score, matched_name, explanation "
        "FROM sanctions_matches WHERE entity_id = ? ORDER BY score DESC",
        [entity_id],
    )


def findings(wh: WebWarehouse, entity_id: str) -> list[dict[str, Any]]:
    """Red-flag findings on the entity, strongest first, with their evidence."""
    if not wh.has("findings"):
        return []
    rows = wh.rows(
        "SELECT finding_id, detector, score, summary, evidence FROM findings WHERE entity_id = ? "
        "ORDER BY score DESC, detector",
        [entity_id],
    )
    for row in rows:
        row["evidence"] = decode_json(row["evidence"])
    return rows


_SHIPMENTS_OF = (
    "FROM shipment_entities se JOIN shipments s USING (record_id) "
    "WHERE se.exporter_entity_id = ? OR se.importer_entity_id = ?"
)


def shipments_count(wh: WebWarehouse, entity_id: str) -> int:
    """How many shipments name the entity as exporter or importer."""
    if not (wh.has("shipment_entities") and wh.has("shipments")):
        return 0
    return int(wh.value(f"SELECT count(*) {_SHIPMENTS_OF}", [entity_id, entity_id]) or 0)


def shipments_page(
    wh: WebWarehouse,
    entity_id: str,
    sort: str = "date",
    descending: bool = True,
    offset: int = 0,
    limit: int = 25,
    total: int | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """One page of the entity's shipments (as exporter or importer) and the total count.

    Pass ``total`` when it is already known to save the count query.
    """
    if not (wh.has("shipment_entities") and wh.has("shipments")):
        return 0, []
    order = SHIPMENT_SORTS.get(sort, "s.date")
    direction = "DESC" if descending else "ASC"
    where = _SHIPMENTS_OF
    if total is None:
        total = shipments_count(wh, entity_id)
    rows = wh.rows(
        "SELECT s.record_id, s.date, s.hs_code, s.description, s.brand, s.model, s.exporter_name, "
        "s.exporter_country, s.importer_name, s.importer_country, s.origin_country, s.dispatch_country, "
        "s.value, s.currency, s.value_usd, s.quantity, s.unit, "
        "CASE WHEN se.exporter_entity_id = ? THEN 'exporter' ELSE 'importer' END AS role "
        f"{where} ORDER BY {order} {direction} NULLS LAST, s.record_id LIMIT ? OFFSET ?",
        [entity_id, entity_id, entity_id, limit, offset],
    )
    return total, rows


def counterparts(wh: WebWarehouse, entity_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """The entity's trade counterparts: who it buys from and sells to, by value."""
    if not (wh.has("shipment_entities") and wh.has("shipments")):
        return []
    rows = wh.rows(
        "WITH mine AS ("
        "  SELECT CASE WHEN se.exporter_entity_id = ? THEN se.importer_entity_id ELSE se.exporter_entity_id END"
        "    AS other_id,"
        "  CASE WHEN se.exporter_entity_id = ? THEN 'buyer' ELSE 'supplier' END AS relation,"
        "  CASE WHEN se.exporter_entity_id = ? THEN s.importer_name ELSE s.exporter_name END AS other_name,"
        "  s.value_usd, s.date"
        "  FROM shipment_entities se JOIN shipments s USING (record_id)"
        "  WHERE se.exporter_entity_id = ? OR se.importer_entity_id = ?)"
        "SELECT other_id, relation, any_value(other_name) AS other_name, count(*) AS shipments,"
        " sum(value_usd) AS value_usd, min(date) AS first_date, max(date) AS last_date "
        "FROM mine GROUP BY other_id, relation ORDER BY value_usd DESC NULLS LAST LIMIT ?",
        [entity_id] * 5 + [limit],
    )
    names = entities_by_id(wh, [r["other_id"] for r in rows if r["other_id"]])
    for row in rows:
        known = names.get(row["other_id"] or "")
        row["name"] = known["canonical_name"] if known else row["other_name"]
    return rows


def ownership(wh: WebWarehouse, entity_id: str) -> list[dict[str, Any]]:
    """Ownership, directorship and other registry links touching the entity, from the network's edges."""
    if not wh.has("edges"):
        return []
    rows = wh.rows(
        "SELECT source, target, kind, share, first_date, last_date, evidence FROM edges "
        "WHERE kind IN ('ownership', 'directorship', 'link') AND (source = ? OR target = ?) "
        "ORDER BY kind DESC, share DESC NULLS LAST",
        [entity_id, entity_id],
    )
    ends = [r["source"] for r in rows] + [r["target"] for r in rows]
    labels = node_labels(wh, ends)
    resolved = entities_by_id(wh, ends)
    verbs = {
        "ownership": ("owned by", "owns"),
        "directorship": ("directed by", "directs"),
        "link": ("linked from", "linked to"),
    }
    for row in rows:
        incoming = row["target"] == entity_id
        row["direction"] = verbs[row["kind"]][0 if incoming else 1]
        row["other_id"] = row["source"] if incoming else row["target"]
        row["other_name"] = labels.get(row["other_id"], row["other_id"])
        row["other_is_entity"] = row["other_id"] in resolved  # registry-only parties have no page
        evidence = decode_json(row["evidence"])
        row["evidence"] = evidence
        ev = evidence if isinstance(evidence, dict) else {}
        row["roles"] = ", ".join(str(r) for r in ev.get("roles") or [] if r)
        row["link_ids"] = [str(i) for i in ev.get("link_ids") or []][:5]
    return rows


def node_labels(wh: WebWarehouse, ids: list[str]) -> dict[str, str]:
    """Display labels for node ids (network nodes, falling back to entity names)."""
    ids = list(dict.fromkeys(i for i in ids if i))
    out = {k: v["canonical_name"] for k, v in entities_by_id(wh, ids).items()}
    if ids and wh.has("nodes"):
        for row in wh.rows("SELECT node_id, label FROM nodes WHERE list_contains(?, node_id)", [ids]):
            out.setdefault(row["node_id"], row["label"])
    return out


def websites(wh: WebWarehouse, entity_id: str) -> list[dict[str, Any]]:
    """Web evidence for the entity's domains (from its mentions and website edges)."""
    if not wh.has("web_evidence"):
        return []
    domains: set[str] = set()
    if wh.has("mentions") and wh.has("entity_mentions"):
        for row in wh.rows(
            "SELECT DISTINCT m.domain FROM entity_mentions em JOIN mentions m USING (mention_id) "
            "WHERE em.entity_id = ? AND m.domain IS NOT NULL",
            [entity_id],
        ):
            domains.add(row["domain"])
    if wh.has("edges"):
        for row in wh.rows(
            "SELECT source, target FROM edges WHERE kind = 'website' AND (source = ? OR target = ?)",
            [entity_id, entity_id],
        ):
            other = row["target"] if row["source"] == entity_id else row["source"]
            domains.add(other.removeprefix("domain:"))
    if not domains:
        return []
    rows = wh.rows(
        "SELECT domain, company_name, claimed_address, claimed_country, hosting_country, registrant_country, "
        "fetched_at, left(text, 400) AS excerpt FROM web_evidence WHERE list_contains(?, domain) ORDER BY domain",
        [sorted(domains)],
    )
    return rows


def leads_page(
    wh: WebWarehouse, flag: str | None = None, country: str | None = None, offset: int = 0, limit: int = 25
) -> tuple[int, list[dict[str, Any]]]:
    """One page of the ranked lead list, optionally only leads with ``flag`` or in ``country``."""
    if not wh.has("leads"):
        return 0, []
    clauses, params = [], []
    if flag:
        clauses.append("list_contains(string_split(flags, ';'), ?)")
        params.append(flag)
    if country:
        clauses.append("upper(country) = upper(?)")
        params.append(country)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    total = int(wh.value(f"SELECT count(*) FROM leads {where}", params) or 0)
    rows = wh.rows(
        f"SELECT rank, entity_id, name, country, score, flags, evidence FROM leads {where} "
        "ORDER BY rank LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return total, rows


def lead_facets(wh: WebWarehouse) -> tuple[list[str], list[str]]:
    """The flags and countries present in the lead list, for the filter menus."""
    if not wh.has("leads"):
        return [], []
    flags = wh.rows(
        "SELECT DISTINCT unnest(string_split(flags, ';')) AS flag FROM leads WHERE flags <> '' ORDER BY flag"
    )
    countries = wh.rows("SELECT DISTINCT country FROM leads WHERE country IS NOT NULL ORDER BY country")
    return [r["flag"] for r in flags if r["flag"]], [r["country"] for r in countries]
