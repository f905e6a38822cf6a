"""Findings made as columns: a detector with one finding per query row states its sentence and evidence in SQL.

At 10M shipment rows ``priority_goods`` raises 856,000 findings, ``sanctions_proximity`` 247,000 and
``brand_diversion`` 142,000. Made one at a time in Python (a dictionary, amounts formatted, the evidence's
floats rounded and written as JSON, the id hashed) they took 40-50, 25-30 and 10-15 s of a full detection,
on one core, against 8-11 s for each query that finds them. Here
DuckDB makes them from the query's rows (an Arrow table, in a connection of this process: whatever
engine holds the warehouse), on every core, with macros that write what ``Finding`` writes:

- ``py_json(text)``, ``py_json_list(texts)``: JSON text as ``json.dumps(..., ensure_ascii=False)`` and orjson
  write it (DuckDB writes nine control characters' escapes in capitals);
- ``evidence_number(x)``: a float of the evidence, rounded as ``finding._rounded`` rounds it (10 digits
  through 12) and written as orjson writes it;
- ``money_text(value, currency)``: ``read.money.money``;
- ``shown_name(entity_id, node_id, label)``: ``DetectContext.name`` (with the entity's ``_labels`` row).

The table is the ``findings`` rows (``run.FINDINGS_COLUMNS``), each id ``Finding.finding_id``'s; a
test holds every macro to its Python counterpart over random text and numbers
(``tests/detect/test_bulk.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from diversion.detect.finding import Finding
from diversion.engine.duckdb import arrow_of
from diversion.read.money import SYMBOLS

#: The escapes DuckDB writes in capitals and Python in small letters (control characters 0x0B, 0x0E, 0x0F,
#: 0x1A-0x1F; the others it writes as Python does: ``\n``, ``\u0001``).
_CAPITAL_ESCAPES = [f"\\u{code:04X}" for code in (0x0B, 0x0E, 0x0F, *range(0x1A, 0x20))]


def _python_escapes_sql() -> str:
    # JSON text holds no raw control character: each escaped backslash (``\\``) is held as one (0x01) while the
    # escapes are changed, so that text reading ``\u000B`` (an escaped backslash, then ``u000B``) stays as it is.
    text = "replace(j, '\\\\', chr(1))"
    for escape in _CAPITAL_ESCAPES:
        text = f"replace({text}, '{escape}', '{escape.lower()}')"
    return f"replace({text}, chr(1), '\\\\')"


def _symbol_sql() -> str:
    cases = " ".join(f"WHEN '{code}' THEN '{sign}'" for code, sign in SYMBOLS.items())
    return f"CASE currency {cases} ELSE currency || ' ' END"


#: ``money``'s three significant digits: size / limit, with 2 digits under 10 (not for k), 1 under 100, else 0.
_SCALED = """CASE WHEN scaled < 10 AND suffix <> 'k' THEN format('{:,.2f}', scaled)
                  WHEN scaled < 100 THEN format('{:,.1f}', scaled) ELSE format('{:,.0f}', scaled) END || suffix"""

_MACROS = f"""
CREATE MACRO python_escapes(j) AS CASE WHEN contains(j, '\\u00') THEN {_python_escapes_sql()} ELSE j END;
CREATE MACRO py_json(s) AS coalesce(python_escapes(to_json(s::VARCHAR)), 'null');
CREATE MACRO py_json_list(l) AS coalesce(python_escapes(to_json(l::VARCHAR[])), 'null');
CREATE MACRO settled(x) AS printf('%.12g', x)::DOUBLE;
CREATE MACRO orjson_small(j) AS CASE WHEN NOT regexp_matches(j, '^-?0\\.0') THEN j ELSE
    replace(regexp_replace(j, '^(-?)0\\.(0*)([0-9])([0-9]*)$', '\\1\\3.\\4e-'), '.e', 'e')
    || (len(regexp_extract(j, '^-?0\\.(0*)', 1)) + 1) END;
