"""The flows dashboard: the flows stage's statistics as interactive Plotly charts.

Numbers come from ``diversion.flows.compute_flows`` (the same function the CLI
and the report call); this module only shapes them into Plotly figures, which
the page draws with the plotly.js bundled in the plotly wheel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import plotly.graph_objects as go

from diversion.errors import DiversionError
from diversion.flows import FlowQuery, FlowResult, compute_flows, make_filter
from diversion.web.warehouse import WebWarehouse

#: Groups drawn separately in a stacked chart; the rest are summed as "other".
TOP_GROUPS = 6


@dataclass(frozen=True)
class DashboardQuery:
    """What the dashboard shows (the form on the page)."""

    importer_country: str = "RU"
    hs: str = ""
    machine_tools: bool = True
    currency: str = "USD"
    cutoff: date = date(2022, 2, 24)


def run_flows(wh: WebWarehouse, q: DashboardQuery, by: str) -> FlowResult:
    """Flow statistics grouped ``by`` one dimension, split at the cut-off date."""
    flt = make_filter(
        hs_codes=[q.hs] if q.hs else [],
        machine_tools=q.machine_tools,
        importer_countries=[q.importer_country] if q.importer_country else [],
    )
    with wh.read_engine() as engine:
        return compute_flows(engine, FlowQuery(filter=flt, by=by, period="month", currency=q.currency, cutoff=q.cutoff))


def _stacked(result: FlowResult, title: str) -> str:
    totals: dict[str, float] = {}
    for row in result.series:
        totals[row["group"]] = totals.get(row["group"], 0.0) + (row["value"] or 0.0)
    top = [g for g, _ in sorted(totals.items(), key=lambda kv: -kv[1])[:TOP_GROUPS]]
    by_group: dict[str, dict[Any, float]] = {}
    for row in result.series:
        group = row["group"] if row["group"] in top else "other"
        slot = by_group.setdefault(group, {})
        slot[row["period"]] = slot.get(row["period"], 0.0) + (row["value"] or 0.0)
    fig = go.Figure()
    for group in [*top, "other"]:
        if group in by_group:
            points = sorted(by_group[group].items())
            fig.add_bar(name=group, x=[p[0].isoformat() for p in points], y=[p[1] for p in points])
    fig.update_layout(barmode="stack", title=title, yaxis_title=result.currency, legend_title_text="", showlegend=True)
    _cutoff_line(fig, result)
    return _to_json(fig)


def _cutoff_line(fig: go.Figure, result: FlowResult) -> None:
    if result.after is not None:
        fig.add_vline(x=result.after.start.isoformat(), line_dash="dot", line_color="#b03030")


def _growth(result: FlowResult, title: str) -> str:
    rows = sorted(result.growth, key=lambda r: -abs((r["after"] or 0) - (r["before"] or 0)))[:12][::-1]
    fig = go.Figure()
    fig.add_bar(
        name=f"before {result.before}",
        y=[r["group"] for r in rows],
        x=[r["before"] for r in rows],
        orientation="h",
        marker_color="#8aa4c8",
    )
    fig.add_bar(
        name=f"after {result.after}",
        y=[r["group"] for r in rows],
        x=[r["after"] for r in rows],
        orientation="h",
        marker_color="#c0504d",
    )
    fig.update_layout(barmode="group", title=title, xaxis_title=result.currency, height=480)
    return _to_json(fig)


def _to_json(fig: go.Figure) -> str:
    """Figure JSON safe to place inside a ``<script type="application/json">`` element."""
    fig.update_layout(margin={"l": 60, "r": 20, "t": 50, "b": 40}, template="plotly_white")
    return str(fig.to_json()).replace("</", "<\\/")


def dashboard(wh: WebWarehouse, q: DashboardQuery) -> dict[str, Any]:
    """All charts of the dashboard as Plotly figure JSON, plus headline totals.

    Returns ``{"charts": {name: figure JSON}, "totals": {...}, "error": str | None}``;
    a warehouse without shipments (or without rates for the currency) gives an
    error message instead of charts.
    """
    if not wh.has("shipments"):
        return {"charts": {}, "totals": {}, "error": "the warehouse has no shipments yet", "series": {}}
    try:
        origin = run_flows(wh, q, "origin")
        dispatch = run_flows(wh, q, "dispatch")
        exporter = run_flows(wh, q, "exporter")
    except DiversionError as exc:
        return {"charts": {}, "totals": {}, "error": str(exc), "series": {}}
    charts = {
        "origin": _stacked(origin, "Monthly value by country of origin"),
        "dispatch": _stacked(dispatch, "Monthly value by country of dispatch"),
        "exporter": _growth(exporter, "Exporters with the largest change, before vs after the cut-off"),
    }
    series = {"origin": origin.to_dict(), "dispatch": dispatch.to_dict(), "exporter": exporter.to_dict()}
    return {"charts": charts, "totals": origin.totals, "error": None, "series": series}
