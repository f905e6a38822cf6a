"""Mirror statistics: what one country says it exported to another against what the other says it imported.

When the destination no longer publishes (Russia stopped in 2022), its trade is
read from its partners' reports. Two views, both pure (rows in, numbers out):

- :func:`mirror_pairs`: for each exporter → importer pair and period, the
  exports the exporter reports, the imports the importer reports, the gap
  (imports − exports) and the ratio (imports ÷ exports). Imports are valued CIF
  and exports FOB, so a ratio a little above 1 is normal; far below 1, goods the
  exporter declared to that country are missing from its own imports.
- :func:`reexport_routes`: the re-export route. For each hub (Kyrgyzstan,
  Kazakhstan, Armenia, Turkey, the UAE...), goods flowing in from the source
  countries (the EU, Japan... as they report their exports) against the hub's
  exports to the destination (as the hub reports them), before and after. Both
  rising together is the pattern of transshipment.

:func:`compute_mirror` feeds them from ``trade_stats`` through the same
statistics source as ``flows`` (one classification, no level or aggregate
counted twice, values in one currency).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from diversion.engine import Engine
from diversion.errors import ConfigError, WarehouseError
from diversion.flows.currency import prepare_rates
from diversion.flows.filters import FlowFilter
from diversion.flows.queries import Period, check_currency, converted_sql, period_label
from diversion.flows.run import _check_rates
from diversion.flows.statistics import Source, choose_family, families_sql, statistics_source
from diversion.reference._files import read_rows

#: (reporter-side exporter, importer, flow, period label, value): one reported figure.
Row = tuple[str, str, str, str, float]


@dataclass(frozen=True)
class MirrorPair:
    """One exporter → importer pair in one period, as each side reports it."""

    exporter: str
    importer: str
    period: str
    #: Exports the exporter reports to the importer (``None``: it reports none).
    exports_reported: float | None
    #: Imports the importer reports from the exporter.
    imports_reported: float | None

    @property
    def gap(self) -> float | None:
        """Imports reported − exports reported (``None`` unless both sides report)."""
        if self.exports_reported is None or self.imports_reported is None:
            return None
        return self.imports_reported - self.exports_reported

    @property
    def ratio(self) -> float | None:
        """Imports reported ÷ exports reported (``None`` unless both report and exports are not zero)."""
        if not self.exports_reported or self.imports_reported is None:
            return None
        return self.imports_reported / self.exports_reported

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the gap and ratio."""
        return {**asdict(self), "gap": self.gap, "ratio": self.ratio}


def mirror_pairs(rows: Iterable[Row]) -> list[MirrorPair]:
    """Pair each exporter's reported exports with the importer's reported imports, per period.

    ``rows`` are ``(exporter, importer, flow, period, value)`` where ``flow``
    says who reported it: ``export`` (the exporter) or ``import`` (the importer).

    >>> pairs = mirror_pairs([("DE", "KG", "export", "2023", 100.0), ("DE", "KG", "import", "2023", 40.0)])
    >>> [(p.exporter, p.importer, p.gap, p.ratio) for p in pairs]
    [('DE', 'KG', -60.0, 0.4)]
    """
    sums: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
    for exporter, importer, flow, period, value in rows:
        if flow not in ("import", "export"):
            raise ValueError(f"flow {flow!r}: mirror statistics pair imports with exports")
        slot = sums[(exporter, importer, period)]
        slot[flow] = slot.get(flow, 0.0) + float(value or 0.0)
    pairs = [MirrorPair(e, i, p, v.get("export"), v.get("import")) for (e, i, p), v in sums.items()]
    pairs.sort(key=lambda m: (m.period, -max(m.exports_reported or 0.0, m.imports_reported or 0.0),
                              m.exporter, m.importer))
    return pairs