CREATE MACRO ten_digits_json(x) AS CASE  -- x: a float of at most 10 significant digits
    WHEN x IS NULL OR NOT isfinite(x) THEN 'null'
    WHEN abs(x) >= 1e16 THEN printf('%.10g', x)
    WHEN abs(x) < 1e-5 AND x <> 0 THEN orjson_small(to_json(x)::VARCHAR)
    ELSE to_json(x)::VARCHAR END;
CREATE MACRO evidence_number(x) AS ten_digits_json(printf('%.10g', settled(x))::DOUBLE);
CREATE MACRO money_symbol(currency) AS {_symbol_sql()};
CREATE MACRO money_scaled(scaled, suffix) AS {_SCALED};
CREATE MACRO money_sized(sign, size, currency) AS sign || money_symbol(currency) || CASE
    WHEN isnan(size) THEN format('{{:,.0f}}', size)  -- DuckDB orders NaN above every number, Python below none
    WHEN size >= 1e9 THEN money_scaled(size / 1e9, 'bn')
    WHEN size >= 1e6 THEN money_scaled(size / 1e6, 'm')
    WHEN size >= 1e3 THEN money_scaled(size / 1e3, 'k')
    ELSE format('{{:,.0f}}', size) END;
CREATE MACRO money_text(value, currency) AS CASE WHEN value IS NULL THEN '-'
    ELSE money_sized(CASE WHEN settled(value) < 0 THEN '-' ELSE '' END, abs(settled(value)), currency) END;
CREATE MACRO shown_name(entity_id, node_id, label) AS CASE
    WHEN node_id IS NULL THEN coalesce(entity_id, '?') ELSE coalesce(label, 'None') END;
"""


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the macros (every core: the rows are this process's)."""
    con = duckdb.connect()
    con.execute(_MACROS)
    return con


def made(detector: str, select: str, params: Mapping[str, Any], tables: Mapping[str, pa.Table]) -> pa.Table:
    """The ``findings`` rows of ``select``, which reads ``tables`` by their names (``_rows``, ``_labels``, ...).

    ``select`` returns ``entity_id``, ``score``, ``summary`` and ``evidence`` (JSON text, written with the
    macros), with ``params`` by name (``$name``; ``$detector`` is the detector's). Scores are clipped to 0..1
    and rounded to 4 places as ``Finding`` does (``round``: the exact binary value, ties to even, as ``printf``
    writes it, not DuckDB's ``round``, which scales first; NaN is 0, as Python's ``max(0.0, nan)`` gives);
    each id is ``Finding.finding_id``'s.
    """
    con = connect()
    try:
        for name, table in tables.items():
            con.register(name, table)
        key = "'[' || py_json($detector) || ', ' || py_json(entity_id) || ', ' || py_json(summary) || ']'"
        # One query, not a table of the findings then their ids: writing 856,000 evidence texts to a table took
        # longer than making them.
        result = con.execute(f"""
            SELECT $detector || ':' || sha1({key})[1:16] AS finding_id, $detector::VARCHAR AS detector,
                   entity_id::VARCHAR AS entity_id,
                   printf('%.4f', CASE WHEN isnan(score::DOUBLE) THEN 0.0
                                    ELSE least(1.0, greatest(0.0, score::DOUBLE)) END)::DOUBLE AS score,
                   summary::VARCHAR AS summary, evidence::VARCHAR AS evidence
            FROM ({select})""", {**params, "detector": detector})
        return arrow_of(result)
    finally:
        con.close()


def as_findings(rows: pa.Table) -> Iterator[Finding]:
    """``made``'s rows as findings, evidence read back as a detector writes it (``facts`` a dictionary)."""
    for detector, entity_id, score, summary, text in zip(
            *(rows.column(c).to_pylist() for c in ("detector", "entity_id", "score", "summary", "evidence")),
            strict=True):
        evidence = orjson.loads(text)
        if isinstance(evidence.get("facts"), list):
            evidence["facts"] = {label: value for label, value in evidence["facts"]}
        yield Finding(detector, entity_id, score, summary, evidence)
