"""The ``Engine`` seam: stages write SQL once (DuckDB dialect); engines run it.

An engine executes SQL, moves Arrow tables in and out, and wraps writes in a
transaction. ``DuckDBEngine`` is the embedded default; ``SparkEngine`` runs
the same statements after transpiling them with sqlglot.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from diversion.engine.linkage import LinkageBackend
    from diversion.errors import WarehouseError


@dataclass
class Staged:
    """Rows a parser left in the warehouse's own DuckDB database (a scratch catalog, ``Engine.scratch``).

    ``load_parsed`` inserts them with one statement inside the database: a
    million rows are not copied out to Arrow and back in (a third of a bare
    ingest's time). ``relation`` is the qualified table name; ``con`` the
    scratch connection that owns it.
    """

    con: Any
    relation: str
    columns: list[str]
    num_rows: int

    def to_arrow(self) -> pa.Table:
        """The rows as an Arrow table (for an engine that cannot read the scratch catalog)."""
        cols = ", ".join(f'"{c}"' for c in self.columns)
        table: pa.Table = self.con.execute(f"SELECT {cols} FROM {self.relation}").to_arrow_table()
        return table


class Engine(ABC):
    """The narrow contract every backend implements."""

    name: str = "abstract"
    #: Whether single-row lookups answer in milliseconds (an embedded database), so that a web server can
    #: read through it; a job engine (Spark) takes seconds per query.
    interactive: bool = False
    #: Whether the warehouse is the one file at ``--db``, so that its size and modification time tell
    #: whether it changed (caches derived from it are keyed on them).
    single_file: bool = False
    #: Whether deleting a few rows of a large table is cheap (DuckDB), not a rewrite of the whole table (Spark's
    #: Parquet tables): work that keeps most rows and replaces a few (``detect.carry``) is only worth it then.
    cheap_row_deletes: bool = False
    #: When set, a failed statement raises what this returns for ``(sql, error)`` instead of the engine's
    #: own message, which quotes the SQL (a server logs the SQL and tells its user what to do).
    on_error: Callable[[str, Exception], WarehouseError] | None = None

    def file_path(self) -> Path | None:
        """The warehouse's one file, for files kept beside it (``None``: not one file, or in memory)."""
        return None

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run a statement that returns nothing."""

    @abstractmethod
    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a query and return its result as an Arrow table."""

    @abstractmethod
    def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples."""

    @abstractmethod
    def insert_arrow(self, table: str, data: pa.Table) -> int:
        """Append an Arrow table to ``table`` (columns matched by name)."""

    @abstractmethod
    def insert_new(self, table: str, data: pa.Table | Staged, key: str) -> int:
        """Append the rows of ``data`` whose ``key`` is not yet in ``table``.

        Rows repeating a key inside ``data`` are written once. Returns the
        number of rows written. ``Staged`` rows come only from this engine's
        own ``scratch``.
        """

    @abstractmethod
    def reset_table(self, table: str) -> None:
        """Drop contract table ``table`` and create it again, empty, from its contract DDL.

        Stages that rebuild a table start here, so a warehouse made by an older
        version gains new columns and types stay as declared.
        """

    @abstractmethod
    def table_exists(self, table: str) -> bool:
        """Whether the warehouse holds ``table``."""

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all."""

    @abstractmethod
    def linkage(self, memory_limit: str = "") -> LinkageBackend:
        """A fresh Splink backend for resolve's linkage, running beside this engine.

        ``memory_limit``: of an in-process linkage database (empty: automatic);
        engines that link on their own cluster ignore it.
        """

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    # Helpers shared by every engine ------------------------------------------
    @contextmanager
    def scratch(self) -> Iterator[Any]:
        """A DuckDB connection whose default catalog is private and in memory, inside the warehouse's own
        database, for a parser's working tables (``Staged``); closed with everything in it after use.

        ``None`` where the warehouse is not a DuckDB database: parsers then work in one of their own.
        """
        yield None

    @contextmanager
    def worker(self) -> Iterator[Engine]:
        """An engine for one worker thread of a server, over this engine's open warehouse; released after use.

        An engine that is safe to share between threads (the default) is its own worker.
        """
        yield self

    @contextmanager
    def plain_text(self) -> Iterator[None]:
        """Text written inside is stored as it is, without string compression, and made durable on leaving.

        For the stages that write many rows of text again after an update (``resolve``'s tables, a third of
        ``graph``'s edges and of ``detect``'s findings): compressing them costs more time than their disk
        space is worth. Engines without such a choice write as always.
        """
        yield

    def limit_threads(self, threads: int) -> None:
        """Run each query on at most ``threads`` threads (a server answering many small queries at once).

        Engines that schedule work on their own (a cluster) ignore it.
        """
        return  # a no-op by default, on purpose

    def replace_arrow(self, table: str, data: pa.Table) -> int:
        """Rewrite contract table ``table`` with ``data`` (columns matched by name); returns the rows written.

        The table is recreated from its contract DDL first (``reset_table``), so a
        warehouse made by an older version gains new columns and types and keys
        stay as declared; both steps commit together.
        """
        with self.transaction():
            self.reset_table(table)
            return self.insert_arrow(table, data)

    def sync_arrow(self, table: str, data: pa.Table, key: str) -> int:
        """Make contract table ``table`` hold exactly ``data``'s rows; returns the rows written.

        ``key``: a column no two rows of ``data`` share. Where rows are cheap to delete
        (``cheap_row_deletes``) and the table has ``data``'s columns, only the rows that
        changed are deleted and written (an update rewrites a few percent of a resolve's
        tables); otherwise the table is replaced (``replace_arrow``). The rows are the same.
        """
        return self.replace_arrow(table, data)

    def fetch_batches(self, sql: str, params: Sequence[Any] | None = None,
                      rows: int = 50_000) -> Iterator[pa.RecordBatch]:
        """Run a query and yield its result in Arrow batches of at most ``rows`` rows.

        Engines that can stream (DuckDB) never hold the whole result; the
        default fetches it whole, then slices it.
        """
        yield from self.fetch_arrow(sql, params).to_batches(max_chunksize=rows)

    def fetch_dicts(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        """Run a query and return its rows as dictionaries."""
        rows: list[dict[str, Any]] = self.fetch_arrow(sql, params).to_pylist()
        return rows

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """The first column of the first row, or ``None``."""
        rows = self.fetch_all(sql, params)
        return rows[0][0] if rows else None

    def count(self, table: str) -> int:
        """Number of rows in ``table`` (0 when it does not exist)."""
        if not self.table_exists(table):
            return 0
        return int(self.scalar(f"SELECT count(*) FROM {table}") or 0)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
