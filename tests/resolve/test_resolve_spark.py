"""Splink's Spark backend (local mode) gives the same clusters as DuckDB."""

from __future__ import annotations

import pytest

from diversion.config import Settings
from diversion.engine import DuckDBEngine
from diversion.resolve import resolve
from diversion.resolve.synthetic import synthetic_shipments

pytestmark = pytest.mark.spark


def _agree(engine: DuckDBEngine, settings: Settings) -> str:
    pytest.importorskip("pyspark")
    duck = resolve(engine, settings, backend="duckdb")
    on_duckdb = engine.fetch_all("SELECT mention_id, entity_id FROM entity_mentions ORDER BY mention_id")
    spark = resolve(engine, settings, backend="spark")
    assert spark.backend == "spark" and spark.method == duck.method
    assert engine.fetch_all("SELECT mention_id, entity_id FROM entity_mentions ORDER BY mention_id") == on_duckdb
    assert spark.links == duck.links
    return duck.method


def test_spark_agrees_on_the_minicase(minicase: DuckDBEngine, settings: Settings) -> None:
    assert _agree(minicase, settings) == "priors"


def test_spark_agrees_when_trained(engine: DuckDBEngine, settings: Settings) -> None:
    table, _ = synthetic_shipments(60, 3)
    engine.insert_arrow("shipments", table)
    assert _agree(engine, settings) == "em"
