"""Combine findings into a ranked, explained lead list.

Method: for each entity, each flag contributes its best finding's score times
the flag's weight (each detector declares its weight; ``leads.weights``
overrides it); contributions combine as a noisy-OR,
``score = 1 − Π (1 − weight × score)``. Several independent flags therefore
beat one strong flag, and no score exceeds 1. A ``supporting`` flag
(``priority_goods``) adds weight but never makes a lead on its own.

Leads are parties in the trade data, or entities linked to one by a registry
link (owner, director, contract) or a commissioning edge. Entities with
findings but no trade and no such link — typically sanctions-list entries
that never appear in a declaration — are kept apart as *context* (``section``
``context``), ranked on their own. Listings show leads at or above
``leads.threshold``; ties rank the entity with more flags first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import pyarrow as pa

from diversion.collector import collector_paused
from diversion.config import Settings
from diversion.detect.finding import Finding, stored_record_ids
from diversion.detect.registry import flags, weights
from diversion.detect.run import findings_query, load_findings
from diversion.engine import Engine
from diversion.leads.carry import (
    LEAD_ORDER,
    contributions_of,
    ranking_tables,
    standalone_flags,
    trade_parties_sql,
    traders_among,
    write_ranked,
)
from diversion.leads.carry import TABLE as BASIS
from diversion.leads.rows import STATISTICS_PREFIX, made_rows, statistics_label
from diversion.read.stages import record_stage, require_stage


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
    #: ``lead`` (a trade party or linked to one) or ``context`` (findings but no trade).
    section: str = "lead"

    def row(self) -> dict[str, Any]:
        """The published columns, flags ``;``-separated."""
        return {"rank": self.rank, "entity_id": self.entity_id, "name": self.name, "country": self.country,
                "score": round(self.score, 4), "flags": ";".join(self.flags), "evidence": self.evidence}


def best_findings(findings: Iterable[Finding]) -> dict[str, dict[str, Finding]]:
    """Per entity, per flag, its best finding: the highest score, then the last summary in sort order."""
    best: dict[str, dict[str, Finding]] = defaultdict(dict)
    for f in findings:
        found = best[f.entity_id]
        held = found.get(f.detector)
        if held is None or (f.score, f.summary) > (held.score, held.summary):
            found[f.detector] = f
    return best


def combine(findings: Iterable[Finding], weights: dict[str, float]) -> dict[str, tuple[float, dict[str, float]]]:
    """Noisy-OR of weighted per-flag best scores, per entity: ``entity → (score, {flag: contribution})``.

    >>> fs = [Finding("sanctioned", "a", 1.0, "x"), Finding("priority_goods", "a", 0.4, "y")]
    >>> score, parts = combine(fs, {"sanctioned": 0.9, "priority_goods": 0.3})["a"]
    >>> round(score, 3), parts
    (0.912, {'sanctioned': 0.9, 'priority_goods': 0.12})
    """
    return _combined(best_findings(findings), weights)


def _combined(best: dict[str, dict[str, Finding]],
              weights: dict[str, float]) -> dict[str, tuple[float, dict[str, float]]]:
    """``combine`` of the best findings per entity and flag (``best_findings``)."""
    order = {flag: i for i, flag in enumerate(flags())}
    out = {}
    for entity_id, found in best.items():
        parts = {flag: round(weights.get(flag, 0.0) * f.score, 4) for flag, f in found.items()}
        miss = 1.0
        for flag in sorted(parts):  # one order, whatever order the findings came in: the same last bits
            miss *= 1.0 - min(1.0, parts[flag])
        ordered = dict(sorted(parts.items(), key=lambda kv: (-kv[1], order[kv[0]])))
        out[entity_id] = (round(1.0 - miss, 4), ordered)
    return out


#: Shipment ids a lead quotes per flag (``evidence_ids``).
EVIDENCE_SHIPMENTS = 3


def evidence_ids(finding: Finding, limit: int = EVIDENCE_SHIPMENTS) -> list[str]:
    """The record ids a reader can look up for a finding (its ``RecordIds``), ``limit + 2`` at most.

    Up to ``limit`` shipments first, then list entries, registry links, domains and related entities.
    """
    lists = dict(stored_record_ids(finding.evidence))  # every finding was checked when made
    ids = list(islice(lists.pop("shipment_ids", ()), limit)) + [i for kind in lists.values() for i in kind]
    return list(dict.fromkeys(ids))[: limit + 2]


def quoted_evidence(evidence: dict[str, Any]) -> dict[str, list[str]]:
    """The part of a finding's evidence a lead quotes: ``evidence_ids`` gives the same ids from it.

    Each kind's first distinct ids, as many as ``evidence_ids`` can show; what leads hold of a
    finding instead of its whole evidence (every shipment id of a large flow).
    """
    # Only the first ids of each kind are read, not whole lists (a large flow's finding holds every shipment id:
    # checking them all again took twice as long, 0.85 against 0.39 s for the 177k findings read at 3M rows).
    return {key: list(islice(ids, EVIDENCE_SHIPMENTS)) if key == "shipment_ids"
            else _first_distinct(ids, EVIDENCE_SHIPMENTS + 2) for key, ids in stored_record_ids(evidence)}


def _first_distinct(ids: Iterable[str], limit: int) -> list[str]:
    """The first ``limit`` distinct ``ids``, in order, reading no further than they take."""
    seen: dict[str, None] = {}
    for i in ids:
        seen[i] = None
        if len(seen) == limit:
            break
    return list(seen)


def _evidence_text(by_flag: dict[str, Finding], order: list[str]) -> str:
    """The lead's evidence: the sentences of its two strongest flags, the ids of its three strongest."""
    sentences = [by_flag[f].summary for f in order[:2]]
    ids = [i for f in order[:3] for i in evidence_ids(by_flag[f])]
    text = " ".join(sentences)
    return f"{text} [ids: {', '.join(dict.fromkeys(ids))}]" if ids else text


