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

from diversion.flows.run import FlowResult

FORMATS = ("table", "csv", "json")


def money(value: float | None, currency: str) -> str:
    """``£68.0m``-style amounts for tables and charts.

    >>> money(6_500_000, "GBP"), money(490_000, "GBP"), money(-68_000_000, "USD")
    ('£6.50m', '£490k', '-$68.0m')
    """
    if value is None:
        return "-"
    symbol = {"GBP": "£", "USD": "$", "EUR": "€"}.get(currency, currency + " ")
    sign, size = ("-" if value < 0 else ""), abs(value)
    for limit, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if size >= limit:
            scaled = size / limit
            digits = 2 if scaled < 10 and suffix != "k" else (1 if scaled < 100 else 0)
            return f"{sign}{symbol}{scaled:,.{digits}f}{suffix}"
    return f"{sign}{symbol}{size:,.0f}"


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
    out = io.StringIO()
    if not rows:
        out.write("currency\n")
        return out.getvalue()
    writer = csv.DictWriter(out, fieldnames=[*rows[0].keys(), "currency"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "currency": result.currency})
    return out.getvalue()


def series_table(result: FlowResult, top: int = 6) -> Table:
    """Periods down, the largest groups across, the rest as "other"."""
    cur = result.currency
    totals: dict[str, float] = defaultdict(float)
    for r in result.series:
        totals[r["group"]] += r["value"] or 0.0
    groups = sorted(totals, key=lambda g: -totals[g])[:top]
    table = Table("period", *groups, "other", "total",
                  title=f"Value by {result.query.by} per {result.query.period} ({cur})")
    by_period: dict[Any, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in result.series:
        key = r["group"] if r["group"] in groups else "other"
        by_period[r["period"]][key] += r["value"] or 0.0
    for period, values in by_period.items():
        total = sum(values.values())
        cells = [money(values.get(g), cur) + (f" ({values[g] / total:.0%})" if total and g in values else "")
                 for g in groups]
        table.add_row(str(period)[:10], *cells, money(values.get("other"), cur), money(total, cur))
    return table


def growth_table(result: FlowResult, top: int = 15) -> Table:
    """Per group: value before and after, shares, growth factor."""
    cur = result.currency
    t = result.totals
    table = Table(result.query.by, f"before ({cur})", f"after ({cur})", "share before", "share after", "factor",
                  title=f"Growth {result.before} → {result.after} (factor per month)")
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
