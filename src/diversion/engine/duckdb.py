"""The embedded default engine: one DuckDB file."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from diversion.engine.base import Engine, Staged
from diversion.engine.linkage import InProcessLinkage, ram_share
from diversion.engine.schema import STAGE_KEYS, STAGE_TABLES, TABLES, create_sql
from diversion.errors import WarehouseError

#: The automatic memory limit of the warehouse connection: a third of the machine's memory, at most this.
MAX_WAREHOUSE_MEMORY_GIB = 6.0


def arrow_of(result: duckdb.DuckDBPyConnection) -> pa.Table:
    """A query's whole result as one Arrow table."""
    # duckdb 1.5 names it to_arrow_table (fetch_arrow_table is deprecated); .arrow() may be a reader.
    data = result.to_arrow_table() if hasattr(result, "to_arrow_table") else result.arrow()
    return data.read_all() if isinstance(data, pa.RecordBatchReader) else data


def warehouse_memory_limit(configured: str = "") -> str:
    """DuckDB ``memory_limit`` of a warehouse connection: ``configured``, else a third of RAM up to 6 GiB.

    DuckDB's own default (80 % of RAM) let one stage of a 10M-row run take 10 to 15 GiB; bounded, DuckDB
    spills its large joins and aggregates to ``<warehouse>.tmp`` and the Python side keeps its share.
    """
    return configured or ram_share(3, MAX_WAREHOUSE_MEMORY_GIB)


def _open_error(path: str, read_only: bool, exc: duckdb.Error) -> str:
    """Why a warehouse could not be opened, in words: a lock held by another process is named as such."""
    if "conflicting lock" in str(exc).lower():
        pid = str(exc).split("(PID ", 1)[-1].split(")", 1)[0] if "(PID " in str(exc) else "?"
        if read_only:
            return (f"warehouse {path} is being written by another diversion command (process {pid}); "
                    "retry when it has finished")
        return (f"warehouse {path} is open in another process ({pid}), e.g. `diversion serve`; this command "
                "writes, so stop that process first (read-only commands such as status, lead, path and "
                "screen work beside it)")
    return f"cannot open warehouse {path}: {exc}"


#: Names of scratch catalogs: unique in the process (catalogs are shared by every connection of a database).
_SCRATCH_IDS = itertools.count(1)


#: DuckDB's compression methods for text (``plain_text`` turns them off).
_TEXT_COMPRESSION = ("fsst", "dict_fsst")


