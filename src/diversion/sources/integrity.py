"""Is the warehouse exactly its files? Rows without a recorded file, counts that do not add up, and repair.

A load writes a file's rows, then its quarantine rows, then its ``sources``
row, all in one transaction; the ``sources`` row is the load's commit marker.
DuckDB commits the three together, but a process killed around the commit
has been seen to leave the rows without their ``sources`` row (DuckDB writes
large inserts to the database file before the commit, optimistically), and
the Spark engine has no transactions at all: a killed load there leaves the
Parquet files it had written. Either way what is left is rows whose
``source_id`` no file in ``sources`` has: *orphans*.

Before its transaction, a load records its file in ``pending_loads`` (its own
commit); after its commit it removes that row. A pending file that ``sources``
does not record is a load that was killed: ``remove_interrupted_loads`` deletes
its rows, before every ingest and whenever the CLI opens a warehouse for
writing, so no stage reads them and the file loads anew. Orphans of any other
origin (rows put in by hand or by a tool) are reported, never removed
silently: ``diversion check --repair`` removes them.

``check_warehouse`` lists what breaks the promise: orphan rows, and files
whose counts do not add up (``rows_read = rows_loaded + rows_quarantined +
rows_duplicate``; the quarantine rows and the stored rows of the file's
counted tables match its counts). ``diversion status`` shows the problems,
``diversion check`` exits non-zero on any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from diversion.engine import Engine
from diversion.engine.schema import CHILD_TABLES, LOADED_TABLES

#: Every table whose rows carry the ``source_id`` of the file they came from.
PROVENANCE_TABLES = (*LOADED_TABLES, "quarantine")


@dataclass(frozen=True)
class Problem:
    """One way the warehouse is not exactly its files."""

    kind: str  # "orphan rows" or "counts"
    detail: str
    table: str | None = None
    source_id: str | None = None
    path: str | None = None
    rows: int = 0


def counted_tables(kind: str, fmt: str) -> tuple[frozenset[str], bool]:
    """The tables holding a file's records (its ``rows_loaded``), and whether the count is exact.

    FtM files fold helper entities and repeated ids into other rows, counted as
    loaded but not stored: their stored rows can only be fewer. A kind this
    module does not know is checked against every primary loaded table, as an
    upper bound.
    """
    if fmt == "ftm":
        first = "sanctions" if kind == "sanctions" else "registry_entities"
        return frozenset({first, "registry_links"}), False
    ofac = {"ofac-sdn": "sanctions", "ofac-alt": "sanction_names", "ofac-add": "sanction_addresses"}
    if fmt in ofac:
        return frozenset({ofac[fmt]}), True
    if kind == "registry":
        return frozenset({"registry_links" if fmt == "csv-ownership" else "registry_entities"}), True
    single = {"shipments": "shipments", "rates": "rates", "web": "web_evidence", "distributors": "distributors"}
    if kind in single:
        return frozenset({single[kind]}), True
    return frozenset(t for t in LOADED_TABLES if t not in CHILD_TABLES), False


def _literal_list(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def orphans(engine: Engine) -> dict[str, dict[str | None, int]]:
    """Rows per table and ``source_id`` whose file is not recorded in ``sources`` (``None``: no source_id)."""
    # One query for all tables (one Spark job, not eleven): an anti-join on the small sources table each,
    # written so both engines run it without a correlated subquery.
    parts = [
        f"SELECT '{table}' AS tbl, t.source_id AS sid, count(*) AS n FROM {table} t "
        f"LEFT JOIN sources s ON s.source_id = t.source_id WHERE s.source_id IS NULL GROUP BY t.source_id"
        for table in PROVENANCE_TABLES if engine.table_exists(table)
    ]
    out: dict[str, dict[str | None, int]] = {}
    for table, sid, n in engine.fetch_all(" UNION ALL ".join(parts)) if parts else []:
        out.setdefault(table, {})[sid] = int(n)
    return out


def remove_orphans(engine: Engine) -> dict[str, int]:
    """Delete every row whose file is not in ``sources`` (``diversion check --repair``); rows removed per table.

    Cheap when there is nothing to remove: one query, no write.
    """
    removed: dict[str, int] = {}
    found = orphans(engine)
    if not found:
        return removed
    with engine.transaction():
        for table, by_source in found.items():
            ids = [sid for sid in by_source if sid is not None]
            conditions = [f"source_id IN ({_literal_list(ids)})"] if ids else []
            if None in by_source:
                conditions.append("source_id IS NULL")
            _forget_shipment_entities(engine, table, " OR ".join(conditions))
            engine.execute(f"DELETE FROM {table} WHERE {' OR '.join(conditions)}")
            removed[table] = sum(by_source.values())
    return removed


def _forget_shipment_entities(engine: Engine, table: str, condition: str) -> None:
    """Before shipments meeting ``condition`` are deleted, delete their ``shipment_entities`` rows.

    An update's resolve makes again only the rows of shipments that have none or whose party moved
    (``resolve.entities.shipment_entities_update_sql``): a record id loaded again later, naming other
    parties, must not find the removed declaration's row. (Spark rebuilds the table in full each resolve.)
    """
    if table == "shipments" and engine.cheap_row_deletes and engine.table_exists("shipment_entities"):
        engine.execute(f"DELETE FROM shipment_entities WHERE record_id IN "
                       f"(SELECT record_id FROM shipments WHERE {condition})")


def begin_load(engine: Engine, source_id: str, path: str) -> None:
    """Record, in its own commit, that the file ``source_id`` is about to be loaded."""
    with engine.transaction():
        engine.execute("INSERT INTO pending_loads VALUES (?, ?, ?)", [source_id, path, datetime.now()])


def end_load(engine: Engine, source_id: str) -> None:
    """Forget the pending mark of a load that committed (or failed cleanly: nothing of it was written)."""
    with engine.transaction():
        engine.execute("DELETE FROM pending_loads WHERE source_id = ?", [source_id])


def remove_interrupted_loads(engine: Engine) -> dict[str, int]:
    """Delete the rows of loads that were killed (pending, not in ``sources``); returns rows removed per table.

    One small query when no load is pending, which is always but after a crash.
    """
    if not engine.table_exists("pending_loads") or not engine.scalar("SELECT count(*) FROM pending_loads"):
        return {}
    killed = [sid for (sid,) in engine.fetch_all(
        "SELECT DISTINCT p.source_id FROM pending_loads p LEFT JOIN sources s ON s.source_id = p.source_id "
        "WHERE s.source_id IS NULL")]
    removed: dict[str, int] = {}
    with engine.transaction():
        if killed:
            ids = _literal_list(killed)
            for table, by_source in orphans(engine).items():
                n = sum(count for sid, count in by_source.items() if sid in killed)
                if n:
                    _forget_shipment_entities(engine, table, f"source_id IN ({ids})")
                    engine.execute(f"DELETE FROM {table} WHERE source_id IN ({ids})")
                    removed[table] = n
        engine.execute("DELETE FROM pending_loads")
    return removed


def _per_source(engine: Engine, table: str) -> dict[str, int]:
    if not engine.table_exists(table):
        return {}
    return {sid: int(n) for sid, n in engine.fetch_all(f"SELECT source_id, count(*) FROM {table} GROUP BY source_id")}


def count_problems(engine: Engine) -> list[Problem]:
    """Files whose recorded counts do not add up, or do not match the rows the warehouse holds for them."""
    sources: list[dict[str, Any]] = engine.fetch_dicts(
        "SELECT source_id, path, kind, format, rows_read, rows_loaded, rows_quarantined, rows_duplicate "
        "FROM sources ORDER BY path, source_id"
    )
    if not sources:
        return []
    quarantined = _per_source(engine, "quarantine")
    stored: dict[str, dict[str, int]] = {}
    problems: list[Problem] = []
    for s in sources:
        sid, path = s["source_id"], s["path"]

        def problem(detail: str, sid: str = sid, path: str = path) -> None:
            problems.append(Problem("counts", detail, source_id=sid, path=path))

        total = s["rows_loaded"] + s["rows_quarantined"] + s["rows_duplicate"]
        if s["rows_read"] != total:
            problem(f"read {s['rows_read']:,} but loaded + quarantined + duplicate = {total:,}")
        if quarantined.get(sid, 0) != s["rows_quarantined"]:
            problem(f"{s['rows_quarantined']:,} rows recorded as quarantined, "
                    f"{quarantined.get(sid, 0):,} in the quarantine table")
        tables, exact = counted_tables(s["kind"], s["format"])
        held = 0
        for table in sorted(tables):
            if table not in stored:
                stored[table] = _per_source(engine, table)
            held += stored[table].get(sid, 0)
        if held > s["rows_loaded"] or (exact and held != s["rows_loaded"]):
            problem(f"{s['rows_loaded']:,} rows recorded as loaded, {held:,} in {', '.join(sorted(tables))}")
    return problems


def check_warehouse(engine: Engine) -> list[Problem]:
    """Everything that breaks "the warehouse is exactly its files": orphan rows, then count mismatches."""
    problems = [
        Problem("orphan rows", f"{n:,} row(s) of {table} from a file not recorded in sources"
                + ("" if sid is not None else " (no source_id)"), table=table, source_id=sid, rows=n)
        for table, by_source in orphans(engine).items() for sid, n in sorted(by_source.items(), key=str)
    ]
    return problems + count_problems(engine)


def repair_warehouse(engine: Engine) -> dict[str, int]:
    """Remove every orphan row (``diversion check --repair``); returns rows removed per table.

    Files whose counts do not match are not touched: what they lack cannot be
    made up here. Re-ingest them after removing them, or rebuild the warehouse.
    """
    removed = remove_interrupted_loads(engine)
    for table, n in remove_orphans(engine).items():
        removed[table] = removed.get(table, 0) + n
    return removed
