"""The ``Engine`` seam: stages write SQL once (DuckDB dialect); engines run it.

An engine executes SQL, moves Arrow tables in and out, and wraps writes in a
transaction. ``DuckDBEngine`` is the embedded default; ``SparkEngine`` runs
the same statements after transpiling them with sqlglot.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa


class Engine(ABC):
    """The narrow contract every backend implements."""

    name: str = "abstract"

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
    def insert_new(self, table: str, data: pa.Table, key: str) -> int:
        """Append the rows of ``data`` whose ``key`` is not yet in ``table``.

        Rows repeating a key inside ``data`` are written once. Returns the
        number of rows written.
        """

    @abstractmethod
    def replace_arrow(self, table: str, data: pa.Table) -> None:
        """Replace the whole content of ``table`` with ``data``."""

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
    def close(self) -> None:
        """Release the connection."""

    # Helpers shared by every engine ------------------------------------------
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
