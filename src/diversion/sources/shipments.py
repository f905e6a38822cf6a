"""Customs declarations (shipments): CSV, Parquet or XLSX in the standard profile or mapped.

Method: every field is read as text into an in-memory DuckDB table (CSV via
``read_csv`` with rejected rows kept, Parquet via ``read_parquet``, XLSX via
openpyxl), then one SQL pass normalises all rows at once: HS codes to digit
strings, countries to ISO alpha-2 (through a lookup built from the file's
distinct values), dates, numbers with the file's separators, currencies to
ISO-4217. The same pass names each row's first bad field; good rows become
the ``shipments`` Arrow table, bad rows go to quarantine with the raw record.
Given the warehouse's scratch connection (a DuckDB warehouse), all of this
runs inside the warehouse's database and the good rows stay there
(``Staged``) until ``load_parsed`` inserts them: no copy through Arrow.
"""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from diversion.engine import Staged
from diversion.errors import SourceError
from diversion.reference.countries import load_tables
from diversion.sources.loader import ParsedFile, Quarantined
from diversion.sources.mapping import STANDARD_COLUMNS, Mapping, load_mapping, resolve_columns, resolve_keep
from diversion.sources.normalise import (
    date_expectation,
    date_sql,
    finite_sql,
    hs_sql,
    literal,
    number_sql,
    register_lookup,
    text_sql,
    year_sql,
)
from diversion.sources.periods import month_sql
from diversion.sources.tabular import KEEP_REASON, KeepCheck, cell_sql, keep_sql, read_raw

if TYPE_CHECKING:
    from diversion.sources import ParseOptions

COUNTRY_COLUMNS = ("exporter_country", "importer_country", "origin_country", "dispatch_country",
                   "trading_country")
_TEXT_COLUMNS = ("description", "brand", "model", "exporter_name", "exporter_address", "importer_name",
                 "importer_address", "importer_id", "unit")
_REQUIRED_TEXT = ("exporter_name", "importer_name")
_NUMBERS = ("value", "quantity", "net_weight_kg")
_OUTPUT = ("record_id", "date", "hs_code", "description", "brand", "model", "manufacture_year",
           "exporter_name", "exporter_address", "exporter_country", "importer_name", "importer_address",
           "importer_country", "importer_id", "origin_country", "dispatch_country", "trading_country",
           "value", "currency", "value_usd", "quantity", "unit", "net_weight_kg", "source_id", "line",
           "record_hash")


def parse_shipments(path: Path, options: ParseOptions) -> ParsedFile:
    """Read one shipments file (format and encoding detected from its content).

    Used through ``ingest_file(engine, "shipments", path, mapping=...)``; the
    result holds the normalised ``shipments`` rows and the quarantined ones.
    """
    mapping = load_mapping(options.mapping) if options.mapping else Mapping()
    refuse_non_hs(mapping, path)
    con = options.scratch or duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    # Country names are mapped after the read: their tables load meanwhile (DuckDB releases the GIL).
    tables = threading.Thread(target=_load_tables_quietly, daemon=True)
    tables.start()
    try:
        raw = read_raw(con, path, mapping, check=lambda header: resolve_columns(header, mapping, str(path)))
        tables.join()
        header = raw.header
        sources = resolve_columns(header, mapping, str(path))
        keep = keep_sql(resolve_keep(header, mapping, str(path)), header)
        parsed = _normalise(con, header, sources, mapping, options.source_id, raw.numeric, keep,
                            staged=options.scratch is not None)
        parsed.format, parsed.encoding = raw.format, raw.encoding
        parsed.rows_read = raw.rows + len(raw.rejects)
        structural = [Quarantined(line, None, reason, raw_line) for line, reason, raw_line in raw.rejects]
        parsed.quarantined = sorted(structural + parsed.quarantined, key=lambda q: q.line or 0)
        return parsed
    except duckdb.Error as exc:
        raise SourceError(str(path), f"cannot read shipments ({' '.join(str(exc).split())[:200]})") from exc
    finally:
        if options.scratch is None:
            con.close()


def _load_tables_quietly() -> None:
    """``load_tables`` in a helper thread: a failure there is reported where the tables are read."""
    with contextlib.suppress(Exception):
        load_tables()


def refuse_non_hs(mapping: Mapping, path: Path) -> None:
    """Shipments hold HS codes: a file declared in SITC (or BEC...) is refused, saying why."""
    found = mapping.classification
    if found is None or found.is_hs:
        return
    raise SourceError(
        str(path),
        f"mapping key 'classification': {found.name} is not HS. Shipments, the CHPL and every HS filter "
        f"read HS codes, and {found.family} codes are another numbering (SITC 84 is clothing, HS 84 is "
        "machinery); load the file as trade statistics with `diversion ingest stats`, where it is kept "
        "apart from HS analyses",
    )


def _source_column(column: str, header: list[str], sources: dict[str, str], mapping: Mapping) -> str:
    """The untrimmed SQL expression feeding a standard column: a ``raw`` column, a constant or NULL."""
    if column in sources:
        return cell_sql(f"c{header.index(sources[column])}", mapping)
    if column == "currency" and mapping.currency and "currency" not in mapping.constants:
        return literal(mapping.currency)
    return literal(mapping.constants.get(column))


