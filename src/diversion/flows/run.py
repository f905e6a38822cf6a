"""The one runner of flow statistics: builds the SQL, executes it, shapes the result."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from diversion.engine import Engine
from diversion.errors import ConfigError, WarehouseError
from diversion.flows.attribution import Attribution, growth_attribution
from diversion.flows.currency import prepare_rates, reference_currencies
from diversion.flows.filters import FlowFilter
from diversion.flows.queries import (
    Period,
    check_currency,
    date_range_sql,
    growth_sql,
    period_label,
    series_sql,
)
from diversion.flows.statistics import (
    SOURCES,
    Source,
    check_statistics_query,
    choose_family,
    describe,
    families_sql,
    statistics_source,
)


@dataclass(frozen=True)
class FlowQuery:
    """What to compute: filters, grouping, time bucket, currency and the two periods to compare.

    With neither ``before`` nor ``after`` given, the periods are split at
    ``cutoff``: before runs from the first shipment to the day before, after
    from the cut-off to the last shipment.
    """

    filter: FlowFilter = field(default_factory=FlowFilter)
    by: str = "origin"
    period: str = "month"
    currency: str = "GBP"
    before: Period | None = None
    after: Period | None = None
    cutoff: date | None = None
    #: Compute the per-period series (skip it when only the growth comparison is wanted).
    series: bool = True
    #: ``declarations`` (the ``shipments`` table) or ``statistics`` (``trade_stats``).
    source: str = "declarations"
    #: For statistics: which reported flow, ``import`` (as the importer reports it) or ``export``.
    flow: str = "import"
    #: For statistics: the classification family to read (default HS when present).
    classification: str | None = None


@dataclass
class FlowResult:
    """Series, growth and attribution of one query, all in ``currency``."""

    query: FlowQuery
    currency: str
    series: list[dict[str, Any]]
    before: Period | None
    after: Period | None
    totals: dict[str, Any]
    growth: list[dict[str, Any]]
    attribution: dict[str, Any]
    unconverted: int
    #: What the figures are: declarations, or statistics of one flow as one side reports it.
    source: dict[str, Any] = field(default_factory=lambda: {"kind": "declarations"})
    #: The time bucket used (annual statistics are bucketed by year whatever was asked).
    period: str = "month"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (dates as ISO strings); ``currency`` states the unit of every value."""
        def iso(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()} for r in rows]

        return {
            "currency": self.currency,
            "source": self.source,
            "by": self.query.by,
            "period": self.period,
            "filters": self.query.filter.describe(),
            "before": str(self.before) if self.before else None,
            "after": str(self.after) if self.after else None,
            "totals": self.totals,
            "growth": self.growth,
            "attribution": self.attribution,
            "series": iso(self.series),
            "rows_unconverted": self.unconverted,
        }


def _resolved(engine: Engine) -> bool:
    return engine.table_exists("shipment_entities") and engine.table_exists("entities") and bool(
        engine.scalar("SELECT count(*) FROM (SELECT 1 FROM shipment_entities LIMIT 1)")
    )


