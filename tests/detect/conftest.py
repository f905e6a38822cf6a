"""Fixtures for the detector tests: the mini case, resolved, with its graph built."""

from __future__ import annotations

import pytest
from minicase import MiniCase, build_minicase

from diversion.config import Settings
from diversion.engine import DuckDBEngine
from diversion.graph import build_graph


@pytest.fixture
def case_engine(engine: DuckDBEngine) -> tuple[DuckDBEngine, MiniCase]:
    """The shared in-memory warehouse holding the mini case and its network."""
    case = build_minicase(engine)
    build_graph(engine, Settings())
    return engine, case
