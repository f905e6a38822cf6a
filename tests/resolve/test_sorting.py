"""``sorted_by``: the table in key order, without a copy when it already is."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from diversion.resolve.sorting import sorted_by

keys = st.lists(st.one_of(st.none(), st.text(max_size=4)), max_size=30)


@given(keys)
def test_same_rows_as_a_sort(values: list[str | None]) -> None:
    table = pa.table({"k": pa.array(values, pa.string()), "i": list(range(len(values)))})
    assert sorted_by(table, "k").equals(table.sort_by("k"))


@given(keys)
def test_a_sorted_table_is_returned_as_is(values: list[str | None]) -> None:
    table = pa.table({"k": pa.array(values, pa.string())}).sort_by("k")
    if table.column("k").null_count == 0:
        assert sorted_by(table, "k") is table
    assert sorted_by(table, "k").equals(table)


def test_chunked_keys_out_of_order_across_chunks_are_sorted() -> None:
    table = pa.concat_tables([pa.table({"k": ["b", "c"]}), pa.table({"k": ["a", "d"]})])
    assert sorted_by(table, "k").column("k").to_pylist() == ["a", "b", "c", "d"]
