"""The Spark engine in local mode runs the same contract as DuckDB."""

from __future__ import annotations

import pyarrow as pa
import pytest

from diversion.engine import DuckDBEngine, open_engine
from diversion.engine.spark import transpile
from diversion.engine.transfer import export_parquet, import_parquet

pytestmark = pytest.mark.spark

ROWS = pa.table({
    "brand": ["Tsugami", "Tsugami", "Okuma"], "distributor_name": ["Gray Machinery", "Gray Machinery", "X"],
    "country": ["US", "US", "DE"], "domain": [None, None, "x.de"], "source_id": ["s"] * 3, "line": [2, 3, 4],
    "record_hash": ["h1", "h1", "h2"],
})


@pytest.fixture(scope="module")
def spark_engine(tmp_path_factory):
    pytest.importorskip("pyspark")
    root = tmp_path_factory.mktemp("spark") / "w.duckdb"
    eng = open_engine(root, engine="spark")
    yield eng
    eng.close()


def test_transpile_duckdb_to_spark():
    assert transpile("SELECT count(x) FROM t WHERE y = 1") == "SELECT COUNT(x) FROM t WHERE y = 1"


def test_same_results_as_duckdb(spark_engine, engine):
    sql = "SELECT brand, count(*) AS n FROM distributors WHERE country = ? GROUP BY brand ORDER BY brand"
    for eng in (spark_engine, engine):
        eng.execute("DELETE FROM distributors")
        assert eng.insert_new("distributors", ROWS, "record_hash") == 2
        assert eng.insert_new("distributors", ROWS, "record_hash") == 0
    assert spark_engine.fetch_all(sql, ["US"]) == engine.fetch_all(sql, ["US"]) == [("Tsugami", 1)]


def test_failed_transaction_leaves_nothing(spark_engine):
    spark_engine.execute("DELETE FROM distributors")
    with pytest.raises(RuntimeError), spark_engine.transaction():
        spark_engine.insert_arrow("distributors", ROWS)
        raise RuntimeError("crash mid-file")
    assert spark_engine.count("distributors") == 0


def test_replace_table_as_select(spark_engine):
    spark_engine.execute(
        "CREATE OR REPLACE TABLE leads AS SELECT 1 AS rank, 'e1' AS entity_id, 'AMG' AS name, 'RU' AS country,"
        " 0.9 AS score, 'sanctioned' AS flags, 'listed' AS evidence"
    )
    assert spark_engine.fetch_all("SELECT entity_id, flags FROM leads") == [("e1", "sanctioned")]


def test_parquet_round_trip_between_engines(spark_engine, tmp_path):
    duck = DuckDBEngine(tmp_path / "a.duckdb")
    duck.insert_new("distributors", ROWS, "record_hash")
    counts = export_parquet(duck, tmp_path / "pq")
    assert counts["distributors"] == 2
    import_parquet(spark_engine, tmp_path / "pq")
    assert spark_engine.count("distributors") == 2
    export_parquet(spark_engine, tmp_path / "pq2")
    back = DuckDBEngine(tmp_path / "b.duckdb")
    import_parquet(back, tmp_path / "pq2")
    sql = "SELECT brand, distributor_name, record_hash FROM distributors ORDER BY record_hash"
    assert back.fetch_all(sql) == duck.fetch_all(sql)


def test_json_columns_of_a_duckdb_export_import_into_spark(spark_engine, tmp_path):
    """DuckDB writes JSON columns to Parquet as Arrow's json extension type, which Spark cannot convert."""
    duck = DuckDBEngine(tmp_path / "j.duckdb")
    duck.execute("INSERT INTO sanctions (entity_id, schema, name, list_name, properties, source_id, line, "
                 "record_hash) VALUES ('ofac-1', 'Company', 'AMG', 'us_ofac_sdn', '{\"inn\": [\"7728123456\"]}', "
                 "'s', 1, 'h')")
    export_parquet(duck, tmp_path / "pqj")
    duck.close()
    import_parquet(spark_engine, tmp_path / "pqj")
    assert spark_engine.fetch_all("SELECT entity_id, properties FROM sanctions") == [
        ("ofac-1", '{"inn": ["7728123456"]}')]