def has_rates(engine: Engine, currency: str, table: str = "shipments") -> bool:
    """Whether values can be stated in ``currency``: USD, a currency of the shipped reference rates, or rates loaded."""
    if currency in reference_currencies() or engine.scalar("SELECT count(*) FROM rates WHERE currency = ?",
                                                           [currency]):
        return True
    # Values declared in the currency itself need no rate.
    return bool(engine.scalar(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE upper(currency) = ? LIMIT 1)", [currency]))


def _check_rates(engine: Engine, currency: str, table: str = "shipments") -> None:
    if has_rates(engine, currency, table):
        return
    known = sorted({r[0] for r in engine.fetch_all("SELECT DISTINCT currency FROM rates")} | reference_currencies())
    raise ConfigError(
        f"no exchange rates for {currency} in the warehouse or the shipped reference rates (have: {', '.join(known)}); "
        "load them with `diversion ingest rates FILE` or choose another --currency"
    )


def default_periods(engine: Engine, flt: FlowFilter, cutoff: date, resolved: bool,
                    source: Source | None = None) -> tuple[Period, Period] | None:
    """Before/after periods split at ``cutoff`` over the filtered shipments' date range."""
    sql, params = date_range_sql(flt, resolved, source)
    first, last = engine.fetch_all(sql, params)[0]
    if first is None or not first < cutoff <= last:
        return None
    return Period(first, cutoff - timedelta(days=1)), Period(cutoff, last)


def attribute(growth: list[dict[str, Any]], before: Period, after: Period, cutoff: date) -> Attribution:
    """Feed per-group period sums to the shared :func:`growth_attribution` (one implementation).

    Each group contributes its before and after sums, dated at the start of
    each period, and its earlier value (``prior``) dated before everything, so
    that "new counterpart" means the same as in the ``intermediary_surge`` detector.
    """
    rows: list[tuple[str, float, date]] = []
    for g in growth:
        name = _label(g["group"])
        rows += [(name, g["before"], before.start), (name, g["after"], after.start)]
        if g.get("prior"):
            rows.append((name, g["prior"], date.min))
    return growth_attribution(
        rows, cutoff,
        before=(before.start, before.end + timedelta(days=1)),
        after=(after.start, after.end + timedelta(days=1)),
    )


def _with_group(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Name the group column ``group``: a string, or a list for ``a+b`` groupings (first key first)."""
    out = []
    for row in rows:
        labels = [row.pop(k) for k in [k for k in row if k == "grp" or k.startswith("grp_")]]
        out.append({"group": labels[0] if len(labels) == 1 else labels, **row})
    return out


def _label(group: Any) -> str:
    return " → ".join(map(str, group)) if isinstance(group, list) else str(group)


def attribution_dict(a: Attribution) -> dict[str, Any]:
    """An :class:`Attribution` as JSON-ready data."""
    return {
        "before_total": a.before_total,
        "after_total": a.after_total,
        "change": a.change,
        "growth_factor": a.growth_factor,
        "new_share": a.new_share(),
        "counterparts": [asdict(c) for c in a.counterparts],
    }


def _statistics(engine: Engine, query: FlowQuery) -> tuple[Source, dict[str, Any], bool]:
    """The statistics source of a query, what it is, and whether its figures are annual."""
    check_statistics_query(query.filter, query.by)
    sql, params = families_sql(query.filter, query.flow)
    families = {r[0]: (list(r[1]), int(r[2])) for r in engine.fetch_all(sql, params)}
    family = choose_family(query.filter, families, query.classification)
    source = statistics_source(query.filter, query.flow, family)
    annual = bool(engine.scalar(
        f"SELECT count(*) FROM (SELECT 1 FROM {source.sql} s WHERE s.period_kind = 'year' LIMIT 1)",
        list(source.params)))
    return source, describe(query.flow, family), annual


def compute_flows(engine: Engine, query: FlowQuery) -> FlowResult:
    """Run one flow query on the warehouse.

    >>> from diversion.engine import DuckDBEngine
    >>> compute_flows(DuckDBEngine(), FlowQuery(currency="USD")).series
    []
    """
    if query.source not in SOURCES:
        raise ConfigError(f"--source {query.source!r}: choose {' or '.join(SOURCES)}")
    statistics = query.source == "statistics"
    table = "trade_stats" if statistics else "shipments"
    if not engine.table_exists(table):
        raise WarehouseError(f"the warehouse has no {table} table; run `diversion ingest "
                             f"{'stats' if statistics else 'shipments'} FILE` first")
    currency = check_currency(query.currency)
    _check_rates(engine, currency, table)
    prepare_rates(engine)
    if (query.before is None) != (query.after is None):
        raise ConfigError("give both --before and --after, or neither (then the cut-off date splits the data)")
    flt = query.filter
    source: Source | None = None
    described: dict[str, Any] = {"kind": "declarations"}
    period = query.period
    resolved = False
    if statistics:
        source, described, annual = _statistics(engine, query)
        if annual:
            period = "year"  # a year's figure has no months to show
    else:
        resolved = _resolved(engine)
    series: list[dict[str, Any]] = []
    if query.series:
        sql, params = series_sql(flt, query.by, period, currency, resolved, source)
        series = _with_group(engine.fetch_dicts(sql, params))
        for row in series:
            row["period_label"] = period_label(row["period"], period)
    unconverted = sum(int(r.pop("unconverted") or 0) for r in series)

    periods: tuple[Period, Period] | None
    if query.before and query.after:
        periods = (query.before, query.after)
    else:
        periods = default_periods(engine, flt, query.cutoff, resolved, source) if query.cutoff else None
    growth: list[dict[str, Any]] = []
    totals: dict[str, Any] = {}
    attribution: dict[str, Any] = {}
    if periods:
        before, after = periods
        # "New" is new since the cut-off; a counterpart with value in the before period is never new
        # (growth_attribution), so periods chosen after the cut-off do not call existing partners new.
        cutoff = query.cutoff or after.start
        sql, params = growth_sql(flt, query.by, before, after, currency, resolved, cutoff, source)
        growth = _with_group(engine.fetch_dicts(sql, params))
        attribution = attribution_dict(attribute(growth, before, after, cutoff))
        for row in growth:
            row.pop("unconverted", None)  # already counted in the series
            row["factor_per_month"] = _factor(row["before"], row["after"], before, after)
        totals = _totals(growth, before, after)
    return FlowResult(
        query=query, currency=currency, series=series,
        before=periods[0] if periods else None, after=periods[1] if periods else None,
        totals=totals, growth=growth, attribution=attribution, unconverted=unconverted,
        source=described, period=period,
    )


def _factor(before: float, after: float, p_before: Period, p_after: Period) -> float | None:
    """After / before, per month, so periods of different length compare fairly."""
    if not before:
        return None
    return (after / p_after.months) / (before / p_before.months)


def _totals(growth: list[dict[str, Any]], before: Period, after: Period) -> dict[str, Any]:
    b = sum(r["before"] for r in growth)
    a = sum(r["after"] for r in growth)
    return {
        "before": b,
        "after": a,
        "count_before": sum(r["count_before"] for r in growth),
        "count_after": sum(r["count_after"] for r in growth),
        "before_per_month": b / before.months,
        "after_per_month": a / after.months,
        "factor_per_month": _factor(b, a, before, after),
    }
