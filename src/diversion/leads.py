"""Combine findings into a ranked, explained lead list, and a dossier per entity.

Method: for each entity, each flag contributes its best finding's score times
the flag's weight (``leads.weights``); contributions combine as a noisy-OR,
``score = 1 − Π (1 − weight × score)``. Several independent flags therefore
beat one strong flag, and no score exceeds 1. Leads at or above
``leads.threshold`` are shown by default; ties rank the entity with more
flags first.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from diversion.config import Settings
from diversion.detect import load_findings, run_detection
from diversion.detect.finding import FLAGS, Finding
from diversion.engine import Engine
from diversion.graph.lookup import find_node


@dataclass(frozen=True)
class Lead:
    """One row of the lead list (the DESIGN.md columns), plus each flag's contribution."""

    rank: int
    entity_id: str
    name: str
    country: str | None
    score: float
    flags: list[str]
    evidence: str
    contributions: dict[str, float] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """The published columns, flags ``;``-separated."""
        return {"rank": self.rank, "entity_id": self.entity_id, "name": self.name, "country": self.country,
                "score": round(self.score, 4), "flags": ";".join(self.flags), "evidence": self.evidence}


def combine(findings: Iterable[Finding], weights: dict[str, float]) -> dict[str, tuple[float, dict[str, float]]]:
    """Noisy-OR of weighted per-flag best scores, per entity: ``entity → (score, {flag: contribution})``.

    >>> fs = [Finding("sanctioned", "a", 1.0, "x"), Finding("priority_goods", "a", 0.4, "y")]
    >>> score, parts = combine(fs, {"sanctioned": 0.9, "priority_goods": 0.3})["a"]
    >>> round(score, 3), parts
    (0.912, {'sanctioned': 0.9, 'priority_goods': 0.12})
    """
    best: dict[str, dict[str, float]] = defaultdict(dict)
    for f in findings:
        flags = best[f.entity_id]
        flags[f.detector] = max(flags.get(f.detector, 0.0), f.score)
    out = {}
    for entity_id, flags in best.items():
        parts = {flag: round(weights.get(flag, 0.0) * s, 4) for flag, s in flags.items()}
        miss = 1.0
        for c in parts.values():
            miss *= 1.0 - min(1.0, c)
        ordered = dict(sorted(parts.items(), key=lambda kv: (-kv[1], FLAGS.index(kv[0]))))
        out[entity_id] = (round(1.0 - miss, 4), ordered)
    return out


def evidence_ids(finding: Finding, limit: int = 3) -> list[str]:
    """The record ids a reader can look up for a finding: shipments, registry links, domains, list entries."""
    ev = finding.evidence
    ids: list[str] = list(ev.get("shipment_ids") or [])[:limit]
    for match in ev.get("matches") or []:
        ids.append(str(match.get("sanction_entity_id")))
    for step in ev.get("path") or []:
        ids.append(str(step.get("edge_id")))
    for sig in ev.get("signals") or []:
        ids.append(str(sig.get("domain")))
    for owner in ev.get("owners") or []:
        ids.append(str(owner.get("entity_id")))
    if ev.get("domain"):
        ids.append(str(ev["domain"]))
    for tie in ev.get("ties") or []:
        if tie.get("edge_id"):
            ids.append(str(tie["edge_id"]))
    return list(dict.fromkeys(i for i in ids if i and i != "None"))[: limit + 2]


def _evidence_text(findings: list[Finding], order: list[str]) -> str:
    by_flag = {f: max((x for x in findings if x.detector == f), key=lambda x: (x.score, x.summary)) for f in order}
    sentences = [by_flag[f].summary for f in order[:2]]
    ids = [i for f in order[:3] for i in evidence_ids(by_flag[f])]
    text = " ".join(sentences)
    return f"{text} [ids: {', '.join(dict.fromkeys(ids))}]" if ids else text


def rank_leads(findings: list[Finding], labels: dict[str, tuple[str, str | None]],
               weights: dict[str, float]) -> list[Lead]:
    """Every entity with a finding, ranked (pure: findings and labels in, leads out)."""
    combined = combine(findings, weights)
    per_entity: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        per_entity[f.entity_id].append(f)
    # Namesakes tie on everything else: the entity id settles the order, so every engine ranks alike.
    order = sorted(combined, key=lambda e: (-combined[e][0], -len(combined[e][1]), labels.get(e, (e, None))[0], e))
    leads = []
    for rank, entity_id in enumerate(order, start=1):
        score, parts = combined[entity_id]
        flags = [f for f in parts if parts[f] > 0] or list(parts)
        name, country = labels.get(entity_id, (entity_id, None))
        leads.append(Lead(rank, entity_id, name, country, score, flags,
                          _evidence_text(per_entity[entity_id], flags), parts))
    return leads


