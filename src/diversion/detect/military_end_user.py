"""``military_end_user``: is, ships to, is owned by, or works under contract for a military end user — in time."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa

from diversion.config import Settings
from diversion.detect.common import split_tags
from diversion.detect.context import FX_JOIN, VALUE, DetectContext, listing_text
from diversion.detect.finding import Finding, RecordIds
from diversion.detect.registry import Detector
from diversion.detect.run import run_one
from diversion.engine import Engine
from diversion.graph.keys import VALUE_USD

NAME = "military_end_user"

#: Score of each way of being tied to a military end user.
TIES = {"is": 1.0, "ships_to": 0.9, "owned_by": 0.8, "linked": 0.8, "supplies_linked": 0.5}

_TRADE = f"""sum({VALUE_USD}) AS value_usd, sum({VALUE}) AS value, count(*) AS shipments,
             min(s.date) AS first_date, max(s.date) AS last_date,
             max_by(s.record_id, {{'v': {VALUE_USD}, 'id': s.record_id}}, 10) AS shipment_ids"""


def military_end_users(engine: Engine, settings: Settings) -> dict[str, list[str]]:
    """Entities known as military end users, each with the reasons (topics, programs)."""
    d = settings.detect
    tags = [("topic", t) for t in split_tags(d.military_topics)] + [
        ("program", p.upper()) for p in split_tags(d.military_programs)]
    engine.execute("CREATE OR REPLACE TEMP TABLE _meu_tags (kind VARCHAR, tag VARCHAR)")
    engine.insert_arrow("_meu_tags", pa.table({"kind": pa.array([k for k, _ in tags], pa.string()),
                                               "tag": pa.array([t for _, t in tags], pa.string())}))
    threshold = settings.resolve.screen_threshold
    rows = engine.fetch_all("""
        SELECT entity_id, 'registry topic ' || t FROM (
            SELECT entity_id, unnest(topics) AS t FROM _registry_map)
        WHERE lower(t) IN (SELECT tag FROM _meu_tags WHERE kind = 'topic')
        UNION
        SELECT k.entity_id, 'sanctions topic ' || t FROM (
            SELECT entity_id AS sid, unnest(topics) AS t FROM sanctions) x
        JOIN (SELECT entity_id, sanction_entity_id AS sid FROM sanctions_matches WHERE score >= ?
              UNION SELECT entity_id, source_key FROM _entity_keys WHERE source_table = 'sanctions') k
          ON k.sid = x.sid WHERE lower(x.t) IN (SELECT tag FROM _meu_tags WHERE kind = 'topic')
        UNION
        SELECT entity_id, 'program ' || p FROM (
            SELECT entity_id, unnest(programs) AS p FROM sanctions_matches WHERE score >= ?)
        WHERE upper(p) IN (SELECT tag FROM _meu_tags WHERE kind = 'program')
    """, [threshold, threshold])
    out: dict[str, list[str]] = {}
    for entity_id, reason in sorted(rows):
        out.setdefault(entity_id, []).append(reason)
    return out


def _since(ctx: DetectContext, reasons: dict[str, list[str]]) -> dict[str, date | None]:
    """From when each end user counts as one: always when the registry says so, else from its listing."""
    return {e: None if any(r.startswith("registry") for r in why) else ctx.listed_on.get(e)
            for e, why in reasons.items()}


def _window(start: date | None, end: date | None) -> str:
    if start and end:
        return f"from {start} to {end}"
    return f"from {start}" if start else (f"until {end}" if end else "dates not given")


def _sentence(ctx: DetectContext, name: str, end_user: str, b: dict[str, Any]) -> str:
    """The finding's sentence for its strongest tie ``b``, with its amounts and dates."""
    tie = b["tie"]
    if tie == "is":
        return f"{name} is a known military end user ({'; '.join(b['reasons'])})."
    if tie == "ships_to":
        when = f" ({listing_text(b['since'])})" if b["since"] else ""
        return (f"{name} shipped {ctx.money(b['value'])} ({b['shipments']} shipment(s), {b['first_date']} to "
                f"{b['last_date']}) to the military end user {end_user}{when}.")
    if tie == "owned_by":
        return f"{name} is owned by the military end user {end_user} ({_window(b['start_date'], b['end_date'])})."
    if tie == "linked":
        return (f"{name} has a registry link (contract or directorship) with the military end user {end_user} "
                f"({_window(b['start_date'], b['end_date'])}).")
    return (f"{name} shipped {ctx.money(b['value'])} ({b['shipments']} shipment(s), {b['first_date']} to "
            f"{b['last_date']}) to {ctx.name(b['via'])} while it was linked to the military end user {end_user} "
            f"(link {_window(b['start_date'], b['end_date'])}).")


