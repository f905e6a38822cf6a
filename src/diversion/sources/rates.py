"""Monthly exchange rates (``month, currency, per_usd``) and the ``value_usd`` they give shipments.

``per_usd`` is units of the currency per one US dollar, so a shipment's
``value_usd = value / per_usd`` for its month and currency. The month may be
written ``2023-05`` or as any date in it. One rate per month and currency:
the first one loaded is kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow.compute as pc

from diversion.engine import Engine
from diversion.errors import SourceError
from diversion.sources.csvfiles import detect_format, open_csv, read_csv_raw, utf8_copy
from diversion.sources.loader import ParsedFile, Quarantined
from diversion.sources.mapping import column_key
from diversion.sources.normalise import literal, number_sql, register_lookup, text_sql

if TYPE_CHECKING:
    from diversion.sources import ParseOptions

#: Accepted header names for each rates column.
RATE_COLUMNS = {"month": ("month", "date", "period"), "currency": ("currency", "ccy", "code"),
                "per_usd": ("per_usd", "rate", "units_per_usd")}


def _month_sql(text: str) -> str:
    value = (f"CAST(date_trunc('month', coalesce(CAST(try_strptime({text}, ['%Y-%m', '%Y/%m', '%m.%Y']) AS DATE), "
             f"try_cast({text} AS DATE), CAST(try_strptime({text}, ['%d.%m.%Y', '%d/%m/%Y']) AS DATE))) AS DATE)")
    return f"(CASE WHEN year({value}) BETWEEN 1900 AND 2100 THEN {value} END)"


def parse_rates(path: Path, options: ParseOptions) -> ParsedFile:
    """Read a rates CSV; bad rows (unreadable month, unknown currency, rate not > 0) are quarantined.

    Rates that are not finite or outside their currency's plausible band are
    quarantined by ``bounds`` when the file is ingested.
    """
    if detect_format(path) != "csv":
        raise SourceError(str(path), "rates must be a CSV file with columns month, currency, per_usd")
    encoding, delimiter, header = open_csv(path, options.encoding)
    found: dict[str, int] = {}
    for i, name in enumerate(header):
        for target, aliases in RATE_COLUMNS.items():
            if column_key(name) in aliases and target not in found:
                found[target] = i
    missing = [c for c in RATE_COLUMNS if c not in found]
    if missing:
        raise SourceError(str(path), f"missing rates column(s) {', '.join(missing)} (file has: {', '.join(header)})")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        with utf8_copy(path, encoding) as utf8:
            raw = read_csv_raw(con, utf8, header, delimiter, encoding)
        m, c, r = (text_sql(f"c{found[k]}") for k in ("month", "currency", "per_usd"))
        register_lookup(con, "_currencies", (row[0] for row in con.execute(f"SELECT DISTINCT {c} FROM raw").fetchall()),
                        "currency")
        query = f"""
            WITH t AS (SELECT _line, {m} AS r_month, {c} AS r_currency, {r} AS r_rate FROM raw),
            n AS (SELECT t.*, {_month_sql('r_month')} AS month, k.code AS currency,
                         {number_sql('r_rate')} AS per_usd
                  FROM t LEFT JOIN _currencies k ON k.raw = t.r_currency)
            SELECT month, currency, per_usd, {literal(options.source_id)} AS source_id, _line AS line,
                   md5(CAST(month AS VARCHAR) || chr(31) || currency) AS record_hash,
                   CASE WHEN r_month IS NULL THEN 'month: missing'
                        WHEN month IS NULL THEN 'month: not a month (expected YYYY-MM or a date)'
                        WHEN r_currency IS NULL THEN 'currency: missing'
                        WHEN currency IS NULL THEN 'currency: not an ISO-4217 currency code'
                        WHEN r_rate IS NULL THEN 'per_usd: missing'
                        WHEN per_usd IS NULL THEN 'per_usd: not a number'
                        WHEN per_usd <= 0 THEN 'per_usd: not positive' END AS _reason,
                   concat_ws(',', r_month, r_currency, r_rate) AS _raw
            FROM n ORDER BY _line"""
        table = con.execute(query).to_arrow_table()
    except duckdb.Error as exc:
        raise SourceError(str(path), f"cannot read rates ({' '.join(str(exc).split())[:200]})") from exc
    finally:
        con.close()
    bad_mask = pc.is_valid(table.column("_reason"))
    bad = table.filter(bad_mask).select(["line", "_reason", "_raw"]).to_pylist()
    quarantined = [Quarantined(line, None, reason, raw_line) for line, reason, raw_line in raw.rejects]
    quarantined += [Quarantined(b["line"], b["_reason"].split(":", 1)[0], b["_reason"], b["_raw"]) for b in bad]
    quarantined.sort(key=lambda q: q.line or 0)
    good = table.filter(pc.invert(bad_mask)).drop_columns(["_reason", "_raw"])
    return ParsedFile(format="csv", encoding=encoding, rows_read=raw.rows + len(raw.rejects),
                      tables={"rates": good}, quarantined=quarantined)


def fill_value_usd(engine: Engine) -> None:
    """Set ``shipments.value_usd`` where it is missing and a rate for its month and currency exists.

    USD values are taken as they are; others are divided by the month's
    ``per_usd``; shipments with no rate keep ``NULL``. Cheap when nothing is
    missing, so it runs after every shipments or rates load.
    """
    with engine.transaction():
        engine.execute("UPDATE shipments SET value_usd = value WHERE value_usd IS NULL AND currency = 'USD'")
        # A rate that is not a positive finite number (a warehouse loaded before rates were bounded) gives
        # no value: NaN compares above every number in DuckDB and Spark, so the upper bound excludes it too.
        engine.execute(
            "UPDATE shipments SET value_usd = shipments.value / r.per_usd FROM rates r "
            "WHERE shipments.value_usd IS NULL AND r.currency = shipments.currency "
            "AND r.month = CAST(date_trunc('month', shipments.date) AS DATE) "
            "AND r.per_usd > 0 AND r.per_usd < 1e300"
        )