def rank_leads(findings: list[Finding], labels: dict[str, tuple[str, str | None]],
               weights: dict[str, float], trade_parties: set[str] | None = None) -> list[Lead]:
    """Every entity with a standalone flag, ranked (pure: findings and labels in, leads out).

    With ``trade_parties``, entities outside it are ranked apart as ``context``
    (their ranks start at 1 again); without it, every entity is a lead.
    """
    best = best_findings(findings)
    combined = _combined(best, weights)
    standalone = set(standalone_flags())
    # Namesakes tie on everything else: the entity id settles the order, so every engine ranks alike.
    order = sorted((e for e, (_, parts) in combined.items() if standalone & set(parts)),
                   key=lambda e: (-combined[e][0], -len(combined[e][1]), labels.get(e, (e, None))[0], e))
    leads = []
    ranks = {"lead": 0, "context": 0}
    for entity_id in order:
        score, parts = combined[entity_id]
        section = "lead" if trade_parties is None or entity_id in trade_parties else "context"
        ranks[section] += 1
        shown = [f for f in parts if parts[f] > 0] or list(parts)
        name, country = labels.get(entity_id, (entity_id, None))
        leads.append(Lead(ranks[section], entity_id, name, country, score, shown,
                          _evidence_text(best[entity_id], shown), parts, section))
    return leads


def trade_parties(engine: Engine) -> set[str]:
    """Entities in the trade data, or tied to a trade party by a registry link or a commissioning edge."""
    return {r[0] for r in engine.fetch_all(trade_parties_sql())}


Labels = dict[str, tuple[str, str | None]]


def _labels(engine: Engine, findings: Iterable[Finding] = ()) -> Labels:
    """``id → (name, country)`` of the network's entities, and of the countries statistics findings name."""
    return _with_countries({r[0]: (r[1], r[2]) for r in engine.fetch_all(_labels_sql())}, findings)


def _labels_sql(among: str | None = None) -> str:
    """The network's entities (``node_id``, ``label``, ``country``): those of table ``among`` only, when given."""
    which = f" AND node_id IN (SELECT entity_id FROM {among})" if among else ""
    return f"SELECT node_id, label, country FROM nodes WHERE kind = 'entity'{which}"


def _with_countries(labels: Labels, findings: Iterable[Finding]) -> Labels:
    """``labels`` with the countries statistics findings name (added to it)."""
    for f in findings:  # a trade-statistics signal (mirror_gap) concerns a country, not a party
        if f.entity_id.startswith(STATISTICS_PREFIX) and f.entity_id not in labels:
            labels[f.entity_id] = statistics_label(f.entity_id)
    return labels


def build_leads(engine: Engine, settings: Settings, findings: list[Finding] | None = None,
                carry: bool = False, carried: dict[str, int] | None = None, top: int | None = None) -> list[Lead]:
    """Rank every entity with findings and rewrite the ``leads`` table (leads, then context, best first).

    Uses ``findings`` when given, else the ``findings`` table; without a detection run it stops and names
    the command (it never runs detection itself). ``carry``: keep the rows of entities whose findings,
    name, country and trade did not change since the last ranking (``leads.carry``; what ``diversion run``
    does after an update): the same leads, in the same order. ``carried``, when given, gets under
    ``leads`` how many rows were kept. ``top``: return only the first ``top`` leads of the list (``0``: none;
    the table holds every one, and ``read.leads.lead_counts`` counts them): at 10M shipment rows, reading the 405k
    leads back took 2.7 s of an update's ranking.
    """
    if top is not None and top < 0:
        raise ValueError(f"top must be 0 or more, not {top}")
    kept: dict[str, int] = {} if carried is None else carried
    with collector_paused():  # hundreds of thousands of findings and leads, none of them cyclic
        leads = _build_leads(engine, settings, findings, carry, kept, top)
    threshold = settings.leads.threshold
    above = (sum(1 for lead in leads if lead.section == "lead" and lead.score >= threshold) if top is None
             else int(engine.scalar("SELECT count(*) FROM leads WHERE section = 'lead' AND score >= ?", [threshold])))
    record_stage(engine, "leads", f"{above} leads at or above {threshold}")
    return leads


