"""The web app's reads, through the one read layer (``diversion.read``) over an ``Engine`` of the request.

Every function takes the ``WebWarehouse`` and plain values and returns plain
dictionaries, as the JSON API and the pages expect; the reading itself is the
read layer's, the same code the CLI and the report call, on the request's
worker engine (``WebWarehouse.read_engine``). A table a stage has not written yet gives an empty
answer rather than an error.
"""

from __future__ import annotations

from typing import Any

from diversion.config import Settings
from diversion.engine.schema import decode_json
from diversion.read import changes as read_changes
from diversion.read import dossier as read_dossier
from diversion.read import entities as read_entities
from diversion.read import leads as read_leads
from diversion.read.values import Converter, converter
from diversion.web.warehouse import WebWarehouse

#: Columns the shipments table can be sorted by (whitelist: they go into ORDER BY).
SHIPMENT_SORTS = read_dossier.SHIPMENT_SORTS


def values(wh: WebWarehouse, currency: str) -> Converter:
    """The converter to ``currency`` for this (unchanging) warehouse, built once per process."""
    with wh.read_engine() as engine:
        return converter(engine, currency, cache_key=wh.path)


def entity(wh: WebWarehouse, entity_id: str) -> dict[str, Any] | None:
    """The ``entities`` row of ``entity_id`` (names, countries, identifiers), or ``None``."""
    with wh.read_engine() as engine:
        return read_dossier.entity_row(engine, entity_id)


def entities_by_id(wh: WebWarehouse, ids: list[str]) -> dict[str, dict[str, Any]]:
    """``entities`` rows keyed by id, for the ids given."""
    with wh.read_engine() as engine:
        return read_entities.entities_by_id(engine, ids)


def entities_containing(wh: WebWarehouse, text: str, limit: int = 20) -> list[dict[str, Any]]:
    """Entities one of whose names contains ``text`` (case-insensitive), for partial typing."""
    with wh.read_engine() as engine:
        return read_entities.entities_containing(engine, text, limit)


def lead(wh: WebWarehouse, entity_id: str) -> dict[str, Any] | None:
    """The entity's row in the ranked lead list, or ``None``."""
    with wh.read_engine() as engine:
        return read_leads.lead_row(engine, entity_id)