@pytest.mark.parametrize("replace", [
    lambda eng: eng.execute("DELETE FROM distributors WHERE brand = 'Tsugami'"),
    lambda eng: eng.execute("UPDATE distributors SET country = 'XX'"),
    lambda eng: eng.reset_table("distributors"),
])
def test_failed_transaction_puts_a_replaced_table_back(spark_engine, replace):
    spark_engine.execute("DELETE FROM distributors")
    spark_engine.insert_new("distributors", ROWS, "record_hash")
    sql = "SELECT brand, country FROM distributors ORDER BY brand"
    kept = spark_engine.fetch_all(sql)
    with pytest.raises(RuntimeError), spark_engine.transaction():
        replace(spark_engine)
        spark_engine.insert_arrow("distributors", ROWS)
        raise RuntimeError("crash after the table was replaced")
    assert spark_engine.fetch_all(sql) == kept == [("Okuma", "DE"), ("Tsugami", "US")]
    with spark_engine.transaction():  # and a committed replacement stays
        replace(spark_engine)
    assert spark_engine.fetch_all(sql) != kept
    assert not list(spark_engine.root.glob(".distributors.tx-*"))  # the kept copy is gone after commit


def test_update_from_leaves_no_snapshot(spark_engine):
    """``UPDATE … FROM`` numbers the rows in a Parquet snapshot under ``_temp/`` (not in executor memory)."""
    spark_engine.execute("DELETE FROM distributors")
    spark_engine.insert_new("distributors", ROWS, "record_hash")
    spark_engine.execute("CREATE TEMP TABLE _fix AS SELECT 'Okuma' AS brand, 'JP' AS country")
    spark_engine.execute("UPDATE distributors SET country = f.country FROM _fix f WHERE distributors.brand = f.brand")
    assert spark_engine.fetch_all("SELECT brand, country FROM distributors ORDER BY brand") == [
        ("Okuma", "JP"), ("Tsugami", "US")]
    assert not list((spark_engine.root / "_temp").glob("_update_*"))


def test_rollback_reports_the_original_error_when_spark_is_gone(spark_engine, monkeypatch):
    """A Spark that died with the error (out of memory) cannot refresh its catalog: the files are still put back
    and the error the user sees is the first one, not the refresh's."""
    spark_engine.execute("DELETE FROM distributors")
    spark_engine.insert_new("distributors", ROWS, "record_hash")
    before = sorted(p.name for p in (spark_engine.root / "distributors").glob("*.parquet"))
    with pytest.raises(RuntimeError, match="the first failure"), spark_engine.transaction():
        spark_engine.insert_arrow("distributors", ROWS)

        def dead(*_args, **_kwargs):
            raise OSError("Spark is gone")

        monkeypatch.setattr(spark_engine, "_sql", dead)
        raise RuntimeError("the first failure")
    monkeypatch.undo()
    assert sorted(p.name for p in (spark_engine.root / "distributors").glob("*.parquet")) == before


def test_out_of_memory_says_what_to_raise():
    from diversion.engine.spark import spark_error

    err = spark_error(RuntimeError("An error occurred while calling o1.localCheckpoint.\n"
                                   "Caused by: java.lang.OutOfMemoryError: Java heap space"), "SELECT 1")
    assert "ran out of memory" in str(err) and "spark_driver_memory" in str(err) and "SELECT 1" in str(err)
    plain = spark_error(ValueError("[TABLE_OR_VIEW_NOT_FOUND] t\nmore"))
    assert str(plain) == "Spark query failed: [TABLE_OR_VIEW_NOT_FOUND] t"


def test_checkpoints_go_to_the_warehouse(spark_engine):
    # Executors write checkpoints and the driver reads them back: on a cluster, a folder local to the driver
    # (the system temp folder) is not one the executors see (test_spark_cluster.py runs it on separate views).
    checkpoints = spark_engine.spark.sparkContext.getCheckpointDir()
    assert checkpoints.removeprefix("file:").startswith(str(spark_engine.root / "_temp"))
    assert spark_engine.spark.range(10).checkpoint().count() == 10
