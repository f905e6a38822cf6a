"""Which exchange rates a conversion may use: the user's ``rates`` table first, then the shipped reference.

The reference rates (``diversion.reference.exchange_rates``: the ECB's history,
monthly) are put into a temporary table ``_reference_rates`` of the
connection, so every conversion query — flows, report, detectors — can read
them next to the user's ``rates`` without writing to the warehouse (the report
and the web app open it read-only). For one month and currency a user rate
always wins. A reference currency the ECB stopped quoting (RUB after March
2022) is not carried forward past its last month: later rows stay unconverted
(and are counted) unless the user's rates file covers them.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import pyarrow as pa

from diversion.engine import Engine
from diversion.reference.exchange_rates import monthly_rates

#: The temporary table holding the reference rates.
REFERENCE_TABLE = "_reference_rates"


#: Months the conversion tables cover (the same span as ``flows.queries.fx_sql``).
FIRST_MONTH, LAST_MONTH = date(1990, 1, 1), date(2049, 12, 1)


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _month(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


@cache
def reference_table() -> pa.Table:
    """Every month × reference currency as ``(month, currency, per_usd)``, gaps filled the way conversion fills them.

    A month without an ECB rate takes the latest earlier month's (the first
    month's before the currency's first quote); a currency the ECB dropped more
    than a quarter before the file's last month (RUB after March 2022) gets no
    row after its last month, so such values stay unconverted unless the user's
    rates cover them.
    """
    rates = monthly_rates()
    latest = max((max(r) for r in rates.values() if r), default=None)
    months: list[date] = []
    currencies: list[str] = []
    values: list[float] = []
    for cur, by_month in sorted(rates.items()):
        if not by_month:
            continue
        first, last = min(by_month), max(by_month)
        dropped = latest is not None and _month_index(latest) - _month_index(last) > 3
        end = _month_index(last) if dropped else _month_index(LAST_MONTH)
        current = by_month[first]
        for index in range(_month_index(FIRST_MONTH), end + 1):
            month = _month(index)
            current = by_month.get(month, current)
            months.append(month)
            currencies.append(cur)
            values.append(current)
    return pa.table({
        "month": pa.array(months, pa.date32()),
        "currency": pa.array(currencies, pa.string()),
        "per_usd": pa.array(values, pa.float64()),
    })


def prepare_rates(engine: Engine) -> None:
    """Make ``_reference_rates`` available on this connection (once per connection; ~30k small rows)."""
    if engine.table_exists(REFERENCE_TABLE):
        return
    engine.execute(f"CREATE TEMP TABLE {REFERENCE_TABLE} (month DATE, currency VARCHAR, per_usd DOUBLE)")
    engine.insert_arrow(REFERENCE_TABLE, reference_table())


def reference_currencies() -> set[str]:
    """Currencies the shipped reference rates cover (USD included)."""
    return set(monthly_rates())


def source_rates_sql() -> str:
    """CTE ``_src(month, cur, src_per_usd)``: units of ``cur`` per US dollar for every month (needs ``_months``).

    Precedence for one month and currency: the user's rate of that month; else
    the reference rate (the ECB's, or the latest earlier one while the ECB still
    quotes the currency); else the user's latest earlier rate (the earliest
    before the first). Needs :func:`prepare_rates` to have run on the connection. A user's rate that is not
    a positive finite number is ignored: one such row would turn every total it enters into NaN.
    """
    return f"""
_user_r AS (SELECT month, upper(currency) AS cur, any_value(per_usd) AS per_usd FROM rates
           WHERE per_usd > 0 AND per_usd < 1e300 GROUP BY ALL),
_user_first AS (SELECT cur, arg_min(per_usd, month) AS per_usd FROM _user_r GROUP BY cur),
_user_src AS (
  SELECT m.month, c.cur, coalesce(arg_max(r.per_usd, r.month), f.per_usd) AS per_usd
  FROM _months m CROSS JOIN (SELECT DISTINCT cur FROM _user_r) c
  LEFT JOIN _user_r r ON r.cur = c.cur AND r.month <= m.month
  JOIN _user_first f ON f.cur = c.cur
  GROUP BY m.month, c.cur, f.per_usd
),
_src AS (
  SELECT coalesce(u.month, f.month) AS month, coalesce(u.cur, f.currency) AS cur,
         coalesce(e.per_usd, f.per_usd, u.per_usd) AS src_per_usd
  FROM _user_src u
  FULL OUTER JOIN {REFERENCE_TABLE} f ON f.month = u.month AND f.currency = u.cur
  LEFT JOIN _user_r e ON e.month = u.month AND e.cur = u.cur
)"""


def build_fx(engine: Engine, currency: str) -> None:
    """Temporary table ``_report_fx(month, code, usd_to_rc)``: per month, report-currency units per US dollar.

    The per-month table the detectors and the graph join shipments to, so an
    amount they write is converted month by month like every flow statistic.
    """
    from diversion.flows.queries import check_currency, fx_sql  # queries imports this module

    code = check_currency(currency)
    prepare_rates(engine)
    engine.execute(f"CREATE OR REPLACE TEMP TABLE _report_fx AS WITH {fx_sql(code)} "
                   "SELECT month, CAST(? AS VARCHAR) AS code, tgt_per_usd AS usd_to_rc FROM _tgt", [code])