def leads_for(wh: WebWarehouse, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Lead rows (score, flags, section) keyed by entity id."""
    with wh.read_engine() as engine:
        return read_leads.lead_rows(engine, ids)


def sanctioned_ids(wh: WebWarehouse, ids: list[str]) -> set[str]:
    """Which of ``ids`` have a sanctions match."""
    with wh.read_engine() as engine:
        return read_entities.sanctioned_among(engine, ids)


def sanctions_matches(wh: WebWarehouse, entity_id: str) -> list[dict[str, Any]]:
    """Sanctions list entries the entity matched, with score and explanation."""
    with wh.read_engine() as engine:
        return read_dossier.sanctions_matches(engine, entity_id)


def findings(wh: WebWarehouse, entity_id: str) -> list[dict[str, Any]]:
    """Red-flag findings on the entity, strongest first, with their evidence as data (for the JSON API)."""
    from diversion.read.evidence import findings_of

    with wh.read_engine() as engine:
        rows = findings_of(engine, entity_id)
    for row in rows:
        row["evidence"] = decode_json(row["evidence"])
    return rows


def shipments_count(wh: WebWarehouse, entity_id: str) -> int:
    """How many shipments name the entity as exporter or importer."""
    with wh.read_engine() as engine:
        return read_dossier.shipments_count(engine, entity_id)


def shipments_page(wh: WebWarehouse, entity_id: str, sort: str = "date", descending: bool = True, offset: int = 0,
                   limit: int = 25, total: int | None = None,
                   currency: str = "USD") -> tuple[int, list[dict[str, Any]]]:
    """One page of the entity's shipments (record id, file, line; value also in ``currency``) and the total."""
    conv = values(wh, currency)
    with wh.read_engine() as engine:
        if total is None:
            total = read_dossier.shipments_count(engine, entity_id)
        return total, read_dossier.shipments_page(engine, entity_id, conv, sort, descending, offset, limit)


def counterparts(wh: WebWarehouse, entity_id: str, limit: int = 20, currency: str = "USD") -> list[dict[str, Any]]:
    """The entity's trade counterparts: who it buys from and sells to, by value."""
    conv = values(wh, currency)
    with wh.read_engine() as engine:
        return read_dossier.counterparts(engine, entity_id, conv, limit)


def ownership(wh: WebWarehouse, entity_id: str) -> list[dict[str, Any]]:
    """Ownership, directorship, contract and commissioning links touching the entity."""
    with wh.read_engine() as engine:
        rows = read_dossier.links(engine, entity_id)
    return [r for r in rows if r["kind"] in ("ownership", "directorship", "link", "commissioning")]


def node_labels(wh: WebWarehouse, ids: list[str]) -> dict[str, str]:
    """Display labels for node ids (network nodes, falling back to entity names)."""
    with wh.read_engine() as engine:
        return read_entities.node_labels(engine, ids)


def websites(wh: WebWarehouse, entity_id: str) -> list[dict[str, Any]]:
    """Web evidence for the entity's domains (from its mentions and website edges)."""
    with wh.read_engine() as engine:
        return read_dossier.websites(engine, entity_id)


def leads_page(wh: WebWarehouse, flag: str | None = None, country: str | None = None, offset: int = 0,
               limit: int = 25, settings: Settings | None = None, above_threshold: bool = False,
               section: str = "lead") -> tuple[int, list[dict[str, Any]]]:
    """One page of the ranked lead list (a section; above the threshold only when asked), optionally filtered."""
    with wh.read_engine() as engine:
        return read_leads.lead_page(engine, settings or Settings(), section=section, above_threshold=above_threshold,
                                    flag=flag, country=country, offset=offset, limit=limit)


def lead_facets(wh: WebWarehouse) -> tuple[list[str], list[str]]:
    """The flags and countries present in the lead list, for the filter menus."""
    with wh.read_engine() as engine:
        return read_leads.lead_facets(engine)


def record(wh: WebWarehouse, record_id: str, currency: str) -> dict[str, Any] | None:
    """One shipment by record id (with its file, line, parties and value in ``currency``), or ``None``."""
    conv = values(wh, currency)
    with wh.read_engine() as engine:
        return read_entities.shipment_record(engine, record_id, conv)


def findings_citing(wh: WebWarehouse, record_id: str) -> list[dict[str, Any]]:
    """Findings whose evidence names this record id."""
    with wh.read_engine() as engine:
        return read_entities.findings_citing(engine, record_id)


def entity_dossier(wh: WebWarehouse, settings: Settings, entity_id: str) -> read_dossier.Dossier | None:
    """The entity page's dossier (findings with their record tables), or ``None`` for an unknown id."""
    with wh.read_engine() as engine:
        if read_dossier.entity_row(engine, entity_id) is None:
            return None
        return read_dossier.dossier_of(engine, settings, entity_id, cache_key=wh.path)


def lead_counts(wh: WebWarehouse, settings: Settings) -> read_leads.LeadCounts | None:
    """Leads at or above the threshold, all leads, context entities (``None`` before ``diversion leads``)."""
    with wh.read_engine() as engine:
        return read_leads.lead_counts(engine, settings)


def synthetic(wh: WebWarehouse) -> str | None:
    """The synthetic-data note of a demo warehouse, or ``None``."""
    from diversion.read.stages import synthetic_note

    with wh.read_engine() as engine:
        return synthetic_note(engine)


def changes(wh: WebWarehouse, settings: Settings, since: int | None = None,
            show_all: bool = False) -> read_changes.ChangeList:
    """What the runs after run ``since`` changed (default: the latest run), as ``diversion changes`` lists it."""
    with wh.read_engine() as engine:
        return read_changes.changes_since(engine, settings, since, show_all)
