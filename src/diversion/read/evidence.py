"""A finding's evidence as labelled tables, and the rows behind every sentence.

Each finding keeps ids of what it rests on (``shipment_ids``, ``edge_ids``,
``sanction_ids``, ``domains``) and labelled ``facts``. This module turns them
into the tables a reader checks — never a dump of keys: the shipments (record
id, file, line, date, value in the report currency, goods), the registry links
(link id, file, line, kind, parties, dates), the list entries (entry id, list,
file, line, listing date) and the websites (domain, hosting, claimed address,
fetched). The report prints one such table per finding and writes them all as
CSV; the web app shows the same tables.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from diversion.engine import Engine
from diversion.engine.schema import decode_json
from diversion.read.money import amount
from diversion.read.values import Converter

#: Columns of the evidence CSV export (one row per record behind a finding).
CSV_COLUMNS = ("finding_id", "flag", "entity_id", "entity", "record_kind", "record_id", "file", "line", "date",
               "value", "currency", "description")


@dataclass
class Evidence:
    """The tables behind one finding."""

    finding_id: str
    detector: str
    entity_id: str
    score: float
    summary: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    shipments: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    websites: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def record_ids(self) -> list[str]:
        """Every record id the finding names, in the order its tables list them."""
        return ([s["record_id"] for s in self.shipments] + [str(link["link_id"]) for link in self.links]
                + [str(e["entry_id"]) for e in self.entries] + [str(w["domain"]) for w in self.websites])


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    return str(value)


def facts_of(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """The finding's labelled facts (label, text): what the detector stated, else a readable fallback."""
    facts = evidence.get("facts")
    if isinstance(facts, dict) and facts:
        return [(str(k), _text(v)) for k, v in facts.items()]
    if isinstance(facts, list) and facts:
        return [(str(pair[0]), _text(pair[1])) for pair in facts if isinstance(pair, list | tuple) and len(pair) == 2]
    skip = {"facts", "shipment_ids", "edge_ids", "sanction_ids", "domains", "matches", "path", "ties", "signals",
            "owners", "flow", "other_flows", "old_machine_ids"}
    return [(k.replace("_", " ").capitalize(), _text(v)) for k, v in sorted(evidence.items())
            if k not in skip and not isinstance(v, dict)]


def _sources(engine: Engine) -> str:
    return "LEFT JOIN sources src ON src.source_id = x.source_id" if engine.table_exists("sources") else ""


def _file(engine: Engine) -> str:
    return "src.path" if engine.table_exists("sources") else "x.source_id"


def shipment_rows(engine: Engine, record_ids: list[str], conv: Converter) -> list[dict[str, Any]]:
    """The shipments with these record ids, in that order: file, line, date, value (report currency), goods."""
    if not record_ids:
        return []
    rows = engine.fetch_dicts(f"""
        SELECT x.record_id, {_file(engine)} AS file, x.line, x.date, x.hs_code, x.description, x.brand, x.model,
               x.manufacture_year, x.exporter_name, x.exporter_country, x.importer_name, x.importer_country,
               x.origin_country, x.dispatch_country, x.trading_country, x.value, x.currency, x.value_usd, x.quantity
        FROM shipments x {_sources(engine)} WHERE list_contains(?, x.record_id)""", [list(record_ids)])
    order = {rid: i for i, rid in enumerate(record_ids)}
    for row in rows:
        row["value_converted"] = conv.row(row)
        row["declared"] = f"{row['value']:,.2f} {row['currency'] or ''}".strip()
        row["amount"] = amount(row["value_converted"], conv.currency)
    return sorted(rows, key=lambda r: order.get(r["record_id"], len(order)))


def link_rows(engine: Engine, edge_ids: list[str]) -> list[dict[str, Any]]:
    """The registry links (ownership, directorship, other) behind network edges: file, line, parties, dates."""
    if not edge_ids or not engine.table_exists("edges"):
        return []
    link_ids: list[str] = []
    for (evidence,) in engine.fetch_all(
            "SELECT evidence FROM edges WHERE list_contains(?, edge_id) "
            "AND list_contains(['ownership', 'directorship', 'link'], kind)", [list(edge_ids)]):
        link_ids += [str(i) for i in (decode_json(evidence) or {}).get("link_ids") or []]
    if not link_ids:
        return []
    return engine.fetch_dicts(f"""
        SELECT x.link_id, {_file(engine)} AS file, x.line, x.kind, x.source_name, x.target_name, x.share, x.role,
               x.start_date, x.end_date
        FROM registry_links x {_sources(engine)} WHERE list_contains(?, x.link_id) ORDER BY x.start_date, x.link_id""",
        [link_ids])


def entry_rows(engine: Engine, sanction_ids: list[str]) -> list[dict[str, Any]]:
    """The sanctions-list entries named: list, file, line, programs, listing date."""
    if not sanction_ids:
        return []
    return engine.fetch_dicts(f"""
        SELECT x.entity_id AS entry_id, x.name, x.list_name, {_file(engine)} AS file, x.line, x.programs,
               x.listing_date
        FROM sanctions x {_sources(engine)} WHERE list_contains(?, x.entity_id) ORDER BY x.list_name, x.entity_id""",
        [list(sanction_ids)])