@dataclass(frozen=True)
class Route:
    """Goods into a hub from the source countries, and the hub's exports to the destination, before and after."""

    hub: str
    destination: str
    inflow_before: float
    inflow_after: float
    outflow_before: float
    outflow_after: float
    #: Source country -> (before, after) of its inflow to the hub.
    sources: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: Who reported each side: ``exporter`` (the source countries / the hub) or ``importer`` (mirror).
    inflow_reported_by: str = "exporter"
    outflow_reported_by: str = "exporter"

    @property
    def inflow_factor(self) -> float | None:
        """Inflow after ÷ before (``None`` when nothing flowed in before)."""
        return self.inflow_after / self.inflow_before if self.inflow_before else None

    @property
    def outflow_factor(self) -> float | None:
        """Outflow to the destination after ÷ before."""
        return self.outflow_after / self.outflow_before if self.outflow_before else None

    def rising(self, min_factor: float) -> bool:
        """Both legs grew at least ``min_factor`` times (a leg from nothing counts as growth)."""
        def grew(before: float, after: float) -> bool:
            return after > 0 and (before == 0 or after / before >= min_factor)
        return grew(self.inflow_before, self.inflow_after) and grew(self.outflow_before, self.outflow_after)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with both growth factors."""
        return {**asdict(self), "sources": {k: list(v) for k, v in self.sources.items()},
                "inflow_factor": self.inflow_factor, "outflow_factor": self.outflow_factor}


def _leg(rows: list[Row], exporters: set[str], importer: str) -> tuple[dict[str, list[float]], str]:
    """Per exporter, (before, after) of goods into ``importer``: the exporters' own reports, else the importer's."""
    by_exporter: dict[str, dict[str, list[float]]] = {"export": {}, "import": {}}
    for exporter, imp, flow, period, value in rows:
        if imp != importer or exporter not in exporters or period not in ("before", "after"):
            continue
        slot = by_exporter[flow].setdefault(exporter, [0.0, 0.0])
        slot[0 if period == "before" else 1] += float(value or 0.0)
    out: dict[str, list[float]] = {}
    used = set()
    for exporter in exporters:
        # The exporter's report first: the hub's (or the destination's) own imports may not be published.
        for flow in ("export", "import"):
            if exporter in by_exporter[flow]:
                out[exporter] = by_exporter[flow][exporter]
                used.add(flow)
                break
    reported = "exporter" if used <= {"export"} else ("importer" if used == {"import"} else "both")
    return out, reported


def reexport_routes(rows: Iterable[Row], sources: Iterable[str], hubs: Iterable[str], destination: str) -> list[Route]:
    """The re-export route through each hub: source countries → hub, hub → destination, before and after.

    ``rows`` are as for :func:`mirror_pairs` with the period ``before`` or
    ``after``. Inflow to a hub is what the source countries report exporting
    to it (the hub's own import report where a source reports nothing);
    outflow is what the hub reports exporting to the destination (the
    destination's import report otherwise). Hubs with no outflow are left out.

    >>> rows = [("DE", "KG", "export", "before", 10.0), ("DE", "KG", "export", "after", 80.0),
    ...         ("KG", "RU", "export", "before", 5.0), ("KG", "RU", "export", "after", 60.0)]
    >>> [(r.hub, r.inflow_factor, r.outflow_factor, r.rising(2)) for r in reexport_routes(rows, ["DE"], ["KG"], "RU")]
    [('KG', 8.0, 12.0, True)]
    """
    rows = list(rows)
    source_set = set(sources)
    routes = []
    for hub in sorted(set(hubs) - {destination}):
        inflow, in_by = _leg(rows, source_set - {hub}, hub)
        outflow, out_by = _leg(rows, {hub}, destination)
        if hub not in outflow:
            continue
        route = Route(
            hub=hub, destination=destination,
            inflow_before=sum(v[0] for v in inflow.values()), inflow_after=sum(v[1] for v in inflow.values()),
            outflow_before=outflow[hub][0], outflow_after=outflow[hub][1],
            sources={k: (v[0], v[1]) for k, v in sorted(inflow.items(), key=lambda kv: -kv[1][1])},
            inflow_reported_by=in_by, outflow_reported_by=out_by,
        )
        routes.append(route)
    routes.sort(key=lambda r: (-(r.outflow_after - r.outflow_before), r.hub))
    return routes


def coalition() -> set[str]:
    """Countries that imposed export controls on Russia (EAR part 746 supplement 3, and the US): the sources."""
    return {row["iso2"] for row in read_rows("export_control_coalition.csv")}


@dataclass
class MirrorResult:
    """Mirror pairs and re-export routes, in ``currency``, of one commodity selection."""

    currency: str
    classification: str | None
    filters: dict[str, Any]
    pairs: list[MirrorPair]
    routes: list[Route]
    before: Period | None
    after: Period | None
    destination: str | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary; ``currency`` states the unit of every value."""
        return {
            "currency": self.currency,
            "source": {"kind": "statistics", "view": "mirror", "classification": self.classification,
                       "note": "exports as the exporter reports them against imports as the importer reports them"},
            "filters": self.filters,
            "before": self.before.label() if self.before else None,
            "after": self.after.label() if self.after else None,
            "destination": self.destination,
            "pairs": [p.to_dict() for p in self.pairs],
            "routes": [r.to_dict() for r in self.routes],
        }


def _reported(engine: Engine, flt: FlowFilter, family: str | None, currency: str, bucket: str) -> list[Row]:
    """Every reported figure as ``(exporter, importer, flow, bucket, value)``, aggregates left out."""
    rows: list[Row] = []
    for flow in ("export", "import"):
        source: Source = statistics_source(flt, flow, family)
        sql, params = converted_sql(flt, bucket, "exporter_country+importer_country", currency, source=source)
        for r in engine.fetch_dicts(sql, params):
            exporter, importer = r["grp"], r["grp_2"]
            if exporter.startswith("aggregate:") or importer.startswith("aggregate:") or exporter == importer:
                continue
            label = r["bucket"] if isinstance(r["bucket"], str) else period_label(r["bucket"], "year")
            rows.append((exporter, importer, flow, label, float(r["value"] or 0.0)))
    return rows


def compute_mirror(
    engine: Engine,
    flt: FlowFilter,
    currency: str = "USD",
    before: Period | None = None,
    after: Period | None = None,
    destination: str | None = None,
    hubs: Iterable[str] = (),
    sources: Iterable[str] = (),
    classification: str | None = None,
) -> MirrorResult:
    """Mirror pairs per year (of ``flt``'s commodities, exporters and importers) and, with periods and a
    destination, the re-export routes through ``hubs`` from ``sources`` (default: the coalition)."""
    if not engine.table_exists("trade_stats") or not engine.count("trade_stats"):
        raise WarehouseError("no trade statistics in the warehouse; load them with `diversion ingest stats FILE "
                             "--profile comtrade` (or comtrade-plus, comext)")
    currency = check_currency(currency)
    _check_rates(engine, currency, "trade_stats")
    prepare_rates(engine)
    if (before is None) != (after is None):
        raise ConfigError("give both --before and --after for the re-export route, or neither")
    families: dict[str, tuple[list[str], int]] = {}
    for flow in ("import", "export"):
        sql, params = families_sql(flt, flow)
        for fam, names, count in engine.fetch_all(sql, params):
            old = families.get(fam, ([], 0))
            families[fam] = (sorted(set(old[0]) | set(names)), old[1] + int(count))
    family = choose_family(flt, families, classification)
    # Pairs compare the named countries only; routes need every leg, so they read the commodities alone.
    commodities = _commodity_filter(flt)
    pairs = mirror_pairs(_reported(engine, commodities, family, currency, "date_trunc('year', s.date)::DATE"))
    pairs = [p for p in pairs if _wanted(p, flt)]
    routes: list[Route] = []
    if before and after and destination:
        bucket = (f"CASE WHEN s.date BETWEEN DATE '{before.start}' AND DATE '{before.end}' THEN 'before' "
                  f"WHEN s.date BETWEEN DATE '{after.start}' AND DATE '{after.end}' THEN 'after' END")
        legs = _reported(engine, commodities, family, currency, bucket)
        routes = reexport_routes(legs, set(sources) or coalition(), hubs, destination)
    return MirrorResult(currency, family, flt.describe(), pairs, routes, before, after, destination)


def _commodity_filter(flt: FlowFilter) -> FlowFilter:
    """The filter's commodities and dates only: each side's report must be read, whoever reports it."""
    return FlowFilter(hs_codes=flt.hs_codes, chpl_tiers=flt.chpl_tiers, machine_tools=flt.machine_tools,
                      date_from=flt.date_from, date_to=flt.date_to)


def _wanted(pair: MirrorPair, flt: FlowFilter) -> bool:
    """``--origin`` names exporters, ``--importer-country`` importers (either side's report)."""
    exporters = set(flt.origins) | set(flt.dispatch)
    return (not exporters or pair.exporter in exporters) and (
        not flt.importer_countries or pair.importer in flt.importer_countries)
