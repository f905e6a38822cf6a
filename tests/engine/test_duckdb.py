from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from diversion.engine import DuckDBEngine, open_engine
from diversion.engine.schema import STAGE_KEYS, STAGE_TABLES, TABLES, columns, create_sql
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



def _mentions(rows: list[tuple]) -> pa.Table:
    """``entity_mentions`` rows ``(mention_id, entity_id, match_probability)``."""
    return pa.table({"mention_id": [r[0] for r in rows], "entity_id": [r[1] for r in rows],
                     "match_probability": pa.array([r[2] for r in rows], pa.float64())})


def test_sync_writes_only_the_changed_rows_and_leaves_what_a_replace_would(engine):
    old = [("m1", "e1", None), ("m2", "e1", 0.9), ("m3", "e3", 0.5), ("m4", "e4", None)]
    engine.insert_arrow("entity_mentions", _mentions(old))
    engine.execute("CREATE TEMP TABLE before AS SELECT rowid AS r, mention_id FROM entity_mentions")
    # m1 unchanged (its NULL too), m2 moves, m3's probability changes, m4 goes, m5 comes
    new = [("m1", "e1", None), ("m2", "e2", 0.9), ("m3", "e3", 0.6), ("m5", "e5", 1.0)]
    assert engine.sync_arrow("entity_mentions", _mentions(new), "mention_id") == 3
    assert engine.fetch_all("SELECT * FROM entity_mentions ORDER BY 1") == new
    # the unchanged row stayed where it was; every other one was written again
    assert engine.fetch_all("SELECT b.mention_id FROM before b JOIN entity_mentions t ON t.rowid = b.r "
                            "AND t.mention_id = b.mention_id") == [("m1",)]


def test_sync_compares_lists_whole_and_replaces_a_table_of_other_columns(engine):
    def entities(names: list[list[str] | None], schema: bool = True) -> pa.Table:
        table = pa.table({"entity_id": ["e1", "e2"], "canonical_name": ["A", "C"],
                          "names": pa.array(names, pa.list_(pa.string())), "countries": [["RU"], None],
                          "identifiers": [None, None], "schema": ["Company", None],
                          "mention_count": pa.array([2, 1], pa.int32())})
        return table if schema else table.drop_columns(["schema"])

    assert engine.sync_arrow("entities", entities([["A", "B"], None]), "entity_id") == 2  # empty: replaced
    assert engine.sync_arrow("entities", entities([["A", "B"], None]), "entity_id") == 0
    assert engine.sync_arrow("entities", entities([["A", "C"], None]), "entity_id") == 1  # one list changed
    assert engine.fetch_all("SELECT entity_id, names, countries FROM entities ORDER BY 1") == [
        ("e1", ["A", "C"], ["RU"]), ("e2", None, None)]
    # data without one of the table's columns: the table is replaced (the column left empty), not merged
    assert engine.sync_arrow("entities", entities([["A", "C"], None], schema=False), "entity_id") == 2
    assert engine.fetch_all("SELECT entity_id, schema FROM entities ORDER BY 1") == [("e1", None), ("e2", None)]


def _indexed(path: Path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {r[0] for r in con.execute("SELECT table_name FROM duckdb_constraints() "
                                          "WHERE constraint_type = 'PRIMARY KEY'").fetchall()}


def test_stage_tables_an_older_version_indexed_lose_the_index_and_keep_their_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:  # as the version before STAGE_KEYS made them
        for name, key in STAGE_KEYS.items():
            con.execute(create_sql(name).replace(f"{key} VARCHAR NOT NULL", f"{key} VARCHAR PRIMARY KEY"))
        con.execute("INSERT INTO findings VALUES ('f1', 'sanctioned', 'e1', 1.0, 'listed', '{}')")
        # A nodes table of other columns (a much older version): its rows cannot be moved, it is left as it is.
        con.execute("DROP TABLE nodes")
        con.execute("CREATE TABLE nodes (node_id VARCHAR PRIMARY KEY, shape VARCHAR NOT NULL)")
        con.execute("INSERT INTO nodes VALUES ('n1', 'x')")
    assert set(STAGE_KEYS) <= _indexed(path)
    DuckDBEngine(path).close()
    indexed = _indexed(path)
    assert not indexed & (set(STAGE_KEYS) - {"nodes"}) and "nodes" in indexed
    engine = DuckDBEngine(path, read_only=True)
    assert engine.fetch_all("SELECT finding_id, summary FROM findings") == [("f1", "listed")]
    assert engine.fetch_all("SELECT * FROM nodes") == [("n1", "x")]
    engine.close()


def _text_compression(engine: DuckDBEngine, table: str) -> set[str]:
    return {str(r[0]) for r in engine.fetch_all(
        f"SELECT DISTINCT compression FROM pragma_storage_info('{table}') WHERE segment_type = 'VARCHAR'")}


def test_plain_text_stores_text_uncompressed_durably_and_restores_the_setting(tmp_path: Path) -> None:
    """Inside ``plain_text`` text is written without FSST, and checkpointed on leaving; outside, as always."""
    db = tmp_path / "w.duckdb"
    engine = DuckDBEngine(db)
    rows = "SELECT 'finding ' || (i % 50) || ' of a long repeated sentence' AS t FROM range(300000) r(i)"
    engine.execute(f"CREATE TABLE compressed AS {rows}")
    engine.execute("CHECKPOINT")
    assert _text_compression(engine, "compressed") & {"FSST", "DICT_FSST", "Dictionary"}  # the control
    with engine.plain_text(), engine.transaction():
        engine.execute(f"CREATE TABLE plain AS {rows}")
    assert _text_compression(engine, "plain") == {"Uncompressed"}
    assert not (tmp_path / "w.duckdb.wal").exists() or (tmp_path / "w.duckdb.wal").stat().st_size == 0
    assert engine.scalar("SELECT current_setting('disabled_compression_methods')") == ""
    with pytest.raises(RuntimeError), engine.plain_text():
        raise RuntimeError("a detector failed")
    assert engine.scalar("SELECT current_setting('disabled_compression_methods')") == ""
    engine.execute(f"CREATE TABLE later AS {rows}")
    engine.execute("CHECKPOINT")
    assert _text_compression(engine, "later") & {"FSST", "DICT_FSST", "Dictionary"}
    engine.close()
