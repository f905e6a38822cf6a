"""The scale-out engine: Apache Spark (local mode or a cluster), Parquet storage.

Stages write their SQL once in DuckDB's dialect; this engine transpiles each
statement with sqlglot (as Splink does) and runs it with Spark SQL. Every
warehouse table is a Parquet directory under the warehouse folder, registered
in Spark's session catalog when the engine opens, so a warehouse moves between
machines (and to a cluster's shared storage) as plain files.

Transactions: Spark has none. ``transaction()`` records the Parquet files each
table holds on entry and, on an error, deletes the files written since, so a
failed append (an ingest of one file) leaves nothing behind. Table replacement
(``CREATE OR REPLACE``, ``DELETE``, ``UPDATE``, ``reset_table``) writes a fresh
directory and swaps it in, so readers never see half a table; inside a
transaction the replaced directory is kept until commit and put back on an error.
"""

from __future__ import annotations

import functools
import re
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from diversion.engine.base import Engine, Staged
from diversion.engine.linkage import SparkSessionLinkage
from diversion.engine.schema import STAGE_TABLES, TABLES, columns, create_sql
from diversion.engine.spark_sql import transpile
from diversion.errors import EngineUnavailable, WarehouseError


def _is_temp_table(tree: exp.Create) -> bool:
    props = tree.args.get("properties")
    return (tree.args.get("kind") or "").upper() == "TABLE" and props is not None and any(
        isinstance(p, exp.TemporaryProperty) for p in props.expressions)


def _spark_ddl(name: str, location: Path) -> str:
    """The contract table as a Spark Parquet table (Spark has no key or NOT NULL constraints)."""
    ddl = re.sub(r"--[^\n]*", "", create_sql(name))
    ddl = re.sub(r",\s*PRIMARY KEY\s*\([^)]*\)", "", ddl)
    ddl = re.sub(r"\b(PRIMARY KEY|NOT NULL)\b", "", ddl)
    ddl = re.sub(r"\bJSON\b", "VARCHAR", ddl)  # Spark has no JSON type; JSON is stored as text
    sql = sqlglot.transpile(ddl, read="duckdb", write="spark")[0]
    return f"{sql} USING parquet LOCATION '{location.as_posix()}'"


def spark_error(exc: BaseException, sql: str = "") -> WarehouseError:
    """A one-paragraph warehouse error for a Spark failure; running out of memory says what to raise."""
    text = str(exc).strip()
    if "OutOfMemoryError" in text:
        first = ("Spark ran out of memory. Give the driver more (spark_driver_memory in the config or "
                 "DIVERSION_SPARK_DRIVER_MEMORY, default 4g) or run on a cluster (--spark-master)")
    else:
        first = text.splitlines()[0] if text else type(exc).__name__
    return WarehouseError(f"Spark query failed: {first}" + (f"\n  SQL: {' '.join(sql.split())[:300]}" if sql else ""))