def _checks(mapping: Mapping, keep: list[tuple[str, str, str]] | None = None) -> list[tuple[str, str, str]]:
    """(field, failing condition, reason) in the order a row is checked; the first that holds is reported.

    Rows the mapping's ``keep`` leaves out come first: they are not bad, only not wanted.
    """
    # Months (Apr 2023, 2023-04) are read too, as their first day; the reason names the day forms.
    expected = date_expectation(mapping.date_formats)
    return [
        *(keep or []),
        ("date", "r_date IS NULL", "missing"),
        ("date", "date IS NULL", f"not a valid date (expected {expected})"),
        ("hs_code", "r_hs_code IS NULL", "missing"),
        ("hs_code", "hs_code IS NULL", "not an HS code (2-10 digits)"),
        ("manufacture_year", "manufacture_year IS NULL AND r_manufacture_year IS NOT NULL",
         "not a year (1900-2100)"),
        *((c, f"{c} IS NULL", "missing") for c in _REQUIRED_TEXT),
        *((c, f"{c} IS NULL AND r_{c} IS NOT NULL", "not a known country") for c in COUNTRY_COLUMNS),
        ("value", "r_value IS NULL", "missing"),
        ("value", "value IS NULL", "not a number"),
        ("value", "value < 0", "negative"),
        ("currency", "currency IS NULL AND r_currency IS NOT NULL", "not an ISO-4217 currency code"),
        *((c, f"{c} IS NULL AND r_{c} IS NOT NULL", "not a number") for c in _NUMBERS[1:]),
        *((c, f"{c} < 0", "negative") for c in _NUMBERS[1:]),
    ]


def normalise_sql(header: list[str], sources: dict[str, str], mapping: Mapping, source_id: str,
                  numeric: set[str], keep: list[KeepCheck] | None = None) -> str:
    """The one query that normalises ``raw`` and names each row's first bad field (``_reason``).

    Layers: ``t`` trims the text, ``p`` parses and joins the country and
    currency lookups, ``q`` drops non-finite numbers; the final projection
    adds provenance, the record hash and the reason.
    """
    raw = {c: text_sql(_source_column(c, header, sources, mapping)) for c in STANDARD_COLUMNS}
    if "currency" in sources and mapping.currency:
        raw["currency"] = f"coalesce({raw['currency']}, {literal(mapping.currency)})"
    pad_hs = sources.get("hs_code") in numeric or mapping.hs_width == "even"
    hs_text = "r_hs_code"
    if isinstance(mapping.hs_width, int):
        # The file's codes all have this width; shorter ones lost their leading zeros (chapter 1 -> 01).
        hs_text = (f"(CASE WHEN regexp_full_match(r_hs_code, '[0-9]+') AND length(r_hs_code) < {mapping.hs_width} "
                   f"THEN lpad(r_hs_code, {mapping.hs_width}, '0') ELSE r_hs_code END)")
    keep = keep or []
    keep_columns = ", ".join(f"{check.column} AS k{i}" for i, check in enumerate(keep))
    texts = ", ".join(f"{raw[c]} AS r_{c}" for c in STANDARD_COLUMNS) + (f", {keep_columns}" if keep else "")
    joins = " ".join(
        f"LEFT JOIN _countries k_{c} ON k_{c}.raw = t.r_{c}" for c in COUNTRY_COLUMNS
    ) + " LEFT JOIN _currencies k_currency ON k_currency.raw = t.r_currency"
    kept = ", ".join([*(f"r_{c}" for c in ("date", "hs_code", "manufacture_year", "currency",
                                           *COUNTRY_COLUMNS, *_NUMBERS)), *(f"k{i}" for i in range(len(keep)))])
    parsed = ", ".join([
        f"coalesce(r_record_id, {literal(source_id[:12] + ':')} || _line) AS record_id",
        f"coalesce({date_sql('r_date', mapping.date_formats)}, {month_sql('r_date')}) AS date",
        f"{hs_sql(hs_text, pad_hs)} AS hs_code",
        f"{year_sql('r_manufacture_year')} AS manufacture_year",
        *(f"r_{c} AS {c}" for c in _TEXT_COLUMNS),
        *(f"k_{c}.code AS {c}" for c in COUNTRY_COLUMNS),
        "k_currency.code AS currency",
        *(f"{_scaled(number_sql(f'r_{c}', mapping.decimal, mapping.thousands), mapping, c)} AS {c}"
          for c in _NUMBERS),
    ])
    finite = ", ".join(f"{finite_sql(c)} AS {c}" for c in _NUMBERS)
    # Keep rules read the raw cells (k0, k1...) in the layers below ``t``.
    keep_checks = [(check.field, check.left_out(f"k{i}"), check.reason) for i, check in enumerate(keep)]
    reason = "CASE " + " ".join(
        f"WHEN {cond} THEN {literal(f'{field}: {why}')}" for field, cond, why in _checks(mapping, keep_checks)
    ) + " END"
    # Numbers enter the hash as written (formatting doubles is the costliest cast there is).
    hashed = ", ".join(
        f"coalesce(r_{c}, '')" if c in (*_NUMBERS, "manufacture_year")
        else f"coalesce(CAST({c} AS VARCHAR), '')" if c == "date" else f"coalesce({c}, '')"
        for c in STANDARD_COLUMNS
    )
    special = {
        "value_usd": "CASE WHEN currency = 'USD' THEN value END AS value_usd",
        "source_id": f"{literal(source_id)} AS source_id",
        "line": "_line AS line",
        "record_hash": f"md5(concat_ws(chr(31), {hashed})) AS record_hash",
    }
    outputs = ", ".join(special.get(c, c) for c in _OUTPUT)
    return (
        f"WITH t AS (SELECT _line, {texts} FROM raw), "
        f"p AS (SELECT _line, {kept}, {parsed} FROM t {joins}), "
        f"q AS (SELECT * REPLACE ({finite}) FROM p) "
        f"SELECT {outputs}, {reason} AS _reason FROM q"
    )


