"""One dossier per top lead: the read layer's dossier, plus its trade charts, attribution and network picture."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import plotly.graph_objects as go

from diversion.config import Settings
from diversion.engine import Engine
from diversion.flows import FlowQuery, Period, compute_flows, make_filter
from diversion.read.dossier import Dossier as EntityDossier
from diversion.read.dossier import dossier_of
from diversion.read.neighbourhood import neighbourhood
from diversion.read.values import converter
from diversion.report import charts, sections
from diversion.report.network import network_figure


@dataclass
class Dossier:
    """Everything the report shows about one lead."""

    lead: dict[str, Any]
    slug: str
    entity: EntityDossier
    role: str | None
    yearly: list[dict[str, Any]] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    case: dict[str, Any] = field(default_factory=dict)
    registry: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, go.Figure] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def build_dossier(engine: Engine, settings: Settings, lead: dict[str, Any], currency: str) -> Dossier:
    """Gather one lead's evidence (through the read layer) and draw its timeline, attribution and network."""
    entity_id, name = lead["entity_id"], lead["name"]
    slug = f"lead{lead['rank']}"
    entity = dossier_of(engine, settings, entity_id, name, currency=currency)
    names = sorted({name, *((entity.entity or {}).get("names") or [])})
    role_key = sections.party_role(engine, entity_id, name)
    d = Dossier(lead=lead, slug=slug, entity=entity, role=role_key[0] if role_key else None)
    if role_key:
        _trade(engine, settings, d, role_key[0], role_key[1], currency)
    else:
        d.notes["shipments"] = "No shipments found for this party."
    d.registry = sections.registry_for(engine, entity_id, names)
    if sections.has_rows(engine, "edges"):
        hood = neighbourhood(engine, entity_id, converter(engine, currency), settings.report.network_hops,
                             settings.report.network_max_nodes)
        if hood.edges:
            d.figures[f"{slug}_network"] = network_figure(hood, f"Network of {name}")
        else:
            d.notes["network"] = "This entity has no links in the network."
    else:
        d.notes["network"] = sections.missing("edges")
    return d


def _trade(engine: Engine, settings: Settings, d: Dossier, role: str, key: str, currency: str) -> None:
    counterpart = "exporter" if role == "importer" else "importer"
    flt = make_filter(importers=[key]) if role == "importer" else make_filter(exporters=[key])
    cutoff = settings.detect.cutoff_date
    # Series only (no cutoff: the default growth split is not shown here); years are summed from months.
    monthly = compute_flows(engine, FlowQuery(filter=flt, by=counterpart, currency=currency))
    verb = "purchases by supplier" if role == "importer" else "sales by customer"
    name = d.lead["name"]
    d.figures[f"{d.slug}_timeline"] = charts.monthly_value_figure(
        monthly.series, currency, cutoff, f"{charts.short(name, 40)}: monthly {verb}", top=6, stacked=True)
    d.years = sorted({r["period"].year for r in monthly.series})
    table: dict[str, dict[int, float]] = {}
    for r in monthly.series:
        years = table.setdefault(r["group"], {})
        years[r["period"].year] = years.get(r["period"].year, 0.0) + (r["value"] or 0.0)
    biggest = sorted(table.items(), key=lambda item: -sum(item[1].values()))[:12]
    d.yearly = [{"counterpart": g, "years": v, "total": sum(v.values())} for g, v in biggest]
    # The case comparison: the last full year before the cut-off against the last full year of data,
    # seen from the importer's side (for an intermediary: its largest customer's purchases).
    if not monthly.series:
        return
    last_day = engine.scalar("SELECT max(date) FROM shipments")  # the data's end, not the party's last shipment
    last_month = last_day.replace(day=1)
    y0, y1 = cutoff.year - 1, last_month.year if last_month.month == 12 else last_month.year - 1
    if y1 <= cutoff.year:
        return
    buyer = (key, name) if role == "importer" else sections.top_customer(engine, key, cutoff)
    if buyer is None:
        return
    growth = compute_flows(engine, FlowQuery(
        filter=make_filter(importers=[buyer[0]]), by="exporter", currency=currency,
        before=Period(date(y0, 1, 1), date(y0, 12, 31)), after=Period(date(y1, 1, 1), date(y1, 12, 31)),
        cutoff=cutoff, series=False))
    a = growth.attribution
    if not a.get("before_total"):
        return
    d.case = {"buyer": buyer[1], "before_year": y0, "after_year": y1, **a,
              "new": [c for c in a.get("counterparts", []) if c["is_new"] and c["change"] > 0]}
    d.figures[f"{d.slug}_attribution"] = charts.waterfall_figure(
        a, currency, f"{charts.short(buyer[1], 40)}: purchases {y0} → {y1} by supplier", labels=(str(y0), str(y1)))
