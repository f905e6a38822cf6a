"""A chunked predict (Splink's ``predict_chunk``, part by part) scores exactly the pairs of one predict."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from diversion.engine import DuckDBEngine, InProcessLinkage
from diversion.engine.linkage import in_memory_connection, memory_limit
from diversion.resolve.linkage import predict_chunks, predict_records, same_name_lookup, score_pairs, training_sample
from diversion.resolve.linkage_input import linkage_table
from diversion.resolve.mentions import collect_mentions
from diversion.resolve.synthetic import synthetic_shipments
from diversion.resolve.training import TrainedParams


@pytest.fixture(scope="module")
def linkage_input() -> pa.Table:
    """Linkage input of 120 synthetic companies' parties (a few hundred mentions)."""
    engine = DuckDBEngine(":memory:")
    table, _ = synthetic_shipments(120, 3)
    engine.insert_arrow("shipments", table)
    return linkage_table(collect_mentions(engine, 500))


def test_chunked_predict_gives_the_same_pairs(linkage_input: pa.Table) -> None:
    params = TrainedParams()  # the documented priors: no training, only the predict differs
    whole = score_pairs(linkage_input, 0.5, params=params, chunks=1)
    chunked = score_pairs(linkage_input, 0.5, params=params, chunks=3)
    assert whole.pairs.num_rows > 50  # enough pairs that 9 chunks each hold some
    assert chunked.pairs.equals(whole.pairs)


def test_chunked_predict_gives_the_same_pairs_when_trained(linkage_input: pa.Table) -> None:
    trained = score_pairs(linkage_input, 0.5, chunks=1)
    assert trained.params.method == "em"
    chunked = score_pairs(linkage_input, 0.5, params=trained.params, chunks=2)
    assert chunked.pairs.equals(trained.pairs)


@pytest.mark.parametrize("parts", [1, 3])
def test_predicted_tables_are_dropped_once_read(linkage_input: pa.Table, parts: int) -> None:
    # Each part's predictions hold every comparison column of both sides: at 10M shipment rows, keeping them
    # (and Splink's union of them) until the backend closed was the resolve's memory peak.
    backend = InProcessLinkage()
    try:
        lookup = same_name_lookup(linkage_input, TrainedParams().prior)
        pairs = predict_records(backend, linkage_input, TrainedParams(), lookup, 0.5, parts)
        tables = [t for (t,) in backend.api.duckdb_con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    finally:
        backend.close()
    assert pairs.num_rows > 50
    assert not [t for t in tables if "predict" in t], tables


def test_chunks_grow_with_the_mentions() -> None:
    assert predict_chunks(10_000) == 1
    assert predict_chunks(100_000) == 1
    assert predict_chunks(250_000) == 2
    assert predict_chunks(1_000_000) == 4
    assert predict_chunks(1_000_000, configured=7) == 7


def test_splink_database_has_a_memory_limit_and_spills() -> None:
    assert memory_limit("6GB") == "6GB"
    con = in_memory_connection("1GB")
    limit, temp = con.execute(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
    ).fetchone()
    assert limit == "953.6 MiB"  # DuckDB shows 1 GB (10^9 bytes) in MiB
    assert "diversion-duckdb-spill-" in temp


def test_large_inputs_train_on_the_smallest_ids(linkage_input: pa.Table) -> None:
    assert training_sample(linkage_input, linkage_input.num_rows) is linkage_input
    sample = training_sample(linkage_input.sort_by([("unique_id", "descending")]), 50)
    assert sample["unique_id"].to_pylist() == sorted(linkage_input["unique_id"].to_pylist())[:50]


def test_closing_frees_the_splink_database() -> None:
    backend = InProcessLinkage()
    backend.close()
    with pytest.raises(duckdb.ConnectionException):
        backend.api.duckdb_con.execute("SELECT 1")


def test_splink_temporary_folders_are_removed_when_the_process_ends() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = ("from diversion.engine.linkage import spill_directory\n"
            "print(spill_directory())\n"
            "assert spill_directory() == spill_directory()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert len(out) == 1 and "diversion-duckdb-spill-" in out[0]
    assert not any(Path(p).exists() for p in out)  # spill files are GBs at scale: never left behind


def test_identical_records_scored_once_give_every_mentions_pairs(linkage_input: pa.Table) -> None:
    # Parties whose other spellings normalise alike: a copy of every third row under another id.
    copies = linkage_input.take(list(range(0, linkage_input.num_rows, 3)))
    copies = copies.set_column(0, "unique_id", pa.array([f"{i}-copy" for i in copies.column("unique_id").to_pylist()]))
    table = pa.concat_tables([linkage_input, copies]).sort_by("unique_id")
    params = TrainedParams()
    every = score_pairs(table, 0.3, params=params, collapse_identical=False)
    once = score_pairs(table, 0.3, params=params)
    assert once.records <= linkage_input.num_rows < table.num_rows == every.records
    assert every.pairs.num_rows > 2 * copies.num_rows  # the copies' own pairs and their partners'
    assert once.pairs.equals(every.pairs)


def test_the_linkage_database_is_closed_when_a_step_fails(linkage_input: pa.Table,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import diversion.resolve.linkage as linkage

    job = linkage.prepare_pairs(linkage_input, 0.5, params=TrainedParams())
    assert job.backend is not None and job.condition is not None

    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(linkage, "candidate_records", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        linkage.predict_pairs(job)
    with pytest.raises(duckdb.ConnectionException):
        job.backend.api.duckdb_con.execute("SELECT 1")
