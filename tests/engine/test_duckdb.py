from pathlib import Path

import pyarrow as pa
import pytest

from diversion.engine import DuckDBEngine, open_engine
from diversion.engine.schema import STAGE_TABLES, TABLES, columns
from diversion.errors import EngineUnavailable, WarehouseError


def test_all_contract_tables_exist(engine):
    for name in list(TABLES) + list(STAGE_TABLES):
        assert engine.table_exists(name), name
        assert columns(name)


def test_transaction_rolls_back_on_error(engine):
    with pytest.raises(RuntimeError), engine.transaction():
        engine.execute("INSERT INTO distributors VALUES ('B', 'D', 'US', 'd.com', 's', 1, 'h1')")
        raise RuntimeError("crash mid-file")
    assert engine.count("distributors") == 0


def test_insert_new_skips_known_and_repeated_keys(engine):
    rows = pa.table({
        "brand": ["B", "B", "C"], "distributor_name": ["D", "D", "E"], "country": ["US"] * 3,
        "domain": [None] * 3, "source_id": ["s"] * 3, "line": [2, 3, 4], "record_hash": ["h1", "h1", "h2"],
    })
    assert engine.insert_new("distributors", rows, "record_hash") == 2
    assert engine.insert_new("distributors", rows, "record_hash") == 0
    assert engine.count("distributors") == 2


def test_query_errors_name_the_sql(engine):
    with pytest.raises(WarehouseError, match="SELECT nope"):
        engine.execute("SELECT nope FROM shipments")


def test_open_engine_rejects_unknown(tmp_path):
    with pytest.raises(EngineUnavailable):
        open_engine(tmp_path / "x.duckdb", engine="oracle")


def test_file_warehouse_persists(tmp_path):
    path = tmp_path / "w.duckdb"
    with DuckDBEngine(path) as eng:
        eng.execute("INSERT INTO distributors VALUES ('B', 'D', 'US', 'd.com', 's', 1, 'h1')")
    with DuckDBEngine(path, read_only=True) as eng:
        assert eng.count("distributors") == 1


def test_rows_as_dictionaries_hold_the_values_arrow_would_give(tmp_path: Path) -> None:
    """fetch_dicts reads DuckDB's own rows (4x cheaper than through Arrow) with the same values."""
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    sql = ("SELECT DATE '2023-02-01' AS d, TIMESTAMP '2023-02-01 10:00:00' AS ts, ['a', NULL] AS l, "
           "{'k': 1, 'v': [2.5]} AS st, '{\"x\": 1}'::JSON AS j, 1.5::DOUBLE AS f, NULL AS n, "
           "sum(x) AS total, 'é' AS text FROM range(4) t(x)")
    fast = engine.fetch_dicts(sql)
    through_arrow = engine.fetch_arrow(sql).to_pylist()
    assert fast == through_arrow
    assert isinstance(fast[0]["total"], int)  # not Decimal: JSON-serialisable as it is
    assert engine.fetch_dicts("SELECT 1 AS a WHERE false") == []
    engine.close()


def test_a_read_only_engine_remembers_tables_but_not_temporary_ones(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    DuckDBEngine(db).close()
    engine = DuckDBEngine(db, read_only=True)
    assert engine.table_exists("shipments") and not engine.table_exists("nothing_here")
    with engine.worker() as worker:
        worker.execute("CREATE TEMP TABLE _scratch (a INTEGER)")
        assert worker.table_exists("_scratch")
        worker.execute("DROP TABLE _scratch")
        assert not worker.table_exists("_scratch")
        assert worker.table_exists("shipments")
    assert "shipments" in engine._tables_found and "_scratch" not in engine._tables_found
    engine.close()


def test_queries_can_be_limited_to_one_thread(tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    engine.limit_threads(1)
    assert engine.scalar("SELECT current_setting('threads')") == 1
    engine.close()


def test_the_warehouse_memory_is_bounded(tmp_path: Path) -> None:
    """DuckDB's own default (80 % of RAM) let one stage of a 10M-row run take 15 GiB: ours is bounded."""
    from diversion.engine.duckdb import MAX_WAREHOUSE_MEMORY_GIB, warehouse_memory_limit

    auto = warehouse_memory_limit()
    assert auto.endswith("GiB") and 0.5 <= float(auto[:-3]) <= MAX_WAREHOUSE_MEMORY_GIB
    assert warehouse_memory_limit("3GB") == "3GB"
    engine = open_engine(tmp_path / "w.duckdb", memory_limit="1GB")
    assert engine.scalar("SELECT current_setting('memory_limit')") == "953.6 MiB"
    engine.close()
