"""``intermediary_surge``: new counterparts that carry a flow's growth after the cut-off."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import pyarrow as pa

from diversion.config import Settings
from diversion.detect.common import OLD_MACHINES, old_machines, split_tags
from diversion.detect.context import FX_JOIN, VALUE, DetectContext
from diversion.detect.finding import Finding, RecordIds
from diversion.detect.registry import Detector
from diversion.detect.run import run_one
from diversion.engine import Engine
from diversion.flows.attribution import growth_attribution
from diversion.graph.keys import VALUE_USD

NAME = "intermediary_surge"

#: SQL for each kind of flow: its key, over shipments ``s``, their parties ``se`` and the brand map ``bm``
#: (joined for the brand kinds). Most specific first: on equal scores the evidence names the narrowest flow
#: (an importer's brand).
FLOW_KEYS: dict[str, str] = {
    "importer_brand": "se.importer_entity_id || '|' || bm.brand_key",
    "importer": "se.importer_entity_id",
    "brand": "bm.brand_key",
    "hs4": "substr(s.hs_code, 1, 4)",
}


def _brand_join(kind: str) -> str:
    """The brand map joined for a brand kind of flow (``bm`` in its key; a join, not ``brand_key_sql``'s
    subquery: Spark refuses a correlated subquery in a join condition, where the flows that grew are joined)."""
    return "LEFT JOIN _brand_map bm ON bm.brand = trim(s.brand)" if "brand" in kind else ""


def _keyed_sql(kinds: list[str], destination: str, select: str, join: str = "") -> str:
    """Shipments ``s`` into ``destination`` with both parties, each with its key in every kind of flow
    (column ``k_KIND``; null where the shipment is in no flow of that kind: the brand map holds no blank
    brand, so an unbranded shipment has no brand key) and ``select``. One join of every shipment to its
    parties serves all the kinds."""
    keys = ", ".join(f"{FLOW_KEYS[k]} AS k_{k}" for k in kinds)
    brand = _brand_join("brand") if any("brand" in k for k in kinds) else ""
    where = "AND s.importer_country = ?" if destination else ""
    return f"""
        SELECT {keys}, {select}
        FROM shipments s JOIN shipment_entities se ON se.record_id = s.record_id {brand} {join}
        WHERE se.exporter_entity_id IS NOT NULL AND se.importer_entity_id IS NOT NULL {where}"""


def _by_flow_sql(kinds: list[str], keyed: str, group: str, sums: dict[str, str]) -> str:
    """``sums`` (alias: expression) of the ``keyed`` rows per flow of each kind and ``group``, in one pass: a
    grouping set per kind; a row's ``flow`` names its kind, ``flow_key`` its key (no key there: left out)."""
    extra = f", {group}" if group else ""
    sets = ", ".join(f"(k_{k}{extra})" for k in kinds)
    # GROUPING(k) is 0 only in the set that groups by k: each output row belongs to one kind.
    flow = "CASE " + " ".join(f"WHEN GROUPING(k_{k}) = 0 THEN '{k}'" for k in kinds) + " END"
    key = "CASE " + " ".join(f"WHEN GROUPING(k_{k}) = 0 THEN k_{k}" for k in kinds) + " END"
    summed = ", ".join(f"{expr} AS {alias}" for alias, expr in sums.items())
    return f"""
        SELECT flow, flow_key{extra}, {", ".join(sums)}
        FROM (SELECT {flow} AS flow, {key} AS flow_key{extra}, {summed}
              FROM ({keyed}) k GROUP BY GROUPING SETS ({sets})) t
        WHERE flow_key IS NOT NULL"""


