"""Amounts in the report currency for the rows a reader looks at, converted month by month.

The same precedence as every flow statistic (``flows.currency``): a value
declared in the report currency is kept; otherwise its US-dollar value is
converted at its month's rate — the user's rate of that month, else the
shipped ECB reference rate, else the user's latest earlier rate. The per-month
factors are computed once per warehouse and currency (a few hundred numbers),
so converting the rows of a page is plain Python and needs no temporary table
(the web app reads through short-lived cursors).
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date
from typing import Any

from diversion.engine import Engine
from diversion.flows.currency import FIRST_MONTH, LAST_MONTH, reference_table


def _months() -> list[date]:
    out, year, month = [], FIRST_MONTH.year, FIRST_MONTH.month
    while (year, month) <= (LAST_MONTH.year, LAST_MONTH.month):
        out.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _reference(currency: str) -> dict[date, float]:
    table = reference_table()
    mask = [c == currency for c in table.column("currency").to_pylist()]
    months = [m for m, keep in zip(table.column("month").to_pylist(), mask, strict=True) if keep]
    values = [v for v, keep in zip(table.column("per_usd").to_pylist(), mask, strict=True) if keep]
    return dict(zip(months, values, strict=True))


def per_usd_by_month(engine: Engine, currency: str) -> dict[date, float]:
    """Units of ``currency`` per US dollar for every month the conversion tables cover (missing: no rate)."""
    if currency == "USD":
        return dict.fromkeys(_months(), 1.0)
    user = {m: float(v) for m, v in engine.fetch_all(
        "SELECT month, any_value(per_usd) FROM rates WHERE upper(currency) = ? GROUP BY month ORDER BY month",
        [currency])} if engine.table_exists("rates") else {}
    reference = _reference(currency)
    known = sorted(user)
    out: dict[date, float] = {}
    for month in _months():
        if month in user:
            out[month] = user[month]
        elif month in reference:
            out[month] = reference[month]
        elif known:
            i = bisect_right(known, month)
            out[month] = user[known[i - 1]] if i else user[known[0]]
    return out


class Converter:
    """Converts shipment values to one currency: ``convert(value, currency, value_usd, day)``."""

    def __init__(self, engine: Engine, currency: str) -> None:
        self.currency = currency
        self.rates = per_usd_by_month(engine, currency)

    def from_usd(self, value_usd: float | None, day: date | None) -> float | None:
        """A US-dollar amount of ``day``'s month in the target currency (``None`` without a rate)."""
        if value_usd is None or day is None:
            return None
        rate = self.rates.get(day.replace(day=1))
        return None if rate is None else value_usd * rate

    def convert(self, value: float | None, currency: str | None, value_usd: float | None,
                day: date | None) -> float | None:
        """A declared value in the target currency: kept when declared in it, else via its dollar value."""
        if value is not None and (currency or "").upper() == self.currency:
            return float(value)
        if value_usd is None and (currency or "USD").upper() == "USD":
            value_usd = value
        return self.from_usd(value_usd, day)

    def row(self, row: dict[str, Any]) -> float | None:
        """The ``value`` of a shipments row (``value, currency, value_usd, date``) in the target currency."""
        return self.convert(row.get("value"), row.get("currency"), row.get("value_usd"), row.get("date"))


_CACHE: dict[tuple[str, str], Converter] = {}


def converter(engine: Engine, currency: str, cache_key: str | None = None) -> Converter:
    """A :class:`Converter`; with ``cache_key`` (a read-only warehouse's path) built once per process."""
    if cache_key is None:
        return Converter(engine, currency)
    key = (cache_key, currency)
    if key not in _CACHE:
        _CACHE[key] = Converter(engine, currency)
    return _CACHE[key]


def monthly_sums(engine: Engine, where: str, params: list[Any], group: str, conv: Converter,
                 group_params: list[Any] | None = None) -> dict[Any, float]:
    """Sum of shipments ``s`` (joined to ``shipment_entities se``) per ``group`` in the converter's currency.

    Sums per group, month and declared currency in SQL, then converts each
    month in Python: exact month-by-month conversion for a handful of groups.
    """
    rows = engine.fetch_all(f"""
        SELECT {group} AS g, CAST(date_trunc('month', s.date) AS DATE) AS month,
               upper(s.currency) = ? AS native, sum(s.value) AS value,
               sum(coalesce(s.value_usd, CASE WHEN s.currency IS NULL OR upper(s.currency) = 'USD'
                                         THEN s.value END)) AS value_usd
        FROM shipments s JOIN shipment_entities se ON se.record_id = s.record_id
        WHERE {where} GROUP BY ALL""", [*(group_params or []), conv.currency, *params])
    out: dict[Any, float] = {}
    for g, month, native, value, value_usd in rows:
        amount = value if native else conv.from_usd(value_usd, month)
        out[g] = out.get(g, 0.0) + (amount or 0.0)
    return out
