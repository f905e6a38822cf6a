"""Trade statistics (UN Comtrade, Eurostat Comext, national offices): one reporter's figure per partner and period.

A statistics record is not a declaration: it says that *reporter* declared
*value* of *commodity* (in a named classification: HS of some edition, CN,
SITC...) as a *flow* (import, export, re-export, re-import) with *partner* over
a *period* (a year or a month). Partners and reporters that are not countries
(World, "Other Asia, nes", "Areas, nes", the EU) are kept as aggregates: never
quarantined, never counted as a country.

Method: the file is read as text like a shipments file (``tabular.read_raw``),
laid out by a mapping or a built-in profile (``--profile comtrade``,
``comtrade-plus``, ``comext``: ``sources/profiles/*.yaml``); one SQL pass
normalises every row and names the first bad field of each; reporters,
partners, flows and classifications are few per file, so they are mapped in
Python (``reference.trade``) from the distinct values and joined.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from diversion.errors import ConfigError, SourceError
from diversion.reference.trade import aggregate_area, classification, trade_country, trade_flow
from diversion.sources.loader import ParsedFile, Quarantined
from diversion.sources.mapping import STATS_COLUMNS, Mapping, load_mapping, load_profile, resolve_columns, resolve_keep
from diversion.sources.normalise import finite_sql, literal, number_sql, register_lookup, text_sql
from diversion.sources.periods import PERIOD_EXPECTATION, period_sql
from diversion.sources.shipments import quarantined_rows
from diversion.sources.tabular import KeepCheck, cell_sql, keep_sql, read_raw

if TYPE_CHECKING:
    from diversion.sources import ParseOptions

_AREAS = ("reporter", "partner")
_NUMBERS = ("value", "quantity", "net_weight_kg")
_TEXTS = ("commodity", "quantity_unit")
#: The ``trade_stats`` columns, in contract order.
OUTPUT = ("reporter", "reporter_name", "reporter_aggregate", "partner", "partner_name", "partner_aggregate", "flow",
          "classification", "commodity_code", "commodity", "period", "period_kind", "value", "currency", "value_usd",
          "quantity", "quantity_unit", "net_weight_kg", "source_id", "line", "record_hash")
FLOW_EXPECTATION = "import, export, re-export, re-import, or their codes 1-4, M, X, RX, RM"
#: Commodity codes that mean "all commodities".
TOTAL_CODES = ("TOTAL", "ALL", "TOT", "AG0", "00TOTAL")


def parse_stats(path: Path, options: ParseOptions) -> ParsedFile:
    """Read one trade-statistics file with a built-in profile or a mapping (``kind: stats``)."""
    mapping = _mapping(options)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        raw = read_raw(con, path, mapping, check=lambda header: resolve_columns(header, mapping, str(path)))
        header = raw.header
        sources = resolve_columns(header, mapping, str(path))
        if "currency" not in sources and not mapping.currency and "currency" not in mapping.constants:
            raise SourceError(str(path), "no currency column: say which currency the values are in with "
                                         "'currency: USD' in the mapping")
        keep = keep_sql(resolve_keep(header, mapping, str(path)), header)
        parsed = _normalise(con, header, sources, mapping, options.source_id, raw.numeric, keep)
        parsed.format, parsed.encoding = raw.format, raw.encoding
        parsed.rows_read = raw.rows + len(raw.rejects)
        structural = [Quarantined(line, None, reason, raw_line) for line, reason, raw_line in raw.rejects]
        parsed.quarantined = sorted(structural + parsed.quarantined, key=lambda q: q.line or 0)
        return parsed
    except duckdb.Error as exc:
        raise SourceError(str(path), f"cannot read trade statistics ({' '.join(str(exc).split())[:200]})") from exc
    finally:
        con.close()


def _mapping(options: ParseOptions) -> Mapping:
    if options.profile and options.mapping:
        raise ConfigError("give either --profile or --mapping, not both")
    if options.profile:
        return load_profile(options.profile)
    if options.mapping:
        return load_mapping(options.mapping, kind="stats")
    raise ConfigError("trade statistics need a layout: --profile comtrade, comtrade-plus or comext, "
                      "or --mapping FILE.yaml")


def _column(column: str, header: list[str], sources: dict[str, str], mapping: Mapping) -> str:
    if column in sources:
        return cell_sql(f"c{header.index(sources[column])}", mapping)
    if column == "currency" and mapping.currency and "currency" not in mapping.constants:
        return literal(mapping.currency)
    if column == "classification" and mapping.classification and "classification" not in mapping.constants:
        return literal(mapping.classification.name)
    return literal(mapping.constants.get(column))


def _register(con: duckdb.DuckDBPyConnection, name: str, values: Iterable[str | None],
              convert: Callable[[str], tuple[str | None, ...]], columns: tuple[str, ...]) -> None:
    """Table ``name(raw, <columns>)`` from each distinct trimmed value and what ``convert`` makes of it."""
    raws = sorted({v for v in values if v is not None})
    converted = [convert(v) for v in raws]
    data = {"raw": pa.array(raws, pa.string())}
    for i, col in enumerate(columns):
        data[col] = pa.array([c[i] for c in converted], pa.string())
    con.register(f"{name}_py", pa.table(data))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_py")
    con.unregister(f"{name}_py")


def _area(value: str) -> tuple[str | None, ...]:
    agg = aggregate_area(value)
    if agg is not None:
        return (None, agg.code, agg.name)
    return (trade_country(value), None, None)


def _class(value: str) -> tuple[str | None, ...]:
    found = classification(value)
    return (found.name, found.family) if found else (None, None)


def _lookups(con: duckdb.DuckDBPyConnection, header: list[str], sources: dict[str, str], mapping: Mapping) -> None:
    def distinct(columns: Iterable[str]) -> list[str | None]:
        exprs = ", ".join(text_sql(_column(c, header, sources, mapping)) for c in columns)
        return [r[0] for r in con.execute(f"SELECT DISTINCT unnest([{exprs}]) FROM raw").fetchall()]

    _register(con, "_areas", distinct(("reporter", "reporter_name", "partner", "partner_name")), _area,
              ("code", "agg_code", "agg_name"))
    _register(con, "_flows", distinct(("flow",)), lambda v: (trade_flow(v),), ("flow",))
    _register(con, "_classes", distinct(("classification",)), _class, ("name", "family"))
    register_lookup(con, "_currencies", distinct(("currency",)), "currency")


def _commodity_sql(mapping: Mapping, numeric_code: bool) -> str:
    """The commodity code as digits (HS codes zero-padded as the mapping or the code's level says), or TOTAL."""
    digits = "regexp_replace(r_commodity_code, '[\\s.\\-/]', '', 'g')"
    level = "try_cast(try_cast(r_commodity_level AS DOUBLE) AS INTEGER)"
    width = f"coalesce({level}, {mapping.hs_width})" if isinstance(mapping.hs_width, int) else level
    pad_odd = mapping.hs_width == "even" or numeric_code
    # HS codes have even lengths (2, 4, 6, 8, 10): an odd one lost its leading zero to a spreadsheet.
    odd = (f"CAST(length({digits}) + length({digits}) % 2 AS INTEGER)" if pad_odd
           else f"CAST(length({digits}) AS INTEGER)")
    padded = (f"(CASE WHEN NOT regexp_full_match({digits}, '[0-9]+') THEN {digits} "
              f"WHEN {width} IS NOT NULL AND length({digits}) < {width} THEN lpad({digits}, {width}, '0') "
              f"ELSE lpad({digits}, {odd}, '0') END)")
    totals = ", ".join(literal(t) for t in TOTAL_CODES)
    return (f"(CASE WHEN upper(r_commodity_code) IN ({totals}) THEN 'TOTAL' "
            f"WHEN kc.family = 'HS' THEN nullif(regexp_extract({padded}, '^[0-9]{{2,10}}$'), '') "
            f"WHEN kc.family = 'SITC' THEN nullif(regexp_extract({digits}, '^[0-9]{{1,5}}$'), '') "
            f"ELSE nullif(regexp_extract(upper({digits}), '^[0-9A-Z]{{1,10}}$'), '') END)")


def _checks(keep: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """(field, failing condition, reason) in the order a row is checked; the first that holds is reported."""
    return [
        *keep,
        *((a, f"r_{a} IS NULL AND r_{a}_name IS NULL", "missing") for a in _AREAS),
        *((a, f"{a} IS NULL", "not a known country or aggregate (World, Areas nes...)") for a in _AREAS),
        ("flow", "r_flow IS NULL", "missing"),
        ("flow", "flow IS NULL", f"not a trade flow (expected {FLOW_EXPECTATION})"),
        ("classification", "r_classification IS NULL", "missing"),
        ("classification", "classification IS NULL",
         "unknown classification (expected HS, H0-H6, CN, SITC, S1-S4, BEC)"),
        ("commodity_code", "r_commodity_code IS NULL", "missing"),
        ("commodity_code", "commodity_code IS NULL",
         "not a commodity code of its classification (HS: 2-10 digits; SITC: 1-5; or TOTAL)"),
        ("period", "r_period IS NULL", "missing"),
        ("period", "period IS NULL", f"not a period (expected {PERIOD_EXPECTATION})"),
        ("value", "r_value IS NULL", "missing"),
        ("value", "value IS NULL", "not a number"),
        ("value", "value < 0", "negative"),
        ("currency", "currency IS NULL", "not an ISO-4217 currency code"),
        *((c, f"{c} IS NULL AND r_{c} IS NOT NULL", "not a number") for c in _NUMBERS[1:]),
        *((c, f"{c} < 0", "negative") for c in _NUMBERS[1:]),
    ]


def normalise_sql(header: list[str], sources: dict[str, str], mapping: Mapping, source_id: str,
                  numeric: set[str], keep: list[KeepCheck]) -> str:
    """The one query that normalises ``raw`` into ``trade_stats`` rows and names each bad row's reason."""
    raw = {c: text_sql(_column(c, header, sources, mapping)) for c in STATS_COLUMNS}
    texts = ", ".join([*(f"{raw[c]} AS r_{c}" for c in STATS_COLUMNS),
                       *(f"{check.column} AS k{i}" for i, check in enumerate(keep))])
    area_joins = " ".join(
        f"LEFT JOIN _areas a_{a} ON a_{a}.raw = t.r_{a} LEFT JOIN _areas n_{a} ON n_{a}.raw = t.r_{a}_name"
        for a in _AREAS
    )
    joins = (f"{area_joins} LEFT JOIN _flows kf ON kf.raw = t.r_flow "
             "LEFT JOIN _classes kc ON kc.raw = t.r_classification "
             "LEFT JOIN _currencies kcur ON kcur.raw = t.r_currency")
    day, kind = period_sql("r_period")
    areas = []
    for a in _AREAS:
        # An aggregate by its code or its name is an aggregate; else the code decides, then the name.
        agg = f"coalesce(a_{a}.agg_code, n_{a}.agg_code)"
        areas += [
            f"coalesce({agg}, a_{a}.code, n_{a}.code) AS {a}",
            f"coalesce(r_{a}_name, a_{a}.agg_name, n_{a}.agg_name) AS {a}_name",
            f"{agg} IS NOT NULL AS {a}_aggregate",
        ]
    scaled = {c: number_sql(f"r_{c}", mapping.decimal, mapping.thousands) for c in _NUMBERS}
    for c, factor in mapping.multipliers.items():
        scaled[c] = f"({scaled[c]} * {factor!r})"
    code_numeric = sources.get("commodity_code") in numeric
    parsed = ", ".join([
        *areas,
        "kf.flow AS flow",
        "kc.name AS classification",
        f"{_commodity_sql(mapping, code_numeric)} AS commodity_code",
        "r_commodity AS commodity",
        f"{day} AS period",
        f"{kind} AS period_kind",
        *(f"{scaled[c]} AS {c}" for c in _NUMBERS),
        "kcur.code AS currency",
        "r_quantity_unit AS quantity_unit",
    ])
    kept = ", ".join(["_line", *(f"r_{c}" for c in ("reporter", "reporter_name", "partner", "partner_name", "flow",
                                                     "classification", "commodity_code", "period", *_NUMBERS)),
                      *(f"k{i}" for i in range(len(keep)))])
    finite = ", ".join(f"{finite_sql(c)} AS {c}" for c in _NUMBERS)
    keep_checks = [(check.field, check.left_out(f"k{i}"), check.reason) for i, check in enumerate(keep)]
    reason = "CASE " + " ".join(
        f"WHEN {cond} THEN {literal(f'{field}: {why}')}" for field, cond, why in _checks(keep_checks)
    ) + " END"
    hashed = ", ".join(
        f"coalesce(r_{c}, '')" if c in _NUMBERS else f"coalesce(CAST({c} AS VARCHAR), '')"
        for c in ("reporter", "partner", "flow", "classification", "commodity_code", "period", "period_kind",
                  "currency", "quantity_unit", *_NUMBERS)
    )
    special = {
        "value_usd": "CASE WHEN currency = 'USD' THEN value END AS value_usd",
        "source_id": f"{literal(source_id)} AS source_id",
        "line": "_line AS line",
        "record_hash": f"md5(concat_ws(chr(31), 'stats', {hashed})) AS record_hash",
    }
    outputs = ", ".join(special.get(c, c) for c in OUTPUT)
    return (
        f"WITH t AS (SELECT _line, {texts} FROM raw), "
        f"p AS (SELECT {kept}, {parsed} FROM t {joins}), "
        f"q AS (SELECT * REPLACE ({finite}) FROM p) "
        f"SELECT {outputs}, {reason} AS _reason FROM q"
    )


def _normalise(con: duckdb.DuckDBPyConnection, header: list[str], sources: dict[str, str], mapping: Mapping,
               source_id: str, numeric: set[str], keep: list[KeepCheck]) -> ParsedFile:
    _lookups(con, header, sources, mapping)
    table = con.execute(normalise_sql(header, sources, mapping, source_id, numeric, keep)).to_arrow_table()
    reasons = table.column("_reason")
    parsed = ParsedFile(format="")
    bad_mask = pc.is_valid(reasons)
    parsed.tables["trade_stats"] = table.filter(pc.invert(bad_mask)).drop_columns(["_reason"])
    if reasons.null_count < table.num_rows:
        parsed.quarantined = quarantined_rows(con, header, table.filter(bad_mask).select(["line", "_reason"]))
    return parsed