def _candidate_flows(ctx: DetectContext, kinds: list[str]) -> list[dict[str, Any]]:
    """Monthly value (US dollars and report currency) per counterpart of each flow that grew enough.

    Two passes over the shipments joined to their parties, each summing every kind of flow at once
    (grouping sets): the flows' totals before and after the cut-off pick the flows that grew (few), then
    only their shipments are summed by counterpart and month. At 10M shipments the monthly rows of every
    flow are tens of millions of groups; those of the flows that grew, thousands. A pass per kind joined
    every shipment to its parties eight times (15 of the detector's 17 s at 10M rows).
    """
    d = ctx.settings.detect
    cut = d.cutoff_date
    dest = [d.destination_country] if d.destination_country else []
    keyed = _keyed_sql(kinds, d.destination_country, f"s.date, {VALUE_USD} AS v")
    totals = _by_flow_sql(kinds, keyed, "", {"before": "sum(v) FILTER (WHERE date < CAST(? AS DATE))",
                                             "after": "sum(v) FILTER (WHERE date >= CAST(? AS DATE))"})
    ctx.engine.execute(
        f"CREATE OR REPLACE TEMP TABLE _surge_flows AS SELECT flow, flow_key FROM ({totals}) "
        "WHERE before > 0 AND after - before >= ? AND after / before >= ?",
        [cut, cut, *dest, float(d.surge_min_growth_value), float(d.surge_min_growth_factor)])
    # Monthly buckets, except that a month straddling the cut-off is split at it.
    bucket = ("CASE WHEN s.date < CAST(? AS DATE) THEN date_trunc('month', s.date)::DATE "
              "ELSE greatest(date_trunc('month', s.date)::DATE, CAST(? AS DATE)) END")
    # Only shipments in some flow that grew are summed; a sum of another kind's flow that did not grow is
    # dropped after (a shipment in a grown brand flow is in its importer's flow too).
    grew = " OR ".join(f"k_{k} IN (SELECT flow_key FROM _surge_flows WHERE flow = '{k}')" for k in kinds)
    keyed = _keyed_sql(kinds, d.destination_country,
                       f"se.exporter_entity_id AS counterpart, {bucket} AS month, {VALUE_USD} AS v, {VALUE} AS v_rc",
                       FX_JOIN)
    monthly = _by_flow_sql(kinds, f"SELECT * FROM ({keyed}) g WHERE {grew}", "counterpart, month",
                           {"value": "sum(v)", "value_rc": "sum(v_rc)"})
    return ctx.rows(f"SELECT m.* FROM ({monthly}) m JOIN _surge_flows f "
                    "ON f.flow = m.flow AND f.flow_key = m.flow_key", [cut, cut, *dest])


def _label(flow: str, key: str, labels: dict[str, tuple[str, str | None]], brands: dict[str, str]) -> str:
    if flow == "importer":
        return f"imports of {labels.get(key, (key, None))[0]}"
    if flow == "importer_brand":
        importer, brand = key.split("|", 1)
        return f"{labels.get(importer, (importer, None))[0]}'s imports of {brands.get(brand, brand)}"
    if flow == "brand":
        return f"all imports of {brands.get(key, key)}"
    return f"imports under HS heading {key}"


