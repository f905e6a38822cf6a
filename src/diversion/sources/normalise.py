"""SQL expressions that normalise text fields, and the lookups they join to.

Each ``*_sql`` function takes a SQL expression holding trimmed text (``NULL``
when empty) and returns a DuckDB expression of the normalised value, ``NULL``
when the text cannot be read. Callers compare the two to tell "missing" from
"invalid", so every check runs inside one vectorised query, never row by row
in Python. Country and currency names are few per file: they are mapped in
Python (``to_iso2``, pycountry) from the file's distinct values and joined.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa
import pycountry

from diversion.reference import to_iso2

#: Date formats tried, in order, when a mapping gives none (day-first: customs extracts).
DEFAULT_DATE_FORMATS = ("%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d", "%Y%m%d", "%d-%m-%Y", "%d.%m.%y")
MIN_YEAR, MAX_YEAR = 1900, 2100
# Alternative spellings of currencies seen in customs data.
_CURRENCY_ALIASES = {"RUR": "RUB", "РУБ": "RUB", "РУБ.": "RUB", "US$": "USD", "$": "USD", "€": "EUR",
                     "EURO": "EUR", "ЕВРО": "EUR", "£": "GBP", "¥": "JPY", "RMB": "CNY", "ЮАНЬ": "CNY"}


def literal(value: str | None) -> str:
    """A SQL string literal (or ``NULL``)."""
    if value is None:
        return "CAST(NULL AS VARCHAR)"
    return "'" + value.replace("'", "''") + "'"


def text_sql(column: str) -> str:
    """Trimmed text, ``NULL`` when empty (trimming only what needs it: it is the costliest step)."""
    return (f"(CASE WHEN starts_with({column}, ' ') OR ends_with({column}, ' ') "
            f"THEN nullif(trim({column}), '') ELSE nullif({column}, '') END)")


def number_sql(text: str, decimal: str | None = None, thousands: str | None = None) -> str:
    """A DOUBLE from text with the file's separators, else ``NULL`` (may be infinite: see ``finite_sql``).

    Without a declared decimal separator, ``1,234.5`` and ``12,5`` both read
    as expected: a lone comma followed by one or two digits is a decimal comma;
    ``1.234,5`` is refused (declare ``decimal: ","`` in a mapping).
    Spaces, non-breaking spaces and a declared thousands separator are dropped.
    Plain numbers take a fast path; the slow one never repeats a subexpression
    (DuckDB would hoist it and compute it for every row).
    """
    plain = f"try_cast({text} AS DOUBLE)"
    s = f"replace(replace(replace({text}, ' ', ''), chr(160), ''), chr(8239), '')"
    if thousands and thousands.strip():
        s = f"replace({s}, {literal(thousands.strip())}, '')"
    if decimal == ",":
        s = f"replace({s}, ',', '.')"
        plain = f"(CASE WHEN NOT contains({text}, '.') THEN try_cast(replace({text}, ',', '.') AS DOUBLE) END)"
    elif decimal == ".":
        s = f"replace({s}, ',', '')"
    else:
        s = f"replace(regexp_replace({s}, '^(-?[0-9]+),([0-9]{{1,2}})$', '\\1.\\2'), ',', '')"
        # "1.234,5" is ambiguous without a declared separator: refuse rather than guess.
        return (f"coalesce({plain}, CASE WHEN NOT regexp_matches({text}, '\\.[^,]*,') "
                f"THEN try_cast({s} AS DOUBLE) END)")
    return f"coalesce({plain}, try_cast({s} AS DOUBLE))"


def finite_sql(number: str) -> str:
    """The number unless it is NaN or infinite."""
    return f"(CASE WHEN isfinite({number}) THEN {number} END)"


def date_sql(text: str, formats: Iterable[str] = ()) -> str:
    """A DATE from text: the given strptime formats, else ISO and the common day-first forms."""
    formats = tuple(formats)
    if formats:
        fmts = "[" + ", ".join(literal(f) for f in formats) + "]"
        value = f"CAST(try_strptime({text}, {fmts}) AS DATE)"
    else:
        fmts = "[" + ", ".join(literal(f) for f in DEFAULT_DATE_FORMATS) + "]"
        value = (f"coalesce(try_cast({text} AS DATE), CAST(try_cast({text} AS TIMESTAMP) AS DATE), "
                 f"CAST(try_strptime({text}, {fmts}) AS DATE))")
    return f"(CASE WHEN year({value}) BETWEEN {MIN_YEAR} AND {MAX_YEAR} THEN {value} END)"


def date_expectation(formats: Iterable[str] = ()) -> str:
    """How a quarantine reason says which dates were expected."""
    formats = tuple(formats)
    return " or ".join(formats) if formats else "YYYY-MM-DD or DD.MM.YYYY"


def hs_sql(text: str, pad_odd: bool = False) -> str:
    """An HS code as 2-10 digits (``8458.11`` -> ``845811``), else ``NULL``.

    ``pad_odd`` restores the leading zero a spreadsheet or Parquet number cell
    dropped (HS codes have an even number of digits: ``10121`` -> ``010121``).
    """
    digits = f"regexp_replace({text}, '[\\s.\\-/]', '', 'g')"
    if pad_odd:
        digits = f"lpad({digits}, CAST(length({digits}) + length({digits}) % 2 AS INTEGER), '0')"
    # Most codes are already clean digits: test those first, clean up the rest.
    return (f"(CASE WHEN regexp_full_match({text}, '[0-9]{{2,10}}') AND {str(not pad_odd).upper()} THEN {text} "
            f"ELSE nullif(regexp_extract({digits}, '^[0-9]{{2,10}}$'), '') END)")


def year_sql(text: str) -> str:
    """A plausible year as INTEGER (``2001``, ``2001.0``), else ``NULL``."""
    value = f"(CASE WHEN regexp_full_match({text}, '[0-9]{{4}}(\\.0+)?') THEN CAST(left({text}, 4) AS INTEGER) END)"
    return f"(CASE WHEN {value} BETWEEN {MIN_YEAR} AND {MAX_YEAR} THEN {value} END)"


def _currency_code(text: str) -> str | None:
    upper = " ".join(text.split()).upper()
    if upper in _CURRENCY_ALIASES:
        return _CURRENCY_ALIASES[upper]
    if upper.isdigit():
        found = pycountry.currencies.get(numeric=upper.zfill(3))
    elif len(upper) == 3 and upper.isalpha() and upper.isascii():
        found = pycountry.currencies.get(alpha_3=upper)
    else:
        found = None
    return str(found.alpha_3) if found else None


def register_lookup(con: duckdb.DuckDBPyConnection, name: str, values: Iterable[str | None], kind: str) -> None:
    """Create table ``name(raw, code)``: each distinct trimmed value and its ISO code (country or currency).

    ``values`` are the file's distinct raw values; they are few, so Python's
    ``to_iso2`` (names in any language) and pycountry do the mapping.
    """
    convert = to_iso2 if kind == "country" else _currency_code
    raws = sorted({v for v in values if v is not None})
    codes = [convert(v) for v in raws]
    con.register(f"{name}_py", pa.table({"raw": pa.array(raws, pa.string()), "code": pa.array(codes, pa.string())}))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT DISTINCT ON (k) k AS raw, code "
                f"FROM (SELECT {text_sql('raw')} AS k, code FROM {name}_py) WHERE k IS NOT NULL")
    con.unregister(f"{name}_py")
