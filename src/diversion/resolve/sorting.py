"""Arrow tables put in key order without a copy when they already are."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def sorted_by(table: pa.Table, column: str) -> pa.Table:
    """``table`` sorted by ``column`` (ascending, nulls last): ``table`` itself when it already is.

    Resolve's tables mostly come sorted (``collect_mentions``, ``collapse``); a sorted copy held beside
    the original through a step cost 0.45–0.6 GiB at 10M shipment rows.

    >>> t = pa.table({"k": ["a", "c", "b"]})
    >>> s = sorted_by(t, "k")
    >>> s["k"].to_pylist(), s is t, sorted_by(s, "k") is s
    (['a', 'b', 'c'], False, True)
    """
    keys = table.column(column)
    if table.num_rows < 2 or (keys.null_count == 0
                              and pc.all(pc.less_equal(keys.slice(0, len(keys) - 1), keys.slice(1))).as_py()):
        return table
    return table.sort_by(column)