def find(ctx: DetectContext) -> list[Finding]:
    """New counterparts that carry most of a flow's growth after the cut-off date.

    For each flow into the destination country — an importer's purchases, an
    importer's purchases of one brand, a brand, an HS heading (setting
    ``detect.surge_flows``) — value is summed before and after
    ``detect.cutoff_date`` and the change is attributed to each exporter
    (growth attribution, ``flows.attribution``). Only flows that existed
    before, grew by at least ``surge_min_growth_value`` dollars and by a factor
    of at least ``surge_min_growth_factor`` are considered. An exporter is
    flagged when it is new after the cut-off and carries at least
    ``surge_min_growth_share`` of the growth. Score: its share of the growth
    (saturating at one half) times the flow's growth factor on a log scale
    (saturating at thirty-fold) times its growth in dollars on a square-root
    scale (saturating at ``surge_full_growth_value``, $5m). Each entity keeps its strongest flow; the
    others are listed in the evidence. The importer of an importer flow whose
    growth new counterparts carry is flagged too, at 0.8 × (their share of the
    growth) × the same growth terms: it switched to new suppliers after the cut-off.
    Old machines among a new counterpart's shipments after the cut-off are listed as evidence.
    """
    engine, settings = ctx.engine, ctx.settings
    d = settings.detect
    kinds = [k for k in split_tags(d.surge_flows) if k in FLOW_KEYS]
    rows = _candidate_flows(ctx, kinds) if kinds else []
    grouped: dict[tuple[str, str], list[tuple[str, float, Any]]] = defaultdict(list)
    shown: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in rows:
        grouped[(r["flow"], r["flow_key"])].append((r["counterpart"], r["value"] or 0.0, r["month"]))
        shown[(r["flow"], r["flow_key"])][0 if r["month"] < d.cutoff_date else 1] += r["value_rc"] or 0.0
    hits: dict[str, list[dict[str, Any]]] = defaultdict(list)
    importers: dict[str, dict[str, Any]] = {}
    # Flows in a fixed order (the more specific flow wins a tie) and rows sorted, so sums and picks do not
    # depend on the order an engine returns rows in.
    for (flow, key), flow_rows in sorted(grouped.items(), key=lambda kv: (list(FLOW_KEYS).index(kv[0][0]), kv[0][1])):
        flow_rows.sort(key=lambda r: (r[0] or "", str(r[2]), r[1]))
        att = growth_attribution(flow_rows, d.cutoff_date)
        factor = att.growth_factor or 0.0
        new_share = min(1.0, att.new_share())
        size = min(1.0, math.sqrt(max(att.change, 0.0) / d.surge_full_growth_value))
        totals = {"before_total": att.before_total, "after_total": att.after_total,
                  "before_value": round(shown[(flow, key)][0], 2), "after_value": round(shown[(flow, key)][1], 2)}
        if flow in ("importer", "importer_brand") and new_share >= 0.5:
            importer = key.split("|", 1)[0]
            score = 0.8 * new_share * _factor_term(factor) * size
            if importer not in importers or importers[importer]["score"] < score:
                importers[importer] = {"flow": flow, "flow_key": key, "score": round(score, 4), **totals,
                                       "growth_factor": round(factor, 2), "new_counterparts_share": round(new_share, 4),
                                       "new_counterparts": [c.counterpart for c in att.counterparts
                                                            if c.is_new and c.share_of_growth > 0][:10]}
        for c in att.counterparts:
            if not c.is_new or c.share_of_growth < d.surge_min_growth_share:
                continue
            score = min(1.0, c.share_of_growth / 0.5) * _factor_term(factor) * size
            hits[c.counterpart].append({
                "flow": flow, "flow_key": key, "score": round(score, 4), **totals,
                "growth_factor": round(factor, 2), "after": c.after,
                "share_of_growth": round(c.share_of_growth, 4),
                "new_counterparts_share": round(att.new_share(), 4),
            })
    if not hits and not importers:
        return []
    brands = dict(engine.fetch_all("SELECT brand_key, min(brand) FROM _brand_map GROUP BY 1"))
    for flows in hits.values():
        flows.sort(key=lambda f: (-f["score"], list(FLOW_KEYS).index(f["flow"]), -f["after"]))
    samples = _samples(ctx, [(e, f[0]["flow"], f[0]["flow_key"]) for e, f in hits.items()])
    findings = []
    cut = d.cutoff_date
    for entity_id, flows in hits.items():
        best = flows[0]
        best["flow_label"] = _label(best["flow"], best["flow_key"], ctx.labels, brands)
        sample = samples.get(entity_id, {})
        old, old_evidence = old_machines(sample, d.old_machine_age)
        summary = (f"{ctx.name(entity_id)} is new after {cut} and carries {best['share_of_growth']:.0%} of the "
                   f"growth in {best['flow_label']} ({ctx.money(best['before_value'])} before → "
                   f"{ctx.money(best['after_value'])} after){old}.")
        findings.append(Finding(NAME, entity_id, best["score"], summary, {
            "flow": best, "other_flows": flows[1:6], **RecordIds(shipment_ids=list(sample.get("shipment_ids") or [])),
            "cutoff_date": str(cut), "currency": ctx.currency, **old_evidence,
            "facts": {"Flow": best["flow_label"], "Before the cut-off": ctx.money(best["before_value"]),
                      "After the cut-off": ctx.money(best["after_value"]),
                      "Growth factor": f"×{best['growth_factor']:.1f}",
                      "Its share of the growth": f"{best['share_of_growth']:.0%}", "Cut-off": str(cut)}}))
    for importer, surge in importers.items():
        surge["flow_label"] = _label(surge["flow"], surge["flow_key"], ctx.labels, brands)
        names = ", ".join(ctx.name(c) for c in surge["new_counterparts"][:3])
        findings.append(Finding(NAME, importer, surge["score"],
                                f"Counterparts new after {cut} ({names}) carry "
                                f"{surge['new_counterparts_share']:.0%} of the growth in {surge['flow_label']} "
                                f"({ctx.money(surge['before_value'])} before → "
                                f"{ctx.money(surge['after_value'])} after).",
                                {"flow": surge, "role": "importer", "cutoff_date": str(cut), "currency": ctx.currency,
                                 "facts": {"Flow": surge["flow_label"],
                                           "Before the cut-off": ctx.money(surge["before_value"]),
                                           "After the cut-off": ctx.money(surge["after_value"]),
                                           "New counterparts": names,
                                           "Their share of the growth": f"{surge['new_counterparts_share']:.0%}",
                                           "Cut-off": str(cut)}}))
    return findings


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Run this detector alone (tests, benchmarks); ``run_detection`` runs them all with one context."""
    return run_one(DETECTOR, engine, settings)


def _factor_term(factor: float) -> float:
    """A flow's growth factor on a log scale: 0 at no growth, 1 at thirty-fold or more."""
    return min(1.0, math.log10(max(factor, 1.0)) / math.log10(30))


