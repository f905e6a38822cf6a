"""Graph tests reuse the detector tests' mini-case factory (one factory for the whole case)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "detect"))

from minicase import MiniCase, build_minicase  # noqa: E402

from diversion.config import Settings  # noqa: E402
from diversion.engine import DuckDBEngine  # noqa: E402
from diversion.graph import build_graph  # noqa: E402


@pytest.fixture
def case_engine(engine: DuckDBEngine) -> tuple[DuckDBEngine, MiniCase]:
    """The in-memory warehouse holding the mini case and its network."""
    case = build_minicase(engine)
    build_graph(engine, Settings())
    return engine, case
