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
