"""Pure SQL builders for trade-flow statistics (DuckDB dialect).

Every builder returns ``(sql, params)``; only :mod:`diversion.flows.run`
executes them. The heavy lifting happens in one aggregate per statistic.

Conversion: a value already in the reporting currency is kept as declared;
otherwise its US-dollar value (``value_usd``, or ``value`` divided by the
month's ``per_usd`` rate of its currency) is multiplied by the reporting
currency's ``per_usd`` rate of the same month (the latest earlier month when
that month has no rate). Rows that cannot be converted are counted, not guessed.
The rates are first expanded into tiny per-month tables, so each statistic is
one scan of ``shipments`` with two small hash joins and one aggregate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from diversion.errors import ConfigError
from diversion.flows.filters import FlowFilter, filter_sql

#: Grouping dimensions (``--by``) and the column each one reads.
DIMENSIONS: dict[str, str] = {
    "origin": "s.origin_country",
    "dispatch": "s.dispatch_country",
    "trading": "s.trading_country",
    "importer_country": "s.importer_country",
    "exporter_country": "s.exporter_country",
    "heading": "substr(s.hs_code, 1, 4)",
    "hs6": "substr(s.hs_code, 1, 6)",
    "brand": "s.brand",
    "exporter": "s.exporter_name",
    "importer": "s.importer_name",
    "total": "'total'",
}
#: Time buckets (``--period``).
PERIODS = ("month", "quarter", "year")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Period:
    """A closed date range ``start..end`` (both days included)."""

    start: date
    end: date

    @property
    def months(self) -> float:
        """Length in (average) months, for per-month rates of periods of unequal length."""
        return ((self.end - self.start).days + 1) / (365.25 / 12)

    def __str__(self) -> str:
        return f"{self.start.isoformat()}:{self.end.isoformat()}"


def parse_period(text: str) -> Period:
    """Parse ``2021-01-01:2021-12-31`` (or a bare year ``2021``) into a :class:`Period`.

    >>> parse_period("2021")
    Period(start=datetime.date(2021, 1, 1), end=datetime.date(2021, 12, 31))
    """
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}", text):
            return Period(date(int(text), 1, 1), date(int(text), 12, 31))
        start, end = text.split(":")
        period = Period(date.fromisoformat(start.strip()), date.fromisoformat(end.strip()))
    except ValueError as exc:
        raise ConfigError(f"period {text!r}: expected START:END as YYYY-MM-DD:YYYY-MM-DD, or a year") from exc
    if period.start > period.end:
        raise ConfigError(f"period {text!r}: start is after end")
    return period


def check_currency(code: str) -> str:
    """Upper-case and validate an ISO-4217 code (it is inlined into SQL)."""
    code = code.strip().upper()
    if not _CURRENCY.match(code):
        raise ConfigError(f"currency {code!r}: expected a three-letter ISO-4217 code such as GBP or USD")
    return code


def _lit(d: date) -> str:
    return f"DATE '{d.isoformat()}'"


def _dims(by: str) -> list[str]:
    dims = by.split("+")
    for dim in dims:
        if dim not in DIMENSIONS:
            raise ConfigError(f"--by {dim!r}: choose from {', '.join(DIMENSIONS)}")
    return dims


def group_exprs(by: str, resolved: bool) -> list[str]:
    """SQL for the group label(s) of ``--by``; resolved parties group by their entity.

    ``a+b+c`` groups by several dimensions at once (columns ``grp``, ``grp_2``,
    ``grp_3``; the runner returns the label as a list).
    """
    exprs = []
    for dim in _dims(by):
        if resolved and dim in ("exporter", "importer"):
            exprs.append(f"coalesce({dim[:2]}e.canonical_name, s.{dim}_name, '{UNKNOWN}')")
        else:
            exprs.append(f"coalesce({DIMENSIONS[dim]}, '{UNKNOWN}')")
    return exprs


def group_columns(by: str) -> str:
    """The group column names of ``by``: ``grp`` or ``grp, grp_2, ...``."""
    return ", ".join(["grp"] + [f"grp_{i}" for i in range(2, len(_dims(by)) + 1)])


def _joins(by: str, resolved: bool) -> str:
    parties = [d for d in _dims(by) if d in ("exporter", "importer")]
    if not (resolved and parties):
        return ""
    sql = " LEFT JOIN shipment_entities se ON se.record_id = s.record_id"
    for dim in parties:
        alias = f"{dim[:2]}e"
        sql += f" LEFT JOIN entities {alias} ON {alias}.entity_id = se.{dim}_entity_id"
    return sql


def fx_sql(currency: str) -> str:
    """Tiny per-month rate tables: ``_tgt(month, tgt_per_usd)`` and ``_src(month, cur, src_per_usd)``.

    Every month from 1990 to 2049 gets the latest rate at or before it (the
    earliest known rate before the first one), so the row-level joins below are
    plain hash joins on a few thousand rows. (A range join on these small tables
    rather than DuckDB's ASOF join, which Spark lacks.)
    """
    cur = check_currency(currency)
    months = ("SELECT CAST(m AS DATE) AS month FROM "
              "(SELECT unnest(generate_series(DATE '1990-01-01', DATE '2049-12-01', INTERVAL 1 MONTH)) AS m)")
    return f"""
_months AS ({months}),
_r AS (SELECT month, upper(currency) AS cur, any_value(per_usd) AS per_usd FROM rates
       WHERE per_usd > 0 AND per_usd < 1e300 GROUP BY ALL),
_first AS (SELECT cur, arg_min(per_usd, month) AS per_usd FROM _r GROUP BY cur),
_src AS (
  SELECT m.month, c.cur, coalesce(arg_max(r.per_usd, r.month), f.per_usd) AS src_per_usd
  FROM _months m CROSS JOIN (SELECT DISTINCT cur FROM _r) c
  LEFT JOIN _r r ON r.cur = c.cur AND r.month <= m.month
  JOIN _first f ON f.cur = c.cur
  GROUP BY m.month, c.cur, f.per_usd
),
_tgt AS (
  SELECT m.month, {"1.0" if cur == "USD" else "s.src_per_usd"} AS tgt_per_usd
  FROM _months m {"" if cur == "USD" else f"LEFT JOIN _src s ON s.month = m.month AND s.cur = '{cur}'"}
)"""


def converted_sql(
    flt: FlowFilter, bucket: str, by: str, currency: str, resolved: bool = False, extra_where: str = "TRUE"
) -> tuple[str, list[Any]]:
    """Value and count per ``(bucket, grp)`` in ``currency``, with unconvertible row counts.

    ``bucket`` is an SQL expression over ``shipments s`` (a period start, or a
    before/after label); rows where it is NULL are left out.
    """
    cur = check_currency(currency)
    where, params = filter_sql(flt, resolved)
    labels = ", ".join(f"{e} AS {c.strip()}" for e, c in zip(group_exprs(by, resolved), group_columns(by).split(","),
                                                               strict=True))
    sql = f"""
WITH {fx_sql(cur)},
rows AS (
  SELECT {bucket} AS bucket, {labels},
    CASE WHEN upper(s.currency) = '{cur}' THEN s.value
         WHEN s.value_usd IS NOT NULL THEN s.value_usd * t.tgt_per_usd
         WHEN upper(s.currency) = 'USD' THEN s.value * t.tgt_per_usd
         ELSE s.value / src.src_per_usd * t.tgt_per_usd END AS amount
  FROM shipments s{_joins(by, resolved)}
  LEFT JOIN _tgt t ON t.month = date_trunc('month', s.date)
  LEFT JOIN _src src ON src.month = date_trunc('month', s.date) AND src.cur = upper(s.currency)
  WHERE {where} AND ({extra_where}) AND {bucket} IS NOT NULL
)
SELECT bucket, {group_columns(by)}, count(*)::BIGINT AS count, coalesce(sum(amount), 0) AS value,
       count(*) FILTER (WHERE amount IS NULL)::BIGINT AS unconverted
FROM rows GROUP BY ALL"""
    return sql, params


def series_sql(
    flt: FlowFilter, by: str, period: str, currency: str, resolved: bool = False
) -> tuple[str, list[Any]]:
    """Value, count and share of the period's total per ``(period, group)``.

    Columns: ``period, grp[, grp_2...], value, count, share, unconverted``.
    """
    if period not in PERIODS:
        raise ConfigError(f"--period {period!r}: choose from {', '.join(PERIODS)}")
    inner, params = converted_sql(flt, f"date_trunc('{period}', s.date)::DATE", by, currency, resolved)
    sql = f"""
SELECT bucket AS period, {group_columns(by)}, value, count,
       value / nullif(sum(value) OVER (PARTITION BY bucket), 0) AS share, unconverted
FROM ({inner}) ORDER BY period, value DESC, {group_columns(by)}"""
    return sql, params


def growth_sql(
    flt: FlowFilter, by: str, before: Period, after: Period, currency: str, resolved: bool = False,
    cutoff: date | None = None,
) -> tuple[str, list[Any]]:
    """Value and count before and after per group, with shares of each period's total.

    Columns: ``grp[, grp_2...], before, after, count_before, count_after, share_before,
    share_after, prior, unconverted``. ``prior`` is the value dated before
    ``cutoff`` but outside both periods: it tells whether a counterpart is new.
    """
    prior = f"WHEN s.date < {_lit(cutoff)} THEN 'prior' " if cutoff else ""
    bucket = (
        f"CASE WHEN s.date BETWEEN {_lit(before.start)} AND {_lit(before.end)} THEN 'before' "
        f"WHEN s.date BETWEEN {_lit(after.start)} AND {_lit(after.end)} THEN 'after' {prior}END"
    )
    inner, params = converted_sql(flt, bucket, by, currency, resolved)
    sql = f"""
WITH g AS (
  SELECT {group_columns(by)},
    coalesce(sum(value) FILTER (WHERE bucket = 'before'), 0) AS before,
    coalesce(sum(value) FILTER (WHERE bucket = 'after'), 0) AS after,
    coalesce(sum(count) FILTER (WHERE bucket = 'before'), 0)::BIGINT AS count_before,
    coalesce(sum(count) FILTER (WHERE bucket = 'after'), 0)::BIGINT AS count_after,
    coalesce(sum(value) FILTER (WHERE bucket = 'prior'), 0) AS prior,
    sum(unconverted) FILTER (WHERE bucket <> 'prior')::BIGINT AS unconverted
  FROM ({inner}) GROUP BY ALL
)
SELECT {group_columns(by)}, before, after, count_before, count_after,
  before / nullif(sum(before) OVER (), 0) AS share_before,
  after / nullif(sum(after) OVER (), 0) AS share_after, prior, unconverted
FROM g WHERE before <> 0 OR after <> 0 OR prior <> 0 ORDER BY after - before DESC, {group_columns(by)}"""
    return sql, params


def date_range_sql(flt: FlowFilter, resolved: bool = False) -> tuple[str, list[Any]]:
    """First and last shipment date under the filter (for the default before/after periods)."""
    where, params = filter_sql(flt, resolved)
    return f"SELECT min(s.date), max(s.date) FROM shipments s WHERE {where}", params