#: The ``leads`` table's columns.
_SCHEMA = pa.schema([("rank", pa.int32()), ("entity_id", pa.string()), ("name", pa.string()),
                     ("country", pa.string()), ("score", pa.float64()), ("flags", pa.string()),
                     ("evidence", pa.string()), ("section", pa.string())])


def _build_leads(engine: Engine, settings: Settings, findings: list[Finding] | None, carry: bool,
                 carried: dict[str, int], top: int | None) -> list[Lead]:
    """``build_leads``, the collector paused."""
    if findings is None:
        require_stage(engine, "leads")
        if engine.cheap_row_deletes:
            return _ranked_with_basis(engine, settings, carry, carried, top)
        findings = _findings_read(engine)
    leads = rank_leads(findings, _labels(engine, findings), weights(settings), trade_parties(engine))
    with engine.transaction():
        engine.replace_arrow("leads", pa.Table.from_pylist([{**lead.row(), "section": lead.section}
                                                            for lead in leads], schema=_SCHEMA))
        if engine.table_exists(BASIS):  # leads not made from the findings table: none of them carried later
            engine.reset_table(BASIS)
    return leads if top is None else leads[:top]


def _findings_read(engine: Engine) -> list[Finding]:
    """What ranking reads of the ``findings`` table: the best finding per entity and flag, the evidence it quotes.

    The same ranking as from every finding with all its evidence (tested), in a fraction of the memory and
    time: only entities a standalone flag raised can be leads (at 10M shipment rows, 874k of the 1.28M
    findings are supporting ``priority_goods`` ones, most on entities no other flag raised).
    """
    return load_findings(engine, best_only=True, keep=quoted_evidence, flagged_by=standalone_flags())


def _ranked_with_basis(engine: Engine, settings: Settings, carry: bool, carried: dict[str, int],
                       top: int | None = None) -> list[Lead]:
    """Leads from the ``findings`` table, their rows made in SQL (``leads.rows``) only for entities that changed
    when ``carry`` (``leads.carry``), ranked in SQL; the leads as written (the first ``top``).
    ``carried["leads"]``: the rows kept."""
    with ranking_tables(engine, settings, carry) as redo:
        carried["leads"] = int(engine.scalar("SELECT count(*) FROM _lead_kept"))
        sql, params = findings_query(best_only=True, among=redo)
        made = made_rows(engine.fetch_arrow(sql, params), engine.fetch_arrow(_labels_sql(redo)),
                         traders_among(engine, redo), weights(settings))
        write_ranked(engine, settings, made)
        del made
    # Read back by column (a tuple per row took twice as long for 400k leads).
    limit = "" if top is None else f" LIMIT {int(top)}"
    written = engine.fetch_arrow("SELECT l.*, b.contributions FROM leads l JOIN lead_basis b USING (entity_id) "
                                 f"ORDER BY {LEAD_ORDER.replace('parts', 'b.parts')}{limit}")
    values = [written.column(name).to_pylist() for name in written.column_names]
    del written
    return [Lead(rank, entity_id, name, country, score, flags.split(";"), evidence, contributions_of(parts), section)
            for rank, entity_id, name, country, score, flags, evidence, section, parts in zip(*values, strict=True)]


def shown_leads(leads: list[Lead], settings: Settings, top: int | None = None, show_all: bool = False,
                section: str = "lead") -> list[Lead]:
    """The leads a listing shows: one section, above the threshold unless ``show_all``, at most ``top``."""
    mine = [lead for lead in leads if lead.section == section]
    chosen = mine if show_all else [lead for lead in mine if lead.score >= settings.leads.threshold]
    return chosen[: top or settings.leads.top] if top != 0 else chosen


def lead_dossier(engine: Engine, settings: Settings, id_or_name: str) -> dict[str, Any]:
    """Everything known about one entity (the read layer's dossier, as plain data for ``lead --json``)."""
    from diversion.read.dossier import dossier

    return dossier(engine, settings, id_or_name).as_dict()
