"""The linkage rows kept beside a warehouse file: read back only by the resolve that wrote them."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from diversion.engine import DuckDBEngine
from diversion.resolve.linkage_cache import cache_path, load_rows, save_rows
from diversion.resolve.linkage_input import KnownRows, linkage_rows
from diversion.resolve.mentions import mentions_frame


def _rows() -> KnownRows:
    mentions = [{"mention_id": f"m-{i}", "name": f"Machine Tools {w}", "source_table": "shipments",
                 "role": "importer", "aliases": [], "countries": ["RU"], "identifiers": []}
                for i, w in enumerate(["Alpha", "Beta", "Gamma"])]
    return linkage_rows(mentions_frame(mentions), 500, 2)


def test_rows_come_back_under_their_token(tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    rows = _rows()
    token = save_rows(engine, rows)
    assert token and cache_path(tmp_path / "w.duckdb").is_file()
    back = load_rows(engine, token)
    assert back is not None and back.rows.equals(rows.rows)
    assert back.dropped == rows.dropped and rows.dropped["w:machine"] == 3
    assert load_rows(engine, "another run's") is None and load_rows(engine, None) is None
    assert save_rows(engine, rows) != token and load_rows(engine, token) is None  # replaced by the next run's


def test_an_unreadable_file_or_no_file_is_no_rows(tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    token = save_rows(engine, _rows())
    cache_path(tmp_path / "w.duckdb").write_bytes(b"not an Arrow file")
    assert load_rows(engine, token) is None
    cache_path(tmp_path / "w.duckdb").unlink()
    assert load_rows(engine, token) is None


def test_a_warehouse_in_memory_keeps_none() -> None:
    engine = DuckDBEngine(":memory:")
    assert save_rows(engine, _rows()) is None and load_rows(engine, "x") is None


def test_a_folder_that_cannot_be_written_keeps_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = DuckDBEngine(tmp_path / "w.duckdb")

    def full_disk(sink: pa.NativeFile, *_: object, **__: object) -> None:
        sink.write(b"ARROW1 half")  # the disk fills up halfway through
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("pyarrow.ipc.new_file", full_disk)
    assert save_rows(engine, _rows()) is None
    assert not [p.name for p in tmp_path.iterdir() if ".linkage" in p.name]  # nothing half written left behind