def website_rows(engine: Engine, domains: list[str]) -> list[dict[str, Any]]:
    """The websites named: file, line, hosting and registrant country, claimed address, when fetched."""
    if not domains:
        return []
    return engine.fetch_dicts(f"""
        SELECT x.domain, {_file(engine)} AS file, x.line, x.company_name, x.claimed_address, x.claimed_country,
               x.hosting_country, x.registrant_country, x.fetched_at
        FROM web_evidence x {_sources(engine)} WHERE list_contains(?, x.domain) ORDER BY x.domain, x.line""",
        [list(domains)])


def _ids(ev: dict[str, Any], *keys: str) -> list[str]:
    """The ids under ``keys``: a list of ids or one id (a list of other things, e.g. counts, is not ids)."""
    out: list[str] = []
    for key in keys:
        value = ev.get(key)
        if isinstance(value, str) and value:
            out.append(value)
        elif isinstance(value, list):
            out += [str(v) for v in value if isinstance(v, str) and v]
    return out


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def evidence_of(engine: Engine, finding: dict[str, Any], conv: Converter, limit: int = 10) -> Evidence:
    """The tables behind one finding row (``finding_id, detector, entity_id, score, summary, evidence``)."""
    ev = decode_json(finding.get("evidence")) or {}
    if not isinstance(ev, dict):
        ev = {}
    shipment_ids = list(dict.fromkeys(_ids(ev, "shipment_ids", "old_machine_ids", "shipments", "record_ids")))
    edge_ids = _ids(ev, "edge_ids") + [str(s.get("edge_id")) for s in _dicts(ev.get("path"))]
    sanction_ids = _ids(ev, "sanction_ids", "sanction_entity_id") + [
        str(m.get("sanction_entity_id")) for m in _dicts(ev.get("matches"))]
    domains = _ids(ev, "domains", "domain")
    return Evidence(
        finding_id=str(finding.get("finding_id") or ""), detector=str(finding["detector"]),
        entity_id=str(finding["entity_id"]), score=float(finding["score"]), summary=str(finding["summary"]),
        facts=facts_of(ev), shipments=shipment_rows(engine, shipment_ids[:limit + 5], conv),
        links=link_rows(engine, list(dict.fromkeys(edge_ids))),
        entries=entry_rows(engine, list(dict.fromkeys(sanction_ids))),
        websites=website_rows(engine, list(dict.fromkeys(domains))), raw=ev,
    )


def findings_of(engine: Engine, entity_id: str) -> list[dict[str, Any]]:
    """The finding rows of one entity, strongest first."""
    if not engine.table_exists("findings"):
        return []
    return engine.fetch_dicts(
        "SELECT finding_id, detector, entity_id, score, summary, evidence FROM findings WHERE entity_id = ? "
        "ORDER BY score DESC, detector, finding_id", [entity_id])


def evidence_csv(items: list[Evidence], names: dict[str, str], currency: str) -> str:
    """Every record behind the findings as CSV (``CSV_COLUMNS``): the rows a fact-checker opens."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for e in items:
        base = {"finding_id": e.finding_id, "flag": e.detector, "entity_id": e.entity_id,
                "entity": names.get(e.entity_id, e.entity_id), "currency": currency}
        for s in e.shipments:
            writer.writerow({**base, "record_kind": "shipment", "record_id": s["record_id"], "file": s["file"],
                             "line": s["line"], "date": s["date"], "description": s["description"] or "",
                             "value": "" if s["value_converted"] is None else round(s["value_converted"], 2)})
        for link in e.links:
            writer.writerow({**base, "record_kind": "registry link", "record_id": link["link_id"],
                             "file": link["file"], "line": link["line"], "date": link["start_date"] or "",
                             "description": f"{link['kind']}: {link['source_name']} → {link['target_name']}"
                                            + (f" ({link['role']})" if link.get("role") else "")})
        for entry in e.entries:
            writer.writerow({**base, "record_kind": "list entry", "record_id": entry["entry_id"],
                             "file": entry["file"], "line": entry["line"], "date": entry["listing_date"] or "",
                             "description": f"{entry['name']} on {entry['list_name']} "
                                            f"({', '.join(entry['programs'] or [])})"})
        for site in e.websites:
            writer.writerow({**base, "record_kind": "website", "record_id": site["domain"], "file": site["file"],
                             "line": site["line"], "date": site["fetched_at"] or "",
                             "description": f"claims {site['claimed_address'] or '?'}; hosted in "
                                            f"{site['hosting_country'] or '?'}"})
    return out.getvalue()


def evidence_json(e: Evidence) -> str:
    """One finding's tables as JSON (for ``lead --json``)."""
    return json.dumps({"facts": e.facts, "shipments": e.shipments, "links": e.links, "entries": e.entries,
                       "websites": e.websites}, ensure_ascii=False, default=str)