class DuckDBEngine(Engine):
    """Runs the pipeline's SQL on a DuckDB database file (or ``:memory:``)."""

    name = "duckdb"
    interactive = True
    single_file = True
    cheap_row_deletes = True

    def __init__(self, path: str | Path = ":memory:", read_only: bool = False, *,
                 connection: duckdb.DuckDBPyConnection | None = None, memory_limit: str = "") -> None:
        """Open the warehouse file at ``path``, creating every missing contract table unless ``read_only``.

        ``connection``: run on this connection (a cursor of another engine's,
        see ``worker``) instead of opening the file; nothing is created.
        ``memory_limit``: DuckDB's ``memory_limit`` (``"6GB"``); empty: ``warehouse_memory_limit``'s.
        """
        self.path = str(path)
        self.read_only = read_only
        self._depth = 0
        #: Tables found to exist in a read-only warehouse: nothing can drop them while it is open read-only
        #: (DuckDB's file lock keeps writers out), and the lookup costs 1 ms, several per web request.
        #: Shared with the engine's workers.
        self._tables_found: set[str] = set()
        if connection is not None:
            self.con = connection
            return
        config: dict[str, str | bool | int | float | list[str]] = {}
        limit = warehouse_memory_limit(memory_limit)
        if limit:
            config["memory_limit"] = limit
        if not read_only:
            # A new file gets DuckDB's current format: its dictionary+FSST strings made a 1M-row insert ~17 % cheaper
            # (compression analysis is most of a large insert). An existing file keeps the format it has.
            config["storage_compatibility_version"] = "latest"
        try:
            self.con = duckdb.connect(self.path, read_only=read_only, config=config)
        except duckdb.Error as exc:
            raise WarehouseError(_open_error(self.path, read_only, exc)) from exc
        if not read_only:
            # Every contract table exists from the start (empty until its stage runs),
            # so readers never special-case a missing table.
            for name in [*TABLES, *STAGE_TABLES]:
                self.con.execute(create_sql(name))
            self._drop_key_indexes()

    def _drop_key_indexes(self) -> None:
        """Rewrite, once, a stage table that an older version made with a primary key (``schema.STAGE_KEYS``):
        its index made every row an update deletes or inserts slow, and a table keeps its index until dropped."""
        indexed = [r[0] for r in self.con.execute(
            "SELECT DISTINCT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
            "AND schema_name = 'main' AND database_name = current_database()").fetchall() if r[0] in STAGE_KEYS]
        for name in indexed:
            try:
                with self.transaction():
                    self.con.execute(f"CREATE OR REPLACE TEMP TABLE _unindexed AS SELECT * FROM {name}")
                    self.con.execute(f"DROP TABLE {name}")
                    self.con.execute(create_sql(name))
                    self.con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _unindexed")
            except duckdb.Error:  # columns of a much older version: the table stays as it was, until its stage runs
                pass
            finally:
                self.con.execute("DROP TABLE IF EXISTS _unindexed")

    def file_path(self) -> Path | None:
        """The warehouse file (``None`` in memory)."""
        return None if self.path == ":memory:" else Path(self.path)

    def _run(self, sql: str, params: Sequence[Any] | None) -> duckdb.DuckDBPyConnection:
        try:
            return self.con.execute(sql, list(params) if params is not None else None)
        except duckdb.Error as exc:
            if self.on_error is not None:
                raise self.on_error(sql, exc) from exc
            short = " ".join(sql.split())[:300]
            raise WarehouseError(f"query failed: {exc}\n  SQL: {short}") from exc

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self._run(sql, params)

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        result = self._run(sql, params)
        try:
            return arrow_of(result)
        except duckdb.Error as exc:  # e.g. the connection closed under a reader thread (a server shutting down)
            raise WarehouseError(f"query failed while reading its result: {exc}") from exc

    def fetch_batches(self, sql: str, params: Sequence[Any] | None = None,
                      rows: int = 50_000) -> Iterator[pa.RecordBatch]:
        result = self._run(sql, params)
        # duckdb 1.5 names it to_arrow_reader (fetch_record_batch is deprecated)
        reader = result.to_arrow_reader(rows) if hasattr(result, "to_arrow_reader") else result.fetch_record_batch(rows)
        yield from reader

    def fetch_dicts(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        # DuckDB's own row conversion: 4x less CPU than through Arrow for the small results the web app and
        # the report read (1.1 → 0.25 ms a lookup; the web app makes ten per entity page).
        result = self._run(sql, params)
        columns = [d[0] for d in result.description or []]
        out: list[dict[str, Any]] = []
        try:
            # In slices: a large result never holds its rows twice (as tuples and as dictionaries).
            while rows := result.fetchmany(10_000):
                out.extend(dict(zip(columns, row, strict=True)) for row in rows)
        except duckdb.Error as exc:
            raise WarehouseError(f"query failed while reading its result: {exc}") from exc
        return out

    def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self._run(sql, params).fetchall()

    def insert_arrow(self, table: str, data: pa.Table) -> int:
        if data.num_rows == 0:
            return 0
        cols = ", ".join(f'"{c}"' for c in data.column_names)
        self.con.register("_diversion_insert", data)
        try:
            self._run(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _diversion_insert", None)
        finally:
            self.con.unregister("_diversion_insert")
        return int(data.num_rows)

    def sync_arrow(self, table: str, data: pa.Table, key: str) -> int:
        held = [d[0] for d in self._run(f"SELECT * FROM {table} LIMIT 0", None).description or []]
        if sorted(held) != sorted(data.column_names) or not self.count(table):
            return self.replace_arrow(table, data)
        cols = ", ".join(f'"{c}"' for c in data.column_names)
        # A row is unchanged when every column is the same (NULL as NULL): rows that changed or went are
        # deleted by key, and the rows the table does not hold as they are are written.
        same = " AND ".join(f't."{c}" IS NOT DISTINCT FROM n."{c}"' for c in data.column_names)
        self.con.register("_diversion_sync", data)
        try:
            with self.transaction():
                self._run(f"DELETE FROM {table} WHERE {key} IN (SELECT t.{key} FROM {table} t "
                          f"ANTI JOIN _diversion_sync n ON {same})", None)
                written = self._run(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _diversion_sync n "
                                    f"ANTI JOIN {table} t ON t.{key} = n.{key}", None).fetchone()
        finally:
            self.con.unregister("_diversion_sync")
        return int(written[0]) if written else 0

    def insert_new(self, table: str, data: pa.Table | Staged, key: str) -> int:
        if data.num_rows == 0:
            return 0
        before = self.count(table)
        if isinstance(data, Staged):
            self._insert_new_from(table, data.relation, data.columns, key, before)
            return self.count(table) - before
        self.con.register("_diversion_incoming", data)
        try:
            self._insert_new_from(table, "_diversion_incoming", data.column_names, key, before)
        finally:
            self.con.unregister("_diversion_incoming")
        return self.count(table) - before

    def _insert_new_from(self, table: str, incoming: str, columns: list[str], key: str, before: int) -> None:
        cols = ", ".join(f'"{c}"' for c in columns)
        # The window and the anti-join are the costly parts of a large load: run
        # each only when it can change the result.
        repeats = self.scalar(f"SELECT count({key}) - count(DISTINCT {key}) FROM {incoming}")
        source = incoming
        if repeats:  # the first of a file's repeated rows is kept (by line, where rows have one)
            order = " ORDER BY line" if "line" in columns else ""
            source = (f"(SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY {key}{order}) AS _n"
                      f" FROM {incoming}) WHERE _n = 1)")
        if before:
            source = f"(SELECT i.* FROM {source} i ANTI JOIN {table} t ON i.{key} = t.{key})"
        self._run(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {source}", None)

    @contextmanager
    def scratch(self) -> Iterator[duckdb.DuckDBPyConnection]:
        # An in-memory catalog of the warehouse's database: bounded by its memory limit (spilling to
        # ``<db>.tmp``), and readable by the warehouse connection, so parsed rows never leave DuckDB.
        name = f"_diversion_scratch_{next(_SCRATCH_IDS)}"
        home = self.con.execute("SELECT current_database()").fetchone()
        cursor = self.con.cursor()
        try:
            cursor.execute(f"ATTACH ':memory:' AS {name}")
            cursor.execute(f"USE {name}")
            yield cursor
        finally:
            try:
                catalog = (home[0] if home else "memory").replace('"', '""')
                cursor.execute(f'USE "{catalog}"')
                cursor.execute(f"DETACH DATABASE IF EXISTS {name}")
            finally:
                cursor.close()

    def reset_table(self, table: str) -> None:
        self._run(f"DROP TABLE IF EXISTS {table}", None)
        self._run(create_sql(table), None)

    def table_exists(self, table: str) -> bool:
        if table in self._tables_found:
            return True
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_catalog <> 'temp'", [table]
        ).fetchone()
        if row and row[0]:
            if self.read_only:
                self._tables_found.add(table)
            return True
        row = self.con.execute(  # a temporary table of this connection: never remembered (it may be dropped)
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchone()
        return bool(row and row[0])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        # Nested use joins the outer transaction (DuckDB has no savepoints).
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")
        finally:
            self._depth = 0

    @contextmanager
    def worker(self) -> Iterator[DuckDBEngine]:
        """An engine on its own cursor of this connection: DuckDB cursors are safe to use from one thread each."""
        try:
            cursor = self.con.cursor()
        except duckdb.Error as exc:  # closed meanwhile (a server shutting down)
            raise WarehouseError(f"warehouse {self.path} is closed ({exc})") from exc
        engine = DuckDBEngine(self.path, self.read_only, connection=cursor)
        engine.on_error = self.on_error
        engine._tables_found = self._tables_found
        try:
            yield engine
        finally:
            cursor.close()

    @contextmanager
    def plain_text(self) -> Iterator[None]:
        # DuckDB compresses text with FSST (alone or over a dictionary) when it writes a row group, and again
        # when a checkpoint compacts row groups that lost rows: at 10M shipment rows, after an update made a
        # third of the findings again, 6-8 s of closing, against under 1 s plain, for 0.6 GB more on disk (15 %).
        # The checkpoint runs here, while the methods are off: at close they would be on again.
        if self.read_only:
            yield
            return
        before = str(self.fetch_all("SELECT current_setting('disabled_compression_methods')")[0][0])
        methods = ",".join(dict.fromkeys(m for m in [*before.split(","), *_TEXT_COMPRESSION] if m))
        self._run(f"SET disabled_compression_methods = '{methods}'", None)
        try:
            yield
            if not self._depth:  # inside a transaction the checkpoint is at its end, at the latest at close
                self._run("CHECKPOINT", None)
        finally:
            self._run(f"SET disabled_compression_methods = '{before}'", None)

    def limit_threads(self, threads: int) -> None:
        self._run(f"SET threads = {max(1, int(threads))}", None)

    def linkage(self, memory_limit: str = "") -> InProcessLinkage:
        # Splink's own in-memory database, not the warehouse file: its tables are scratch, and GBs at scale.
        return InProcessLinkage(memory_limit)

    def close(self) -> None:
        self.con.close()
