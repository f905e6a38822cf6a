"""DuckDB → Spark SQL rewrites: the text they produce, and (on Spark) that they answer as DuckDB does."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest

from diversion.engine import DuckDBEngine, Engine, open_engine
from diversion.engine.spark_sql import transpile
from diversion.errors import WarehouseError


def test_ordered_list_by_itself_is_a_sorted_collect() -> None:
    assert transpile("SELECT list(DISTINCT x ORDER BY x) FROM t") == (
        "SELECT CASE WHEN SIZE(ARRAY_SORT(COLLECT_LIST(DISTINCT x))) = 0 THEN NULL "
        "ELSE ARRAY_SORT(COLLECT_LIST(DISTINCT x)) END FROM t")


def test_filter_stays_on_the_aggregate_inside_the_sort() -> None:
    sql = transpile("SELECT list(x ORDER BY k DESC) FILTER (WHERE x > 1) FROM t")
    assert "COLLECT_LIST(STRUCT(k AS k0, x AS v)) FILTER(WHERE x > 1)" in sql
    assert "REVERSE(ARRAY_SORT(" in sql


def test_top_n_min_by_and_slices() -> None:
    assert transpile("SELECT min_by(x, d, 2) FROM t") == (
        "SELECT SLICE(TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(d AS k0, x AS v))), _e -> _e.v), 1, 2) FROM t")
    assert transpile("SELECT l[2:4], list_slice(l, 1, 3) FROM t") == "SELECT SLICE(l, 2, 3), SLICE(l, 1, 3) FROM t"
    assert transpile("SELECT list_bool_or(l) FROM t") == "SELECT EXISTS(l, _b -> _b) FROM t"


def test_materialization_hints_are_dropped() -> None:
    sql = transpile("WITH a AS NOT MATERIALIZED (SELECT 1 AS x), b AS MATERIALIZED (SELECT x FROM a) SELECT x FROM b")
    assert "MATERIALIZED" not in sql.upper()
    assert sql.startswith("WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a)")


def test_untranslatable_sql_is_a_warehouse_error() -> None:
    with pytest.raises(WarehouseError, match="cannot translate"):
        transpile("SELECT FROM WHERE (")


# --- on Spark: each rewrite gives DuckDB's answer ------------------------------------------------------
ROWS = pa.table({
    "g": ["a", "a", "a", "b", "b", "c"],
    "x": ["q", "p", "q", None, "r", "s"],
    "k": [3, 1, 2, 5, 4, 6],
})
QUERIES = [
    "SELECT g, list(DISTINCT x ORDER BY x) FILTER (WHERE x IS NOT NULL) AS v FROM _t GROUP BY g ORDER BY g",
    "SELECT g, list(x ORDER BY k DESC) FILTER (WHERE x IS NOT NULL) AS v FROM _t GROUP BY g ORDER BY g",
    "SELECT g, list(x ORDER BY x, k DESC) FILTER (WHERE x IS NOT NULL) AS v FROM _t GROUP BY g ORDER BY g",
    "SELECT g, min_by(x, {'k': k, 'x': x}, 2) AS v FROM _t WHERE x IS NOT NULL GROUP BY g ORDER BY g",
    "SELECT g, max_by(k, k, 2) AS v FROM _t GROUP BY g ORDER BY g",
    "SELECT g, list(x ORDER BY x) FILTER (WHERE x = 'zzz') AS v FROM _t GROUP BY g ORDER BY g",
    "SELECT g, (list(k ORDER BY k))[2:3] AS v FROM _t GROUP BY g ORDER BY g",
    "SELECT g, arg_max({'x': x, 'k': k}, {'k': k, 'x': x}).x AS v FROM _t GROUP BY g ORDER BY g",
]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Engine]]:
    pytest.importorskip("pyspark")
    spark = open_engine(tmp_path_factory.mktemp("sparksql") / "w.duckdb", engine="spark")
    duck = DuckDBEngine(":memory:")
    for eng in (spark, duck):
        eng.execute("CREATE OR REPLACE TEMP TABLE _t (g VARCHAR, x VARCHAR, k INTEGER)")
        eng.insert_arrow("_t", ROWS)
    yield duck, spark
    duck.close()
    spark.close()


@pytest.mark.spark
@pytest.mark.parametrize("sql", QUERIES)
def test_spark_answers_as_duckdb(both: tuple[Engine, Engine], sql: str) -> None:
    duck, spark = both
    expected = [tuple(r) for r in duck.fetch_all(sql)]
    assert [tuple(_plain(v) for v in r) for r in spark.fetch_all(sql)] == [
        tuple(_plain(v) for v in r) for r in expected]


@pytest.mark.spark
def test_update_from_and_temp_tables(both: tuple[Engine, Engine]) -> None:
    duck, spark = both
    for eng in (duck, spark):
        eng.execute("CREATE OR REPLACE TEMP TABLE _u (g VARCHAR, n INTEGER)")
        eng.insert_arrow("_u", pa.table({"g": ["a", "b", "z"], "n": [None, None, 7]}))
        eng.execute("UPDATE _u SET n = s.total FROM (SELECT g, sum(k) AS total FROM _t GROUP BY g) s "
                    "WHERE s.g = _u.g AND _u.n IS NULL")
    sql = "SELECT g, n FROM _u ORDER BY g"
    assert spark.fetch_all(sql) == duck.fetch_all(sql) == [("a", 6), ("b", 9), ("z", 7)]


def _plain(value: object) -> object:
    return list(value) if isinstance(value, list | tuple) else value