def _scaled(number: str, mapping: Mapping, column: str) -> str:
    """A number times the mapping's multiplier for its column (values "in thousands")."""
    factor = mapping.multipliers.get(column)
    return f"({number} * {factor!r})" if factor else number


def _normalise(con: duckdb.DuckDBPyConnection, header: list[str], sources: dict[str, str],
               mapping: Mapping, source_id: str, numeric: set[str],
               keep: list[KeepCheck] | None = None, staged: bool = False) -> ParsedFile:
    """Normalise ``raw``: good rows to ``tables`` (Arrow) or, with ``staged``, left in ``con``'s database
    (``parsed.staged``: ``con`` is the warehouse's scratch connection); bad rows to quarantine."""
    for name, kind, columns in (("_countries", "country", COUNTRY_COLUMNS), ("_currencies", "currency", ("currency",))):
        exprs = [_source_column(c, header, sources, mapping) for c in columns]
        if kind == "currency" and mapping.currency:
            exprs.append(literal(mapping.currency))
        # One scan for all columns of a kind: their distinct values are few.
        distinct = f"SELECT DISTINCT unnest([{', '.join(exprs)}]) AS v FROM raw"
        register_lookup(con, name, (row[0] for row in con.execute(distinct).fetchall()), kind)
    query = normalise_sql(header, sources, mapping, source_id, numeric, keep)
    parsed = ParsedFile(format="")
    if staged:
        con.execute(f"CREATE TABLE parsed AS {query}")
        bad = con.execute("SELECT line, _reason FROM parsed WHERE _reason IS NOT NULL").to_arrow_table()
        if bad.num_rows:
            parsed.quarantined = quarantined_rows(con, header, bad)
            con.execute("DELETE FROM parsed WHERE _reason IS NOT NULL")
        # The file as read (temporary tables) served the quarantine above: its memory is the insert's now.
        for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall():
            con.execute(f'DROP TABLE temp."{name}"')
        catalog, total = con.execute("SELECT current_database(), (SELECT count(*) FROM parsed)").fetchone() or ("", 0)
        parsed.staged["shipments"] = Staged(con, f'"{catalog}".main.parsed', list(_OUTPUT), int(total))
        return parsed
    table = _materialise(con.execute(query))
    reasons = table.column("_reason")
    if reasons.null_count == table.num_rows:
        parsed.tables["shipments"] = table.drop_columns(["_reason"])
        return parsed
    bad_mask = pc.is_valid(reasons)
    parsed.tables["shipments"] = table.filter(pc.invert(bad_mask)).drop_columns(["_reason"])
    parsed.quarantined = quarantined_rows(con, header, table.filter(bad_mask).select(["line", "_reason"]))
    return parsed


#: Rows per Arrow batch: DuckDB scans an Arrow table in parallel by batch, so
#: a single million-row batch would make the warehouse insert single-threaded.
ARROW_BATCH_ROWS = 122_880


def _materialise(result: duckdb.DuckDBPyConnection) -> pa.Table:
    return result.to_arrow_table(ARROW_BATCH_ROWS)


def quarantined_rows(con: duckdb.DuckDBPyConnection, header: list[str], bad: pa.Table) -> list[Quarantined]:
    """Quarantine records for the rows that failed a check, each with its raw values by column name."""
    con.register("_bad", bad)
    cols = ", ".join(f"r.c{i}" for i in range(len(header)))
    rows = con.execute(
        f"SELECT b.line, b._reason, {cols} FROM _bad b JOIN raw r ON r._line = b.line ORDER BY b.line"
    ).fetchall()
    out = []
    for line, reason, *values in rows:
        record = {name or f"column{i + 1}": value for i, (name, value) in enumerate(zip(header, values, strict=True))}
        out.append(Quarantined(int(line), reason.split(":", 1)[0], reason, json.dumps(record, ensure_ascii=False),
                               filtered=KEEP_REASON in reason))
    return out
