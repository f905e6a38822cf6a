"""Linkage properties over random warehouses of different sizes and singleton shares (hypothesis, few examples).

``benchmarks/er_quality.py`` (part d) runs the same properties over more and larger warehouses.
"""

from __future__ import annotations

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diversion.config import load_settings
from diversion.engine import DuckDBEngine
from diversion.resolve import resolve
from diversion.resolve.synthetic import check_planted, property_warehouse


@settings(max_examples=3, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(size=st.integers(150, 700), singleton_share=st.floats(0.5, 1.0), seed=st.integers(0, 10_000))
def test_planted_pairs_resolve_as_they_should(size: int, singleton_share: float, seed: int) -> None:
    rows, planted = property_warehouse(size, singleton_share, seed)
    engine = DuckDBEngine(":memory:")
    for table, data in rows.items():
        engine.insert_arrow(table, pa.Table.from_pylist(data))
    resolve(engine, load_settings(environ={}))
    outcome = check_planted(engine, planted)
    engine.close()
    assert all(outcome.values()), {k: v for k, v in outcome.items() if not v}
