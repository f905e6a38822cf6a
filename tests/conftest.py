"""Shared pytest fixtures: an empty in-memory warehouse."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from diversion.engine import DuckDBEngine


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    """A fresh in-memory DuckDB warehouse with every contract table created."""
    eng = DuckDBEngine(":memory:")
    yield eng
    eng.close()