def _spark_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """Raise an Engine method's Spark failures as ``WarehouseError`` (queries run lazily: at write or fetch)."""

    @functools.wraps(method)
    def wrapper(self: SparkEngine, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except WarehouseError:
            raise
        except Exception as exc:  # noqa: BLE001 - py4j and Spark errors
            raise spark_error(exc, args[0] if args and isinstance(args[0], str) else "") from exc

    return wrapper


def _plain_types(data: pa.Table) -> pa.Table:
    """``data`` with extension columns as their storage (Spark converts no Arrow extension type).

    DuckDB writes its JSON columns to Parquet as ``arrow.json`` (text underneath): a
    warehouse exported by DuckDB is imported into Spark as that text.
    """
    for i, field in enumerate(data.schema):
        if isinstance(field.type, pa.BaseExtensionType):
            column = data.column(i)
            storage = pa.chunked_array([chunk.storage for chunk in column.chunks], type=field.type.storage_type)
            data = data.set_column(i, pa.field(field.name, field.type.storage_type), storage)
    return data


def recover_interrupted_swaps(root: Path, tables: list[str]) -> list[str]:
    """Put back the folders of tables whose swap a killed process interrupted; returns the tables restored.

    A swap (``_swap``) moves a table's folder aside (``.NAME.tx-*`` inside a
    transaction) and renames a freshly written ``.NAME.<id>`` into its place. A
    process killed between the two leaves no ``NAME`` folder: the folder moved
    aside is the table as it was, so it is put back. Left-over folders of
    either kind are removed.
    """
    restored = []
    for name in tables:
        aside = sorted(root.glob(f".{name}.tx-*"))
        if aside and not (root / name).exists():
            aside.pop().rename(root / name)
            restored.append(name)
        for folder in [*aside, *root.glob(f".{name}.????????")]:
            shutil.rmtree(folder, ignore_errors=True)
    return restored


class SparkEngine(Engine):
    """Runs the pipeline's SQL on Spark; tables are Parquet directories under ``root``."""

    name = "spark"

    def __init__(self, root: str | Path, master: str = "local[2]", read_only: bool = False,
                 driver_memory: str = "4g") -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EngineUnavailable(
                "the Spark engine needs PySpark: pip install 'diversion[spark]' (and a Java 17 runtime)"
            ) from exc
        self.root = Path(root).absolute()
        self.root.mkdir(parents=True, exist_ok=True)
        self.read_only = read_only
        builder = SparkSession.builder.master(master).appName("diversion")
        if master.startswith("local"):
            # One machine: few shuffle partitions, no UI, and a driver heap (it is the executor too) larger
            # than Spark's 1 GiB default. A cluster keeps its own spark-defaults.conf.
            builder = (builder.config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
                       .config("spark.driver.memory", driver_memory))
        try:
            self.spark = (
                builder
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.warehouse.dir", str(self.root / "_spark_catalog"))
                .config("spark.sql.ansi.enabled", "false")
                .config("spark.sql.jsonGenerator.ignoreNullFields", "false")  # to_json keeps nulls, as DuckDB does
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")  # Arrow in and out, not row pickling
                .config("spark.log.level", "ERROR")
                .config("spark.ui.showConsoleProgress", "false")
                .getOrCreate()
            )
        except Exception as exc:  # noqa: BLE001 - Java/py4j failures have many types
            raise EngineUnavailable(f"cannot start Spark ({master}): {exc}") from exc
        self.spark.sparkContext.setLogLevel("ERROR")
        self._temps: set[str] = set()
        self._backups: dict[str, Path] | None = None  # inside a transaction: table → its folder before it
        shutil.rmtree(self.root / "_temp", ignore_errors=True)  # left by a process that did not close
        if not read_only:
            recover_interrupted_swaps(self.root, [*TABLES, *STAGE_TABLES])
        # Checkpoints (Splink's, on this session) are written by the executors and listed and read by the driver:
        # on a cluster only a folder both see works, and the warehouse is one. (Set per engine: the session is
        # shared by the process, and a later engine's warehouse may be elsewhere.)
        self.spark.sparkContext.setCheckpointDir(str(self.root / "_temp" / "checkpoints"))
        for name in [*TABLES, *STAGE_TABLES]:
            self._sql(f"DROP TABLE IF EXISTS {name}")
            self._sql(_spark_ddl(name, self.root / name))

    # --- plumbing --------------------------------------------------------------
    def _sql(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        try:
            if params:
                return self.spark.sql(sql, args=list(params))
            return self.spark.sql(sql)
        except Exception as exc:  # noqa: BLE001 - AnalysisException and py4j errors
            raise spark_error(exc, sql) from exc

    def _files(self, name: str) -> set[Path]:
        folder = self.root / name
        return set(folder.glob("*.parquet")) if folder.exists() else set()

    def _frame(self, data: pa.Table, table: str) -> Any:
        """An Arrow table as a Spark DataFrame in the column order of ``table``."""
        from pyspark.sql import functions as F

        data = _plain_types(data)
        schema = self.spark.table(table).schema
        view = f"_incoming_{uuid.uuid4().hex[:8]}"
        incoming = self.spark.createDataFrame(data) if data.num_rows else None
        cols = []
        for field in schema.fields:
            if incoming is not None and field.name in data.column_names:
                cols.append(F.col(field.name).cast(field.dataType).alias(field.name))
            else:
                cols.append(F.lit(None).cast(field.dataType).alias(field.name))
        if incoming is None:
            return self.spark.createDataFrame([], schema), view
        return incoming.select(*cols), view

    # --- the Engine contract -----------------------------------------------------
    @_spark_errors
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        tree = sqlglot.parse_one(sql, read="duckdb")
        if isinstance(tree, exp.Create) and _is_temp_table(tree):
            self._create_temp(tree, params)
            return
        if isinstance(tree, exp.Create) and tree.args.get("replace") and tree.expression is not None:
            # Spark's session catalog cannot REPLACE a Parquet table: compute, then swap.
            name = tree.this.name if isinstance(tree.this, exp.Table) else tree.this.this.name
            frame = self._sql(transpile(tree.expression.sql(dialect="duckdb")), params)
            self._swap(name, frame)
            return
        if isinstance(tree, exp.Delete | exp.Update):
            self._rewrite(tree, params)
            return
        self._sql(transpile(sql), params)

    def _create_temp(self, tree: exp.Create, params: Sequence[Any] | None) -> None:
        """A DuckDB ``TEMP TABLE`` as a Parquet table under ``_temp/``, dropped when the engine closes.

        A Parquet table rather than a temporary view, so later statements can
        insert into it, update it, and read it without recomputing its query.
        """
        target = tree.this
        name = target.this.name if isinstance(target, exp.Schema) else target.name
        self._temps.add(name)
        if tree.expression is not None:
            self._swap(name, self._sql(transpile(tree.expression.sql(dialect="duckdb")), params))
            return
        for column in target.find_all(exp.ColumnDef):  # Spark has no key or NOT NULL constraints
            column.set("constraints", [])
        location = self._location(name)
        self._sql(f"DROP TABLE IF EXISTS {name}")
        shutil.rmtree(location, ignore_errors=True)
        ddl = sqlglot.transpile(f"CREATE TABLE {target.sql(dialect='duckdb')}", read="duckdb", write="spark")[0]
        self._sql(f"{ddl} USING parquet LOCATION '{location.as_posix()}'")

    def _location(self, table: str) -> Path:
        return self.root / "_temp" / table if table in self._temps else self.root / table

    def _rewrite(self, tree: exp.Delete | exp.Update, params: Sequence[Any] | None) -> None:
        """DELETE and UPDATE as a rewrite of the table (Parquet tables are append-only in Spark)."""
        name = tree.this.name
        where = tree.args.get("where")
        cond = where.this.sql(dialect="duckdb") if where is not None else "TRUE"
        source = tree.args.get("from_") or tree.args.get("from")
        if not params:  # a rewrite costs the whole table: skip it when no row is touched (most re-runs)
            joined = f"{name}, {source.this.sql(dialect='duckdb')}" if source is not None else name
            if not self.fetch_all(f"SELECT 1 FROM {joined} WHERE coalesce(({cond}), FALSE) LIMIT 1"):
                return
        if isinstance(tree, exp.Delete):
            select = f"SELECT * FROM {name} WHERE NOT coalesce(({cond}), FALSE)"
        else:
            sets = {e.this.name: e.expression.sql(dialect="duckdb") for e in tree.expressions}
            if source is not None:
                self._update_from(name, sets, source.this.sql(dialect="duckdb"), cond, params)
                return
            cols = [
                f"CASE WHEN coalesce(({cond}), FALSE) THEN {sets[c]} ELSE {c} END AS {c}" if c in sets else c
                for c in self.spark.table(name).columns
            ]
            select = f"SELECT {', '.join(cols)} FROM {name}"
        self._swap(name, self._sql(transpile(select), params))

    def _update_from(self, name: str, sets: dict[str, str], source: str, cond: str,
                     params: Sequence[Any] | None) -> None:
        """``UPDATE t SET … FROM s WHERE …`` as a join: each target row takes the first matching source row.

        Rows get a fixed id (written once to Parquet under ``_temp/``, so the id
        cannot change between the two reads; a local checkpoint would hold the
        whole table in the executors' memory: 10M shipments overflowed a 4 GB
        heap), the matching rows compute the new values, and a left join writes
        them back; unmatched rows keep their values, as in DuckDB.
        """
        from pyspark.sql import functions as F

        view = f"_update_{uuid.uuid4().hex[:8]}"
        snapshot = self.root / "_temp" / view
        try:
            self.spark.table(name).withColumn("_rid", F.monotonically_increasing_id()).write.parquet(str(snapshot))
            self.spark.read.parquet(str(snapshot)).createOrReplaceTempView(view)
            values = ", ".join(f"({expr}) AS _set_{col}" for col, expr in sets.items())
            matched = (f"SELECT * FROM (SELECT {name}._rid, {values}, row_number() OVER (PARTITION BY {name}._rid"
                       f" ORDER BY {name}._rid) AS _n FROM {view} AS {name}, {source} WHERE {cond}) WHERE _n = 1")
            cols = [
                f"CASE WHEN u._rid IS NOT NULL THEN u._set_{c} ELSE b.{c} END AS {c}" if c in sets else f"b.{c}"
                for c in self.spark.table(name).columns
            ]
            select = f"SELECT {', '.join(cols)} FROM {view} b LEFT JOIN ({matched}) u ON b._rid = u._rid"
            self._swap(name, self._sql(transpile(select), params))
        finally:
            self.spark.catalog.dropTempView(view)
            shutil.rmtree(snapshot, ignore_errors=True)

    @_spark_errors
    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        return self._sql(transpile(sql), params).toArrow()

    @_spark_errors
    def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._sql(transpile(sql), params).collect()]

    @_spark_errors
    def insert_arrow(self, table: str, data: pa.Table) -> int:
        if data.num_rows == 0:
            return 0
        frame, _ = self._frame(data, table)
        frame.write.insertInto(table)
        return int(data.num_rows)

    @_spark_errors
    def insert_new(self, table: str, data: pa.Table | Staged, key: str) -> int:
        if data.num_rows == 0:
            return 0
        if isinstance(data, Staged):
            data = data.to_arrow()
        frame, view = self._frame(data, table)
        frame.createOrReplaceTempView(view)
        before = self.count(table)
        names = ", ".join(f"`{c}`" for c in columns(table))
        order = "`line`" if "line" in data.column_names else f"`{key}`"  # the first of a file's repeated rows
        self._sql(
            f"INSERT INTO {table} SELECT {names} FROM ("
            f" SELECT *, row_number() OVER (PARTITION BY `{key}` ORDER BY {order}) AS _n FROM {view}) i"
            f" WHERE _n = 1 AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.`{key}` = i.`{key}`)"
        )
        self.spark.catalog.dropTempView(view)
        self._sql(f"REFRESH TABLE {table}")
        return self.count(table) - before

    def _swap(self, table: str, frame: Any) -> None:
        """Write ``frame`` as the new content of ``table`` and swap directories."""
        target = self._location(table)
        target.parent.mkdir(parents=True, exist_ok=True)
        fresh = target.parent / f".{table}.{uuid.uuid4().hex[:8]}"
        frame.write.mode("overwrite").parquet(str(fresh))
        self._sql(f"DROP TABLE IF EXISTS {table}")
        self._retire(table, target)
        fresh.rename(target)
        self._register(table, target)

    def _retire(self, table: str, folder: Path) -> None:
        """Take ``table``'s folder out of use: kept until commit inside a transaction, else deleted."""
        if not folder.exists():
            return
        if self._backups is not None and table not in self._backups:
            backup = folder.parent / f".{table}.tx-{uuid.uuid4().hex[:8]}"
            folder.rename(backup)
            self._backups[table] = backup
            return
        shutil.rmtree(folder, ignore_errors=True)

    def _register(self, table: str, folder: Path) -> None:
        """Register ``folder`` as ``table`` in Spark's catalog (contract tables with their declared columns)."""
        if table in TABLES or table in STAGE_TABLES:
            self._sql(_spark_ddl(table, folder))
        else:
            self._sql(f"CREATE TABLE {table} USING parquet LOCATION '{folder.as_posix()}'")

    @_spark_errors
    def reset_table(self, table: str) -> None:
        self._sql(f"DROP TABLE IF EXISTS {table}")
        self._retire(table, self.root / table)
        self._register(table, self.root / table)

    def table_exists(self, table: str) -> bool:
        return bool(self.spark.catalog.tableExists(table))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._backups is not None:  # nested use joins the outer transaction
            yield
            return
        before = {name: self._files(name) for name in [*TABLES, *STAGE_TABLES]}
        self._backups = {}
        try:
            yield
        except BaseException:
            backups, self._backups = self._backups, None
            # The files are put back first: they are the warehouse. The catalog is only told afterwards, and a
            # Spark that died with the error (out of memory) must not hide it: the next open registers the folders.
            for name, files in before.items():
                if name in backups:  # replaced or reset: put the folder of before the transaction back
                    shutil.rmtree(self.root / name, ignore_errors=True)
                    backups[name].rename(self.root / name)
                    for path in self._files(name) - files:  # appended in this transaction before the swap
                        path.unlink(missing_ok=True)
                else:
                    for path in self._files(name) - files:  # appended: delete the files written since
                        path.unlink(missing_ok=True)
            for name in before:
                try:
                    if name in backups:
                        self._sql(f"DROP TABLE IF EXISTS {name}")
                        self._register(name, self.root / name)
                    elif self.table_exists(name):
                        self._sql(f"REFRESH TABLE {name}")
                except Exception:  # noqa: BLE001, S112 - the original error is the one to report
                    continue
            raise
        else:
            backups, self._backups = self._backups, None
            for folder in backups.values():
                shutil.rmtree(folder, ignore_errors=True)

    def linkage(self, memory_limit: str = "") -> SparkSessionLinkage:
        # Splink on this session: the pairs are computed where the warehouse lives (local mode or the cluster).
        return SparkSessionLinkage(self.spark)

    def close(self) -> None:
        # The SparkSession is shared by the process (getOrCreate); keep it for reuse.
        for name in self._temps:
            self._sql(f"DROP TABLE IF EXISTS {name}")
        self._temps.clear()
        shutil.rmtree(self.root / "_temp", ignore_errors=True)
        self.spark.catalog.clearCache()
