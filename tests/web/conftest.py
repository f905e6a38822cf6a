"""Apps over the mini case network (see ``case_network.py``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from diversion.config import load_settings
from diversion.web import create_app
from tests.web.case_network import API_KEY, TEST_ENV, make_case_warehouse


@pytest.fixture(scope="session")
def case_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The case warehouse, written once per test session (copy it before writing)."""
    return make_case_warehouse(tmp_path_factory.mktemp("web") / "case.duckdb")


@pytest.fixture(scope="session")
def client(case_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A read-only app (no API key) on a copy of the case warehouse."""
    copy = tmp_path_factory.mktemp("ro") / "case.duckdb"
    shutil.copy(case_db, copy)
    app = create_app(load_settings(environ=TEST_ENV, db_path=copy))
    with TestClient(app) as c:
        yield c


@pytest.fixture
def writer(case_db: Path, tmp_path: Path) -> Iterator[TestClient]:
    """An app with an API key on a fresh copy of the case warehouse."""
    copy = tmp_path / "case.duckdb"
    shutil.copy(case_db, copy)
    app = create_app(load_settings(environ={**TEST_ENV, "DIVERSION_WEB__API_KEY": API_KEY}, db_path=copy))
    with TestClient(app) as c:
        yield c