def _samples(ctx: DetectContext, picks: list[tuple[str, str, str]]) -> dict[str, dict[str, Any]]:
    """Per flagged counterpart, in its strongest flow after the cut-off: ten shipment ids and its old machines."""
    if not picks:
        return {}
    engine, d = ctx.engine, ctx.settings.detect
    engine.execute("CREATE OR REPLACE TEMP TABLE _surge_picks (entity_id VARCHAR, flow VARCHAR, flow_key VARCHAR)")
    engine.insert_arrow("_surge_picks", pa.table({
        "entity_id": pa.array([p[0] for p in picks], pa.string()),
        "flow": pa.array([p[1] for p in picks], pa.string()),
        "flow_key": pa.array([p[2] for p in picks], pa.string()),
    }))
    parts, params = [], []
    for kind, key in FLOW_KEYS.items():
        parts.append(f"""SELECT p.entity_id, s.record_id, s.date, s.manufacture_year FROM _surge_picks p
            JOIN shipment_entities se ON se.exporter_entity_id = p.entity_id
            JOIN shipments s ON s.record_id = se.record_id {_brand_join(kind)}
            WHERE p.flow = ? AND {key} = p.flow_key AND s.date >= CAST(? AS DATE)""")
        params += [kind, d.cutoff_date]
    rows = ctx.rows(f"""
        SELECT entity_id, min_by(record_id, {{'d': date, 'id': record_id}}, 10) AS shipment_ids, {OLD_MACHINES}
        FROM ({" UNION ALL ".join(parts)}) s CROSS JOIN _detect_settings ds GROUP BY entity_id""", params)
    return {r["entity_id"]: r for r in rows}


DETECTOR = Detector(NAME, find, weight=0.8, severity="severe",
                    settings=("cutoff_date", "destination_country", "surge_flows", "surge_min_growth_share",
                              "surge_min_growth_value", "surge_min_growth_factor", "surge_full_growth_value",
                              "old_machine_age"),
                    tables=("_brand_map", "_report_fx", "_detect_settings"),
                    title="new intermediary carrying the growth")
