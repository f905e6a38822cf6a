"""Flow results as text: JSON, CSV and Rich tables. Every output states its currency."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

import orjson
from rich.console import Group
from rich.table import Table
from rich.text import Text

from diversion.flows.mirror import MirrorResult
from diversion.flows.run import FlowResult
from diversion.read.money import money

FORMATS = ("table", "csv", "json")


def _label(period: Any) -> str:
    return period.label() if period is not None else "-"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def to_json(result: FlowResult) -> str:
    """The whole result as JSON (``currency`` key states the unit of every value)."""
    return orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2).decode()


def to_csv(result: FlowResult, what: str = "series") -> str:
    """One table of the result as CSV with a ``currency`` column: series, growth or attribution."""
    rows: list[dict[str, Any]] = {
        "series": result.series, "growth": result.growth,
        "attribution": result.attribution.get("counterparts", []),
    }[what]
    return _csv_with_currency(rows, result.currency)


def _csv_with_currency(rows: list[dict[str, Any]], currency: str) -> str:
    """Rows as CSV, each with a ``currency`` column (a header alone when there are none)."""
    out = io.StringIO()
    if not rows:
        out.write("currency\n")
        return out.getvalue()
    writer = csv.DictWriter(out, fieldnames=[*rows[0].keys(), "currency"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "currency": currency})
    return out.getvalue()


def _kind(result: FlowResult) -> str:
    """Which kind of figure a table shows: declarations, or statistics as one side reports them."""
    if result.source.get("kind") != "statistics":
        return "declarations"
    return f"statistics: {result.source['note'].split(' (')[0]}"


def series_table(result: FlowResult, top: int = 6) -> Table:
    """Periods down, the largest groups across, the rest as "other"; periods as a person writes them."""
    cur = result.currency
    totals: dict[str, float] = defaultdict(float)
    for r in result.series:
        totals[r["group"]] += r["value"] or 0.0
    groups = sorted(totals, key=lambda g: -totals[g])[:top]
    table = Table("period", *groups, "other", "total",
                  title=f"Value by {result.query.by} per {result.period} ({cur}) — {_kind(result)}")
    by_period: dict[Any, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    labels: dict[Any, str] = {}
    for r in result.series:
        key = r["group"] if r["group"] in groups else "other"
        by_period[r["period"]][key] += r["value"] or 0.0
        labels[r["period"]] = r.get("period_label") or str(r["period"])[:10]
    for period, values in by_period.items():
        total = sum(values.values())
        cells = [money(values.get(g), cur) + (f" ({values[g] / total:.0%})" if total and g in values else "")
                 for g in groups]
        table.add_row(labels[period], *cells, money(values.get("other"), cur), money(total, cur))
    return table


def growth_table(result: FlowResult, top: int = 15) -> Table:
    """Per group: value before and after, shares, growth factor."""
    cur = result.currency
    t = result.totals
    table = Table(result.query.by, f"before ({cur})", f"after ({cur})", "share before", "share after", "factor",
                  title=f"Growth {_label(result.before)} → {_label(result.after)} (factor per month) — "
                        f"{_kind(result)}")
    for r in result.growth[:top]:
        table.add_row(str(r["group"]), money(r["before"], cur), money(r["after"], cur),
                      _pct(r["share_before"]), _pct(r["share_after"]),
                      "-" if r["factor_per_month"] is None else f"×{r['factor_per_month']:.1f}")
    table.add_row(Text("total", style="bold"), money(t.get("before"), cur), money(t.get("after"), cur), "", "",
                  "-" if t.get("factor_per_month") is None else f"×{t['factor_per_month']:.1f}")
    return table


def attribution_table(result: FlowResult, top: int = 10) -> Table:
    """Which groups carry the change between the two periods (totals, not per month)."""
    cur = result.currency
    a = result.attribution
    factor = a.get("growth_factor")
    table = Table(result.query.by, f"before ({cur})", f"after ({cur})", f"change ({cur})", "share of growth",
                  "new",
                  title=f"Growth attribution: {money(a.get('before_total'), cur)} → "
                        f"{money(a.get('after_total'), cur)}" + (f" (×{factor:.1f})" if factor else "")
                        + f"; new counterparts carry {a.get('new_share', 0):.0%}")
    for c in a.get("counterparts", [])[:top]:
        table.add_row(str(c["counterpart"]), money(c["before"], cur), money(c["after"], cur),
                      money(c["change"], cur), _pct(c["share_of_growth"]), "new" if c["is_new"] else "")
    return table


def rich_view(result: FlowResult, top: int = 6) -> Group:
    """Everything a terminal user needs, in reading order."""
    parts: list[Any] = [series_table(result, top)]
    if result.growth:
        parts += [growth_table(result), attribution_table(result)]
    if result.unconverted:
        parts.append(Text(f"{result.unconverted:,} shipment(s) had no exchange rate and count as 0 "
                          f"{result.currency}; load rates with `diversion ingest rates`.", style="yellow"))
    return Group(*parts)


def _factor_text(value: float | None) -> str:
    return "new" if value is None else f"×{value:.1f}"


def mirror_view(result: MirrorResult, top: int = 20) -> Group:
    """Mirror pairs (largest first per period) and the re-export routes, each table stating its currency."""
    cur = result.currency
    pairs = Table("period", "exporter", "importer", f"exports reported by exporter ({cur})",
                  f"imports reported by importer ({cur})", f"gap ({cur})", "ratio",
                  title=f"Mirror statistics ({result.classification or '-'}; {cur}): each side's report of one trade")
    for p in result.pairs[:top]:
        pairs.add_row(p.period, p.exporter, p.importer, money(p.exports_reported, cur),
                      money(p.imports_reported, cur), money(p.gap, cur),
                      "-" if p.ratio is None else f"{p.ratio:.2f}")
    parts: list[Any] = [pairs]
    if result.routes:
        routes = Table("hub", f"in from sources, before ({cur})", "after", "factor",
                       f"out to {result.destination}, before ({cur})", "after", "factor", "largest sources",
                       title=f"Re-export route {_label(result.before)} → {_label(result.after)}: source countries → "
                             f"hub (as the sources report their exports) and hub → {result.destination} "
                             "(as the hub reports its exports)")
        for r in result.routes[:top]:
            largest = ", ".join(f"{k} {money(v[1], cur)}" for k, v in list(r.sources.items())[:3])
            routes.add_row(r.hub, money(r.inflow_before, cur), money(r.inflow_after, cur),
                           _factor_text(r.inflow_factor), money(r.outflow_before, cur), money(r.outflow_after, cur),
                           _factor_text(r.outflow_factor), largest)
        parts.append(routes)
    return Group(*parts)


def mirror_csv(result: MirrorResult, what: str = "pairs") -> str:
    """Mirror pairs or routes as CSV with a ``currency`` column."""
    rows = [p.to_dict() for p in result.pairs] if what == "pairs" else [
        {k: v for k, v in r.to_dict().items() if k != "sources"} for r in result.routes]
    return _csv_with_currency(rows, result.currency)
