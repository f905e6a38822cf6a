"""Engines that run the pipeline: DuckDB (default) and Spark (scale-out)."""

from __future__ import annotations

from pathlib import Path

from diversion.engine.base import Engine
from diversion.engine.duckdb import DuckDBEngine
from diversion.errors import EngineUnavailable

__all__ = ["DuckDBEngine", "Engine", "open_engine"]


def open_engine(db_path: str | Path, engine: str = "duckdb", read_only: bool = False) -> Engine:
    """Open the warehouse at ``db_path`` with the named engine."""
    if engine == "duckdb":
        return DuckDBEngine(db_path, read_only=read_only)
    if engine == "spark":
        raise EngineUnavailable(
            "the Spark engine is not available yet in this version; use --engine duckdb"
        )
    raise EngineUnavailable(f"unknown engine {engine!r}; choose duckdb or spark")
