"""Mirror statistics as a transshipment signal: a hub's imports from the coalition rising with its exports on."""

from __future__ import annotations

import math
from datetime import date

from diversion.config import Settings
from diversion.detect.finding import Finding
from diversion.engine import Engine
from diversion.flows.filters import FlowFilter
from diversion.flows.mirror import MirrorPair, Route, compute_mirror
from diversion.flows.queries import Period
from diversion.read.money import money
from diversion.reference import country_name, load_hubs

NAME = "mirror_gap"
#: The flag its findings carry in the leads vocabulary.
FLAG = "transshipment"
#: Commodities watched: machine tools and their parts (HS 8456-8466), the seeds' case.
WATCHED = FlowFilter(machine_tools=True)


def _periods(engine: Engine, cutoff: date) -> tuple[Period, Period] | None:
    """The last full year before the cut-off against the latest year with statistics."""
    last = engine.scalar("SELECT max(year(period)) FROM trade_stats")
    before_year = cutoff.year - 1
    if last is None or int(last) <= cutoff.year - 1:
        return None
    return (Period(date(before_year, 1, 1), date(before_year, 12, 31)),
            Period(date(int(last), 1, 1), date(int(last), 12, 31)))


def _score(route: Route) -> float:
    """0.5 for both legs rising by the threshold, up to 1 as the slower leg grows tenfold."""
    factors = [f for f in (route.inflow_factor, route.outflow_factor) if f is not None]
    slowest = min(factors) if factors else 10.0
    return 0.5 + 0.5 * min(1.0, math.log10(max(slowest, 1.0)))


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Re-export routes in trade statistics: coalition exports into a hub rising with the hub's exports onward.

    From ``trade_stats`` (``diversion ingest stats``), for machine tools (HS
    8456-8466): for each transshipment hub (``reference.load_hubs``), what the
    export-control coalition (the EU, Japan, the UK, the US...) reports
    exporting to it, and what the hub reports exporting to
    ``detect.destination_country``, in the last full year before
    ``detect.cutoff_date`` and in the latest year of data. A hub is flagged
    when both legs grew at least ``detect.mirror_min_growth_factor`` times and
    the outflow reached ``detect.mirror_min_value`` (USD). The score is 0.5,
    rising to 1 as the slower leg grows tenfold. The evidence holds both legs,
    the largest sources, and the mirror pairs source → hub (what the sources
    report exporting against what the hub reports importing: a ratio far
    below 1 means goods declared to the hub are missing from its imports).
    """
    if not engine.table_exists("trade_stats") or not engine.count("trade_stats"):
        return []
    d = settings.detect
    periods = _periods(engine, d.cutoff_date)
    if periods is None:
        return []
    before, after = periods
    hubs = sorted(load_hubs())
    result = compute_mirror(engine, WATCHED, "USD", before, after, d.destination_country, hubs)
    findings = []
    for route in result.routes:
        if not route.rising(d.mirror_min_growth_factor) or route.outflow_after < d.mirror_min_value:
            continue
        mirrors = [p for p in result.pairs
                   if p.importer == route.hub and p.exporter in route.sources and p.period == after.label()]
        findings.append(_finding(engine, route, mirrors, before, after))
    return findings


def _finding(engine: Engine, route: Route, mirrors: list[MirrorPair], before: Period, after: Period) -> Finding:
    hub = country_name(route.hub)
    usd = [money(v, "USD") for v in (route.inflow_before, route.inflow_after, route.outflow_before,
                                     route.outflow_after)]
    summary = (f"{hub}: machine-tool imports from the export-control coalition {usd[0]} → {usd[1]} and its "
               f"exports to {route.destination} {usd[2]} → {usd[3]} ({before.label()} → {after.label()}, "
               "trade statistics).")
    files = [r[0] for r in engine.fetch_all(
        "SELECT DISTINCT source_id FROM trade_stats WHERE reporter = ? OR partner = ? ORDER BY 1",
        [route.hub, route.hub])]
    return Finding(FLAG, f"country:{route.hub}", _score(route), summary, {
        "signal": "mirror statistics: re-export route", "hub": route.hub, "destination": route.destination,
        "before": before.label(), "after": after.label(), "currency": "USD",
        "inflow_before": route.inflow_before, "inflow_after": route.inflow_after,
        "outflow_before": route.outflow_before, "outflow_after": route.outflow_after,
        "inflow_reported_by": route.inflow_reported_by, "outflow_reported_by": route.outflow_reported_by,
        "sources": {k: list(v) for k, v in list(route.sources.items())[:10]},
        "mirror_pairs": [m.to_dict() for m in mirrors[:10]],
        "statistics_files": files,
    })
