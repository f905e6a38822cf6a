"""The report's trade-flow section: the market the case sits in, as numbers and figures.

Scope: machine tools (``report.flows_machine_tools``) imported into the
destination country (``detect.destination_country``). The growth comparison
uses the twelve months before the cut-off against the last twelve months of
data, so both periods have the same length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import plotly.graph_objects as go

from diversion.config import Settings
from diversion.engine import Engine
from diversion.flows import FlowQuery, Period, compute_flows, make_filter
from diversion.reference import country_name
from diversion.report import charts


@dataclass
class FlowSection:
    """Headline numbers, figures (slug → figure) and the scope they cover."""

    scope: str
    currency: str
    headline: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, go.Figure] = field(default_factory=dict)
    growth: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None


def months_back(d: date, months: int) -> date:
    """The first day of the month ``months`` before ``d``'s month."""
    index = d.year * 12 + d.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def year_before(d: date) -> date:
    """The same day a year earlier (28 February for 29 February)."""
    return d.replace(year=d.year - 1, day=min(d.day, 28) if d.month == 2 else d.day)


def comparison_periods(first: date, last: date, cutoff: date) -> tuple[Period, Period]:
    """The year before the cut-off vs the last year of data, day for day (clipped to the data)."""
    before = Period(max(first, year_before(cutoff)), cutoff - timedelta(days=1))
    after = Period(max(cutoff, year_before(last) + timedelta(days=1)), last)
    return before, after


def period_label(p: Period) -> str:
    """``24 Feb 2021 – 23 Feb 2022``."""
    return f"{p.start:%d %b %Y} – {p.end:%d %b %Y}"


def _country(code: str) -> str:
    return f"{country_name(code)} ({code})" if len(code) == 2 else code


def flow_section(engine: Engine, settings: Settings, currency: str) -> FlowSection | None:
    """Series by origin, shares, growth attribution by origin and the Sankey; ``None`` without shipments."""
    rcfg, cutoff, dest = settings.report, settings.detect.cutoff_date, settings.detect.destination_country
    flt = make_filter(machine_tools=rcfg.flows_machine_tools, importer_countries=[dest] if dest else [])
    scope = ("machine tools (HS 8456–8466)" if rcfg.flows_machine_tools else "all goods") + (
        f" imported into {country_name(dest)}" if dest else "")
    note = None
    if not engine.scalar("SELECT count(*) FROM shipments"):
        return None
    span = engine.fetch_all("SELECT min(date), max(date) FROM shipments")[0]
    monthly = compute_flows(engine, FlowQuery(filter=flt, by="origin", currency=currency))
    if not monthly.series:
        flt, scope, note = make_filter(), "all goods", f"No shipments match {scope}; the charts cover all goods."
        monthly = compute_flows(engine, FlowQuery(filter=flt, by="origin", currency=currency))
    for row in monthly.series:
        row["group"] = _country(row["group"])
    section = FlowSection(scope=scope, currency=currency, note=note)
    top = rcfg.chart_groups
    section.figures["flows_monthly_by_origin"] = charts.monthly_value_figure(
        monthly.series, currency, cutoff, f"Monthly value by origin: {scope}", top)
    section.figures["flows_origin_shares"] = charts.shares_figure(
        monthly.series, cutoff, f"Origin shares of the monthly total: {scope}", top)
    if not span[0] < cutoff <= span[1]:
        section.note = (note or "") + f" The data do not span the cut-off {cutoff}; no before/after comparison."
        return section
    before, after = comparison_periods(span[0], span[1], cutoff)
    growth = compute_flows(engine, FlowQuery(filter=flt, by="origin", currency=currency, before=before,
                                             after=after, cutoff=cutoff))
    for c in growth.attribution.get("counterparts", []):
        c["counterpart"] = _country(c["counterpart"])
    section.growth = growth.attribution.get("counterparts", [])
    section.figures["flows_growth_attribution"] = charts.waterfall_figure(
        growth.attribution, currency,
        f"Who carries the change, by origin: {period_label(before)} vs {period_label(after)}", top + 2,
        labels=("year before cut-off", "last year"))
    section.headline = _headline(monthly.series, growth.attribution, cutoff, before)
    section.headline.update(before=period_label(before), after=period_label(after),
                            factor=growth.attribution.get("growth_factor"),
                            before_total=growth.attribution.get("before_total"),
                            after_total=growth.attribution.get("after_total"))
    sankey = compute_flows(engine, FlowQuery(filter=flt, by="origin+dispatch+importer", currency=currency,
                                             before=before, after=after, cutoff=cutoff, series=False))
    section.figures["flows_sankey"] = charts.sankey_figure(
        _sankey_rows(sankey.growth, rcfg.sankey_importers, rcfg.chart_groups), currency,
        f"Origin → dispatch country → importer, {period_label(after)}")
    return section


def _headline(series: list[dict[str, Any]], attribution: dict[str, Any], cutoff: date,
              before: Period) -> dict[str, Any]:
    """The origin that carries most growth: its share before, its value at the cut-off month and at its peak."""
    parts = attribution.get("counterparts", [])
    if not parts:
        return {}
    rising = parts[0]["counterpart"]
    mine = [r for r in series if r["group"] == rising]
    cut_month = cutoff.replace(day=1)
    at_cut = next((r for r in mine if r["period"] == cut_month), None)
    after_rows = [r for r in mine if r["period"] > cut_month]
    peak = max(after_rows, key=lambda r: r["value"] or 0.0) if after_rows else None
    prior = [r for r in series if before.start <= r["period"] < cut_month]
    mine_prior = sum(r["value"] or 0.0 for r in prior if r["group"] == rising)
    total_prior = sum(r["value"] or 0.0 for r in prior)
    return {
        "origin": rising,
        "share_before": mine_prior / total_prior if total_prior else None,
        "cutoff_month": cut_month, "cutoff_value": at_cut["value"] if at_cut else None,
        "peak_month": peak["period"] if peak else None, "peak_value": peak["value"] if peak else None,
        "peak_share": peak["share"] if peak else None,
        "share_of_growth": parts[0]["share_of_growth"],
    }


def _top(growth: list[dict[str, Any]], index: int, n: int) -> set[str]:
    totals: dict[str, float] = {}
    for g in growth:
        totals[g["group"][index]] = totals.get(g["group"][index], 0.0) + g["after"]
    return set(sorted(totals, key=lambda k: -totals[k])[:n])


def _sankey_rows(growth: list[dict[str, Any]], importers: int, countries: int = 6) -> list[tuple[str, str, str, float]]:
    """(origin, dispatch, importer, value after); small origins, dispatch countries and importers merged."""
    origins, dispatch, buyers = _top(growth, 0, countries), _top(growth, 1, countries + 2), _top(growth, 2, importers)
    rows = []
    for g in growth:
        o, d, i = g["group"]
        rows.append((o if o in origins else "other", d if d in dispatch else "other", i if i in buyers else
                     "other importers", g["after"]))
    return rows
