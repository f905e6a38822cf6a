"""Linkage properties over random warehouses of different sizes and singleton shares (hypothesis, few examples).

``benchmarks/er_quality.py`` (part d) runs the same properties over more and larger warehouses.
"""

from __future__ import annotations

import pyarrow as pa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from diversion.config import load_settings
from diversion.engine import DuckDBEngine
from diversion.resolve import resolve
from diversion.resolve.explain import explain_pair
from diversion.resolve.synthetic import check_planted, property_warehouse


@settings(max_examples=3, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(size=st.integers(150, 700), singleton_share=st.floats(0.5, 1.0), seed=st.integers(0, 10_000))
# "Trade LLC" met a background "Traeta LLC": same sound, weighed more than the same generic name.
@example(size=171, singleton_share=0.5, seed=5815)
def test_planted_pairs_resolve_as_they_should(size: int, singleton_share: float, seed: int) -> None:
    rows, planted = property_warehouse(size, singleton_share, seed)
    engine = DuckDBEngine(":memory:")
    for table, data in rows.items():
        engine.insert_arrow(table, pa.Table.from_pylist(data))
    resolve(engine, load_settings(environ={}))
    outcome = check_planted(engine, planted)
    engine.close()
    assert all(outcome.values()), {k: v for k, v in outcome.items() if not v}


def test_a_near_spelling_of_a_common_name_weighs_no_more_than_the_name() -> None:
    """The example above: "Traeta LLC" sounds like "Trade LLC", a name other firms bear (``COMMONNESS_CAPPED``)."""
    rows, _ = property_warehouse(171, 0.5, 5815)
    engine = DuckDBEngine(":memory:")
    for table, data in rows.items():
        engine.insert_arrow(table, pa.Table.from_pylist(data))
    resolve(engine, load_settings(environ={}))
    ids = dict(engine.fetch_all("SELECT name, min(mention_id) FROM mentions WHERE name IN "
                                "('Traeta LLC', 'Trade LLC', 'TRADE LLC') GROUP BY name"))
    near, same = (explain_pair(engine, ids["Trade LLC"], ids[other]).contributions[0]
                  for other in ("Traeta LLC", "TRADE LLC"))
    engine.close()
    assert near.level.startswith("very similar spelling or same sound (weighed down"), near.level
    assert same.level.startswith("same name") and near.weight < same.weight, (near, same)
