"""``military_end_user``: is, ships to, is owned by, or works under contract for a military end user."""

from __future__ import annotations

from typing import Any

from diversion.config import Settings
from diversion.detect.common import entity_labels, split_tags, sql_list
from diversion.detect.finding import Finding, money
from diversion.engine import Engine
from diversion.graph.keys import prepare_keys

NAME = "military_end_user"

#: Score of each way of being tied to a military end user.
TIES = {"is": 1.0, "ships_to": 0.9, "owned_by": 0.8, "linked": 0.8, "supplies_linked": 0.5}


def military_end_users(engine: Engine, settings: Settings) -> dict[str, list[str]]:
    """Entities known as military end users, each with the reasons (topics, programs)."""
    d = settings.detect
    topics = sql_list(split_tags(d.military_topics))
    programs = sql_list([p.upper() for p in split_tags(d.military_programs)])
    prepare_keys(engine)
    rows = engine.fetch_all(f"""
        SELECT entity_id, 'registry topic ' || t FROM (
            SELECT entity_id, unnest(topics) AS t FROM _registry_map) WHERE lower(t) IN {topics}
        UNION
        SELECT k.entity_id, 'sanctions topic ' || t FROM (
            SELECT entity_id AS sid, unnest(topics) AS t FROM sanctions) x
        JOIN (SELECT entity_id, sanction_entity_id AS sid FROM sanctions_matches WHERE score >= ?
              UNION SELECT entity_id, source_key FROM _entity_keys WHERE source_table = 'sanctions') k
          ON k.sid = x.sid WHERE lower(x.t) IN {topics}
        UNION
        SELECT entity_id, 'program ' || p FROM (
            SELECT entity_id, unnest(programs) AS p FROM sanctions_matches WHERE score >= ?)
        WHERE upper(p) IN {programs}
    """, [settings.resolve.screen_threshold, settings.resolve.screen_threshold])
    out: dict[str, list[str]] = {}
    for entity_id, reason in sorted(rows):  # a UNION's order is the engine's (differs on a Spark cluster)
        out.setdefault(entity_id, []).append(reason)
    return out


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """A known military end user, or a company that ships to, is owned by or is linked to one.

    Military end users are entities the registry tags with a military topic
    (``detect.military_topics``, FtM ``mil``) or that match a sanctions entry
    with such a topic or a military program tag (``detect.military_programs``,
    e.g. BIS MEU, 1260H). Scores: the end user itself 1.0; ships to it 0.9;
    owned by it 0.8; tied to it by another registry link (a contract,
    directorship) 0.8; ships to a company tied to it that way 0.5.
    """
    meu = military_end_users(engine, settings)
    if not meu:
        return []
    ids = sql_list(sorted(meu))
    edges = engine.fetch_dicts(f"""
        SELECT source, target, kind, edge_id, value_usd, evidence FROM edges
        WHERE kind IN ('trade', 'ownership', 'directorship', 'link') AND (source IN {ids} OR target IN {ids})
        ORDER BY edge_id""")  # ties of equal score keep this order (the first ten, the best one)
    ties: dict[str, list[dict[str, Any]]] = {e: [{"tie": "is", "end_user": e, "reasons": r}] for e, r in meu.items()}
    linked: set[str] = set()
    for e in edges:
        src, tgt, kind = e["source"], e["target"], e["kind"]
        if kind == "trade" and tgt in meu:
            tie, who, end_user = "ships_to", src, tgt
        elif kind == "ownership" and src in meu:
            tie, who, end_user = "owned_by", tgt, src
        elif kind in ("link", "directorship"):
            tie, who, end_user = ("linked", src, tgt) if tgt in meu else ("linked", tgt, src)
            linked.add(who)
        else:
            continue
        if who not in meu:
            ties.setdefault(who, []).append({"tie": tie, "end_user": end_user, "edge_id": e["edge_id"],
                                             "value_usd": e["value_usd"]})
    if linked:
        for e in engine.fetch_dicts(f"""SELECT source, target, edge_id, value_usd FROM edges
                                        WHERE kind = 'trade' AND target IN {sql_list(sorted(linked))}
                                        ORDER BY edge_id"""):
            if e["source"] not in meu:
                ties.setdefault(e["source"], []).append({"tie": "supplies_linked", "via": e["target"],
                                                         "edge_id": e["edge_id"], "value_usd": e["value_usd"]})
    labels = entity_labels(engine)
    findings = []
    for entity_id, found in ties.items():
        found.sort(key=lambda t: -TIES[t["tie"]])
        best = found[0]
        name = labels.get(entity_id, (entity_id, None))[0]
        other = labels.get(best.get("end_user") or best.get("via"), (best.get("end_user") or best.get("via"), None))[0]
        text = {
            "is": f"{name} is a known military end user ({'; '.join(best.get('reasons', []))}).",
            "ships_to": f"{name} ships to the military end user {other} ({money(best.get('value_usd'))}).",
            "owned_by": f"{name} is owned by the military end user {other}.",
            "linked": f"{name} has a registry link (contract or directorship) with the military end user {other}.",
            "supplies_linked": f"{name} ships to {other}, which is linked to a military end user.",
        }[best["tie"]]
        findings.append(Finding(NAME, entity_id, TIES[best["tie"]], text, {"ties": found[:10]}))
    return findings
