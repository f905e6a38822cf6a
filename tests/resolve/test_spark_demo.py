"""On (a slice of) the demo, resolve on a Spark warehouse (Splink on its session) gives DuckDB's entities.

The slice keeps every list, registry, web and distributor record and one
shipment in ``SHIPMENT_SHARE`` (picked by a hash of the record id, so every
run keeps the same ones): the demo's name variety at a size that local-mode
Spark on two cores resolves in a minute or two.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from diversion.config import Settings
from diversion.demo import generate_demo, load_demo
from diversion.engine import DuckDBEngine, open_engine
from diversion.engine.transfer import export_parquet, import_parquet
from diversion.resolve import resolve

pytestmark = pytest.mark.spark

#: One shipment in this many is kept.
SHIPMENT_SHARE = 12


@pytest.fixture(scope="module")
def demo_slice(tmp_path_factory: pytest.TempPathFactory) -> DuckDBEngine:
    pytest.importorskip("pyspark")
    folder: Path = tmp_path_factory.mktemp("demo")
    engine = DuckDBEngine(folder / "demo.duckdb")
    load_demo(engine, generate_demo(folder / "files", scale=1, seed=7))
    engine.execute(f"DELETE FROM shipments WHERE hash(record_id) % {SHIPMENT_SHARE} <> 0")
    return engine


def test_spark_gives_the_demo_entities_of_duckdb(demo_slice: DuckDBEngine, settings: Settings,
                                                 tmp_path: Path) -> None:
    export_parquet(demo_slice, tmp_path / "slice")
    spark = open_engine(tmp_path / "w.duckdb", engine="spark")
    try:
        import_parquet(spark, tmp_path / "slice")
        duck = resolve(demo_slice, settings)
        on_duckdb = demo_slice.fetch_all("SELECT mention_id, entity_id FROM entity_mentions ORDER BY mention_id")
        assert duck.method == "em" and duck.merged_entities > 50  # a trained model that links real variety
        on_spark = resolve(spark, settings)  # Splink on the Spark engine's own session
        assert on_spark.backend == "spark" and on_spark.method == duck.method
        assert on_spark.links == duck.links
        assert spark.fetch_all("SELECT mention_id, entity_id FROM entity_mentions ORDER BY mention_id") == on_duckdb
    finally:
        spark.close()