def _labels(engine: Engine) -> dict[str, tuple[str, str | None]]:
    rows = engine.fetch_all("SELECT node_id, label, country FROM nodes WHERE kind = 'entity'")
    return {r[0]: (r[1], r[2]) for r in rows}


def build_leads(engine: Engine, settings: Settings, findings: list[Finding] | None = None) -> list[Lead]:
    """Rank every entity with findings and rewrite the ``leads`` table (all of them, best first).

    Uses ``findings`` when given, else the ``findings`` table, else (when that is empty) runs detection.
    """
    if findings is None:
        findings = load_findings(engine) if engine.count("findings") else run_detection(engine, settings)
    leads = rank_leads(findings, _labels(engine), settings.leads.weights)
    rows = [lead.row() for lead in leads]
    schema = pa.schema([("rank", pa.int32()), ("entity_id", pa.string()), ("name", pa.string()),
                        ("country", pa.string()), ("score", pa.float64()), ("flags", pa.string()),
                        ("evidence", pa.string())])
    with engine.transaction():
        engine.reset_table("leads")
        engine.insert_arrow("leads", pa.Table.from_pylist(rows, schema=schema))
    return leads


def shown_leads(leads: list[Lead], settings: Settings, top: int | None = None, show_all: bool = False) -> list[Lead]:
    """The leads a listing shows: above the threshold unless ``show_all``, at most ``top``."""
    chosen = leads if show_all else [lead for lead in leads if lead.score >= settings.leads.threshold]
    return chosen[: top or settings.leads.top] if top != 0 else chosen


def lead_dossier(engine: Engine, settings: Settings, id_or_name: str) -> dict[str, Any]:
    """Everything known about one entity: its lead row, every finding, counterparts, matches, ownership, sites."""
    node = find_node(engine, id_or_name, kinds=("entity",))
    eid = node.node_id
    findings = [f for f in load_findings(engine) if f.entity_id == eid]
    findings.sort(key=lambda f: (-settings.leads.weights.get(f.detector, 0) * f.score, f.detector))
    lead = engine.fetch_dicts("SELECT * FROM leads WHERE entity_id = ?", [eid]) if engine.table_exists("leads") else []
    entity = engine.fetch_dicts("SELECT * FROM entities WHERE entity_id = ?", [eid])
    counterparts = engine.fetch_dicts("""
        SELECT CASE WHEN e.source = ? THEN 'sells to' ELSE 'buys from' END AS direction,
               CASE WHEN e.source = ? THEN e.target ELSE e.source END AS entity_id, n.label AS name,
               n.country, e.value_usd, e.count AS shipments, e.first_date, e.last_date, e.evidence
        FROM edges e JOIN nodes n ON n.node_id = CASE WHEN e.source = ? THEN e.target ELSE e.source END
        WHERE e.kind = 'trade' AND (e.source = ? OR e.target = ?) ORDER BY e.value_usd DESC NULLS LAST LIMIT 25
    """, [eid] * 5)
    links = engine.fetch_dicts("""
        SELECT e.kind, CASE WHEN e.source = ? THEN 'to' ELSE 'from' END AS direction,
               CASE WHEN e.source = ? THEN e.target ELSE e.source END AS other, n.label AS name, e.share, e.evidence
        FROM edges e JOIN nodes n ON n.node_id = CASE WHEN e.source = ? THEN e.target ELSE e.source END
        WHERE e.kind IN ('ownership', 'directorship', 'link', 'website', 'supplies', 'brand')
          AND (e.source = ? OR e.target = ?)
    """, [eid] * 5)
    matches = engine.fetch_dicts("SELECT * FROM sanctions_matches WHERE entity_id = ? ORDER BY score DESC", [eid])
    for row in counterparts + links:
        if isinstance(row.get("evidence"), str):
            row["evidence"] = json.loads(row["evidence"])
    return {
        "entity_id": eid, "name": node.label, "alternatives": node.alternatives,
        "entity": entity[0] if entity else None, "lead": lead[0] if lead else None,
        "findings": [{"detector": f.detector, "score": f.score, "summary": f.summary, "evidence": f.evidence}
                     for f in findings],
        "counterparts": counterparts, "links": links, "sanctions_matches": matches,
    }
