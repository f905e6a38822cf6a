"""Engines that run the pipeline: DuckDB (default) and Spark (scale-out)."""

from __future__ import annotations

from pathlib import Path

from diversion.engine.base import Engine, Staged
from diversion.engine.duckdb import DuckDBEngine
from diversion.engine.linkage import InProcessLinkage, LinkageBackend
from diversion.errors import EngineUnavailable

__all__ = ["DuckDBEngine", "Engine", "InProcessLinkage", "LinkageBackend", "Staged", "engine_class", "open_engine",
           "spark_root"]


def spark_root(db_path: str | Path) -> Path:
    """The Parquet warehouse folder Spark uses for a ``--db`` path (``x.duckdb`` → ``x.spark``)."""
    path = Path(db_path)
    return path.with_suffix(".spark") if path.suffix == ".duckdb" else path


def engine_class(engine: str) -> type[Engine]:
    """The class ``open_engine`` opens for the engine named ``engine`` (``duckdb`` or ``spark``)."""
    if engine == "duckdb":
        return DuckDBEngine
    if engine == "spark":
        from diversion.engine.spark import SparkEngine

        return SparkEngine
    raise EngineUnavailable(f"unknown engine {engine!r}; choose duckdb or spark")


def open_engine(
    db_path: str | Path, engine: str = "duckdb", read_only: bool = False, spark_master: str = "local[2]",
    spark_driver_memory: str = "4g", memory_limit: str = "",
) -> Engine:
    """Open the warehouse at ``db_path`` with the named engine (``duckdb`` or ``spark``).

    ``memory_limit``: of a DuckDB warehouse (``Settings.memory_limit``; empty: automatic).
    """
    cls = engine_class(engine)
    if cls is DuckDBEngine:
        return DuckDBEngine(db_path, read_only=read_only, memory_limit=memory_limit)
    from diversion.engine.spark import SparkEngine

    return SparkEngine(spark_root(db_path), master=spark_master, read_only=read_only,
                       driver_memory=spark_driver_memory)
