"""Shared pytest fixtures: the one engine factory of the tests, and warehouses made with it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from diversion.config import Settings
from diversion.engine import Engine, open_engine
from diversion.graph import build_graph
from tests.detect.minicase import MiniCase, build_minicase

#: Engines a stage test runs on: DuckDB always, Spark (local mode) under the ``spark`` marker.
ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]

OpenWarehouse = Callable[..., Engine]


@pytest.fixture
def open_warehouse(request: pytest.FixtureRequest) -> Iterator[OpenWarehouse]:
    """The engine factory: ``open_warehouse(kind="duckdb", path=None)`` opens a warehouse, closed after the test.

    Without a path DuckDB runs in memory and Spark in a temporary folder; every
    contract table exists (empty).
    """
    opened: list[Engine] = []

    def make(kind: str = "duckdb", path: str | Path | None = None) -> Engine:
        if kind != "duckdb":
            pytest.importorskip("pyspark")
        if path is None:
            path = ":memory:" if kind == "duckdb" else request.getfixturevalue("tmp_path") / f"w{len(opened)}.duckdb"
        engine = open_engine(path, kind)
        opened.append(engine)
        return engine

    yield make
    for engine in reversed(opened):
        engine.close()


@pytest.fixture
def engine(open_warehouse: OpenWarehouse) -> Engine:
    """A fresh in-memory DuckDB warehouse with every contract table created."""
    return open_warehouse("duckdb")


@pytest.fixture(params=ENGINES)
def any_engine(request: pytest.FixtureRequest, open_warehouse: OpenWarehouse) -> Engine:
    """A fresh warehouse on each engine (``ENGINES``): stage tests that take it run on DuckDB and on Spark."""
    return open_warehouse(request.param)


def _minicase_network(engine: Engine) -> tuple[Engine, MiniCase]:
    case = build_minicase(engine)
    build_graph(engine, Settings())
    return engine, case


@pytest.fixture
def case_engine(engine: Engine) -> tuple[Engine, MiniCase]:
    """The mini case (``tests/detect/minicase.py``), resolved, with its network built, in memory on DuckDB."""
    return _minicase_network(engine)


@pytest.fixture
def case_on_each_engine(any_engine: Engine) -> tuple[Engine, MiniCase]:
    """``case_engine`` on each engine (``ENGINES``)."""
    return _minicase_network(any_engine)


@pytest.fixture(params=["cannot start", "dies", "says nonsense"])
def failing_worker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every ``diversion.workers`` child fails the way the parameter says (its work must then be done here);
    the list names the modules a child was started for."""
    from diversion import workers

    how: str = request.param
    real = workers.subprocess.Popen
    started: list[str] = []

    def popen(args: list[str], **kwargs: Any) -> Any:
        started.append(args[-1])
        if how == "cannot start":
            raise OSError("no processes here")
        code = "import sys; sys.exit(3)" if how == "dies" else "import sys; sys.stdin.read(); print('hello')"
        return real([args[0], "-c", code], **kwargs)

    monkeypatch.setattr(workers.subprocess, "Popen", popen)
    return started


@pytest.fixture()
def worker_answers(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What every ``diversion.workers`` child answers (``None``: it failed), in order, as the test runs."""
    from diversion import workers

    answers: list[Any] = []

    class Spied(workers.Worker):
        def result(self) -> Any:
            answers.append(found := super().result())
            return found

    monkeypatch.setattr(workers, "Worker", Spied)
    return answers