def find(ctx: DetectContext) -> list[Finding]:
    """A known military end user, or a company that ships to, is owned by or is linked to one, in time.

    Military end users are entities the registry tags with a military topic
    (``detect.military_topics``, FtM ``mil``) or that match a sanctions entry
    with such a topic or a military program tag (``detect.military_programs``,
    e.g. BIS MEU, 1260H). One known only from a sanctions list counts as one
    from its listing date. Scores: the end user itself 1.0; ships to it 0.9
    (shipments on or after that date); owned by it 0.8; tied to it by another
    registry link (a contract, a directorship) 0.8; ships to a company tied to
    it that way 0.5 — counting only shipments dated within the link's start
    and end dates, so a supplier whose sales stopped before the contract
    began is not flagged.
    """
    engine = ctx.engine
    meu = military_end_users(engine, ctx.settings)
    if not meu:
        return []
    since = _since(ctx, meu)
    engine.execute("CREATE OR REPLACE TEMP TABLE _meu (entity_id VARCHAR, since DATE)")
    engine.insert_arrow("_meu", pa.table({"entity_id": pa.array(list(since), pa.string()),
                                          "since": pa.array(list(since.values()), pa.date32())}))
    ties: dict[str, list[dict[str, Any]]] = {
        e: [{"tie": "is", "end_user": e, "reasons": r, "since": since[e]}] for e, r in meu.items()}
    for r in ctx.rows(f"""
            SELECT se.exporter_entity_id AS who, m.entity_id AS end_user, {_TRADE}
            FROM shipments s JOIN shipment_entities se ON se.record_id = s.record_id
            JOIN _meu m ON m.entity_id = se.importer_entity_id {FX_JOIN}
            WHERE (m.since IS NULL OR s.date >= m.since) AND se.exporter_entity_id IS NOT NULL
              AND se.exporter_entity_id NOT IN (SELECT entity_id FROM _meu)
            GROUP BY 1, 2 ORDER BY 1, 2"""):  # an engine's row order differs run to run on a Spark cluster
        ties.setdefault(r["who"], []).append({"tie": "ships_to", **r, "since": since[r["end_user"]]})
    linked: list[tuple[str, str, date | None, date | None, str]] = []
    for e in ctx.rows("""
            SELECT source, target, kind, edge_id, first_date, last_date FROM edges
            WHERE list_contains(['ownership', 'directorship', 'link'], kind)
              AND (source IN (SELECT entity_id FROM _meu) OR target IN (SELECT entity_id FROM _meu))
            ORDER BY edge_id"""):  # ties of equal score keep this order (the first ten, the best one)
        src, tgt, kind = e["source"], e["target"], e["kind"]
        if kind == "ownership" and src in meu:
            tie, who, end_user = "owned_by", tgt, src
        elif kind in ("link", "directorship"):
            tie, who, end_user = ("linked", src, tgt) if tgt in meu else ("linked", tgt, src)
        else:
            continue
        if who in meu or who == end_user:
            continue
        ties.setdefault(who, []).append({"tie": tie, "end_user": end_user, "edge_id": e["edge_id"],
                                         "start_date": e["first_date"], "end_date": e["last_date"]})
        if tie == "linked":
            linked.append((who, end_user, e["first_date"], e["last_date"], e["edge_id"]))
    if linked:
        engine.execute("CREATE OR REPLACE TEMP TABLE _meu_linked (entity_id VARCHAR, end_user VARCHAR, "
                       "start_date DATE, end_date DATE, edge_id VARCHAR)")
        engine.insert_arrow("_meu_linked", pa.table({
            "entity_id": pa.array([x[0] for x in linked], pa.string()),
            "end_user": pa.array([x[1] for x in linked], pa.string()),
            "start_date": pa.array([x[2] for x in linked], pa.date32()),
            "end_date": pa.array([x[3] for x in linked], pa.date32()),
            "edge_id": pa.array([x[4] for x in linked], pa.string())}))
        for r in ctx.rows(f"""
                SELECT se.exporter_entity_id AS who, l.entity_id AS via, l.end_user, l.edge_id,
                       l.start_date, l.end_date, {_TRADE}
                FROM shipments s JOIN shipment_entities se ON se.record_id = s.record_id
                JOIN _meu_linked l ON l.entity_id = se.importer_entity_id {FX_JOIN}
                WHERE (l.start_date IS NULL OR s.date >= l.start_date) AND (l.end_date IS NULL OR s.date <= l.end_date)
                  AND se.exporter_entity_id IS NOT NULL AND se.exporter_entity_id NOT IN (SELECT entity_id FROM _meu)
                  AND se.exporter_entity_id <> l.entity_id
                GROUP BY ALL ORDER BY who, edge_id"""):
            ties.setdefault(r["who"], []).append({"tie": "supplies_linked", **r})
    findings = []
    for entity_id, found in ties.items():
        found.sort(key=lambda t: (-TIES[t["tie"]], -(t.get("value_usd") or 0)))
        best = found[0]
        end_user = ctx.name(best.get("end_user"))
        text = _sentence(ctx, ctx.name(entity_id), end_user, best)
        ids = [i for t in found for i in (t.get("shipment_ids") or [])][:10]
        facts = {"Tie": best["tie"].replace("_", " "), "Military end user": end_user}
        if best.get("value") is not None:
            facts.update({"Shipments": best["shipments"], "Value": ctx.money(best["value"]),
                          "First and last": f"{best['first_date']} to {best['last_date']}"})
        if best["tie"] in ("owned_by", "linked", "supplies_linked"):
            facts["Registry link"] = _window(best.get("start_date"), best.get("end_date"))
        findings.append(Finding(NAME, entity_id, TIES[best["tie"]], text, {
            "ties": found[:10], "currency": ctx.currency, "facts": facts,
            **RecordIds(shipment_ids=ids, edge_ids=sorted({t["edge_id"] for t in found if t.get("edge_id")}))}))
    return findings


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Run this detector alone (tests, benchmarks); ``run_detection`` runs them all with one context."""
    return run_one(DETECTOR, engine, settings)


DETECTOR = Detector(NAME, find, weight=0.85, severity="severe",
                    settings=("military_topics", "military_programs"),
                    tables=("_registry_map", "_entity_keys", "_report_fx", "_listings"), title="military end user")
