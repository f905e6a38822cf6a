"""Score mention pairs with Splink: train the model, then predict blocked pairs."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from splink import Linker

from diversion.engine import Engine, InProcessLinkage, LinkageBackend
from diversion.resolve.candidates import candidate_filter, candidate_records
from diversion.resolve.collapse import Collapsed, collapse, expand, twins
from diversion.resolve.model import SAME_NAME_COLUMN, same_name_tf, settings
from diversion.resolve.training import TrainedParams, train

log = logging.getLogger(__name__)

#: Automatic chunking: Splink's predict is split so that each part blocks about this many mentions'
#: worth of pairs (chunks per side: ceil(sqrt(mentions / this)); 1 below it, 4 at 1M mentions).
MENTIONS_PER_CHUNK = 100_000

#: With candidate pairs (``resolve.candidates``), Splink's predict is chunked when they are more than this many
#: (chunks per side: ceil(sqrt(pairs / this))).
PAIRS_PER_CHUNK = 5_000_000

#: Above this many mentions the model is trained on a fixed sample of this many: those with the smallest ids
#: (ids are hashes: a random draw that every run and backend draws alike; the u sample of ``training`` is
#: inside it). EM's name-blocked pairs grow with the square of common names; a quarter million mentions
#: estimate m and the prior as well (the prior is a ratio of pairs, the same on a uniform sample).
TRAIN_MAX_MENTIONS = 250_000

PAIRS_SCHEMA = pa.schema([
    ("mention_id_l", pa.string()), ("mention_id_r", pa.string()),
    ("match_probability", pa.float64()), ("match_weight", pa.float64()),
])


@dataclass
class Linkage:
    """Scored pairs at or above the lower review bound, and the model that scored them."""

    pairs: pa.Table
    params: TrainedParams
    train_seconds: float = 0.0  # estimating the model (0 when parameters were given)
    predict_seconds: float = 0.0  # Splink's blocking and scoring
    records: int = 0  # linkage records Splink compared: one per group of identical mentions (``collapse``)
    blocked: int | None = None  # distinct record pairs sharing a blocking key (when ``candidates`` counted them)
    compared: int | None = None  # of those, the pairs Splink scored (``candidates``: whose weight could reach)


def quiet_splink() -> None:
    for name in ("splink", "py4j"):
        logging.getLogger(name).setLevel(logging.ERROR)


def predict_chunks(mentions: int, configured: int = 0) -> int:
    """Chunks per side of Splink's predict: ``configured`` when > 0, else from the mention count.

    Splink materialises every blocked pair of a chunk at once; with ``n`` chunks
    per side it runs ``n × n`` smaller predicts, each ``1/n²`` of the pairs.

    >>> predict_chunks(9_000), predict_chunks(212_000), predict_chunks(1_000_000), predict_chunks(5, 3)
    (1, 2, 4, 3)
    """
    if configured > 0:
        return configured
    return max(1, math.ceil(math.sqrt(mentions / MENTIONS_PER_CHUNK)))


def candidate_chunks(pairs: int) -> int:
    """Chunks per side of a predict of ``pairs`` candidate pairs.

    >>> candidate_chunks(1_200_000), candidate_chunks(14_000_000)
    (1, 2)
    """
    return max(1, math.ceil(math.sqrt(pairs / PAIRS_PER_CHUNK)))


def training_sample(table: pa.Table, max_rows: int = TRAIN_MAX_MENTIONS) -> pa.Table:
    """The rows the model is trained on: all, or the ``max_rows`` with the smallest ids."""
    if table.num_rows <= max_rows:
        return table
    return table.sort_by("unique_id").slice(0, max_rows)


def predict(linker: Linker, min_probability: float, chunks: int = 1) -> Any:
    """Splink's predict at ``min_probability``, in ``chunks`` × ``chunks`` parts when ``chunks`` > 1.

    Every pair lands in exactly one part (Splink assigns each side by a hash of
    its id), so the result is the same as one predict's.
    """
    if chunks <= 1:
        return linker.inference.predict(threshold_match_probability=min_probability)
    return linker.inference.predict(
        threshold_match_probability=min_probability, num_chunks_left=chunks, num_chunks_right=chunks
    )


def score_pairs(
    table: pa.Table, min_probability: float, engine: Engine | None = None, params: TrainedParams | None = None,
    seed: int = 42, chunks: int = 0, memory_limit: str = "", collapse_identical: bool = True,
    bound_pairs: bool = True,
) -> Linkage:
    """Train on ``table`` (``linkage_input`` rows) unless ``params`` are given, then predict.

    Returns pairs with ``match_probability >= min_probability``, ids ordered
    (``mention_id_l < mention_id_r``) and sorted, so runs are comparable.
    Splink runs where ``engine.linkage()`` puts it (without an engine: an
    in-process DuckDB database).
    ``chunks``: chunks per side of a chunked predict (0: from the row count,
    ``predict_chunks``); a backend that spills on its own (Spark) predicts in one go.
    ``memory_limit``: of an in-process linkage database (empty: automatic, see
    ``engine.linkage.memory_limit``); beyond it DuckDB spills to disk.
    ``collapse_identical``: predict once per group of identical records (``collapse``; the same pairs, fewer
    comparisons; backends that ``collapses``); off, every mention is a record (the benchmark's baseline).
    ``bound_pairs``: score only the blocked pairs whose match weight could reach ``min_probability``
    (``candidates``; the same pairs come out; backends that ``bounds_pairs``); off, every blocked pair.
    """
    quiet_splink()
    if table.num_rows < 2:
        return Linkage(PAIRS_SCHEMA.empty_table(), params or TrainedParams(notes=["fewer than two mentions"]))
    started = time.perf_counter()

    def fresh_backend() -> LinkageBackend:
        return engine.linkage(memory_limit) if engine is not None else InProcessLinkage(memory_limit)

    backend: LinkageBackend | None = None
    if params is None:  # the training database is set up inside the training time
        backend = fresh_backend()
        params = train(backend, training_sample(table), seed)
        if table.num_rows > TRAIN_MAX_MENTIONS:
            params.notes.append(f"trained on {TRAIN_MAX_MENTIONS:,} of {table.num_rows:,} mentions (smallest ids)")
        if backend.predict_apart:
            backend.close()  # freeing training's database is part of training
            backend = None
    trained = time.perf_counter()
    if backend is None:
        backend = fresh_backend()
    # Identical records are scored once (``collapse``); training above saw every mention, so the model
    # is the one every mention gives.
    collapsed = (collapse(table) if collapse_identical and backend.collapses
                 else Collapsed(table, table.select([]), 0))
    # Only the blocked pairs whose match weight could reach ``min_probability`` are scored (``candidates``).
    condition = (candidate_filter(params.levels, params.prior, min_probability)
                 if bound_pairs and backend.bounds_pairs else None)
    chosen = candidate_records(collapsed.records, condition, memory_limit) if condition is not None else None
    if chosen is None:
        parts = predict_chunks(collapsed.records.num_rows, chunks) if backend.chunked_predict else 1
        found = predict_records(backend, collapsed.records, params, table, min_probability, parts)
    elif chosen.pairs:
        parts = chunks or candidate_chunks(chosen.pairs)
        found = predict_records(backend, chosen.records, params, table, min_probability, parts, candidates=True)
    else:
        found = PAIRS_SCHEMA.empty_table()
    twin_input = twins(collapsed) if collapsed.collapsed else None
    if twin_input is not None and twin_input.num_rows:
        twin_pairs = predict_records(backend, twin_input, params, table, min_probability, 1)
        found = expand(found, twin_pairs, collapsed.members)
    elif collapsed.collapsed:
        found = expand(found, PAIRS_SCHEMA.empty_table(), collapsed.members)
    backend.close()
    return Linkage(found, params, train_seconds=trained - started, predict_seconds=time.perf_counter() - trained,
                   records=collapsed.records.num_rows, blocked=chosen.blocked if chosen is not None else None,
                   compared=chosen.pairs if chosen is not None else None)


def predict_records(backend: LinkageBackend, records: pa.Table, params: TrainedParams, table: pa.Table,
                    min_probability: float, parts: int, candidates: bool = False) -> pa.Table:
    """Splink's pairs of ``records`` at ``min_probability``, predicted in ``parts`` × ``parts`` chunks.

    ``candidates``: the pairs ``PAIR_KEYS`` names (``resolve.candidates``), else the blocked ones.
    ``table``: every mention (the same-name calibration's lookup is built from all of them).
    """
    linker = Linker(backend.register(records, "mentions_input"),
                    settings(params.prior, params.levels, calibrated=True, candidates=candidates),
                    log_level=logging.ERROR)
    register_same_name_lookup(linker, backend, table, params.prior)
    return scored_pairs(predict(linker, min_probability, parts))


def scored_pairs(predicted: Any) -> pa.Table:
    """Splink's predictions as ``PAIRS_SCHEMA`` rows: ids ordered per pair, rows sorted by id, scores rounded.

    Only the ids and scores leave the backend, as Arrow: the comparison columns (every name form, both
    sides) would cost more to convert than the rest of the step.
    """
    found = predicted.query_sql(
        "SELECT least(unique_id_l, unique_id_r) AS mention_id_l, greatest(unique_id_l, unique_id_r) AS mention_id_r, "
        "match_probability, match_weight FROM {this}"
    ).as_pyarrow_table()
    if found.num_rows == 0:
        return PAIRS_SCHEMA.empty_table()
    found = found.sort_by([("mention_id_l", "ascending"), ("mention_id_r", "ascending")])
    return pa.table({
        "mention_id_l": found["mention_id_l"].cast(pa.string()),
        "mention_id_r": found["mention_id_r"].cast(pa.string()),
        "match_probability": _rounded(found["match_probability"], 6),
        "match_weight": _rounded(found["match_weight"], 4),
    }, schema=PAIRS_SCHEMA)


def same_name_lookup(table: pa.Table, prior: float) -> pa.Table:
    """Splink's term-frequency lookup of the same-name level: ``name_key`` → calibrated tf (``same_name_tf``)."""
    per_name = table.group_by(SAME_NAME_COLUMN).aggregate([("name_commonness", "max")])
    per_name = per_name.filter(pc.is_valid(per_name.column(SAME_NAME_COLUMN)))
    keys = per_name.column(SAME_NAME_COLUMN)
    tf = [same_name_tf(r or 1.0, prior) for r in per_name.column("name_commonness_max").to_pylist()]
    return pa.table({SAME_NAME_COLUMN: keys, f"tf_{SAME_NAME_COLUMN}": pa.array(tf, pa.float64())})


def register_same_name_lookup(linker: Linker, backend: LinkageBackend, table: pa.Table, prior: float) -> None:
    """Register ``same_name_lookup`` with ``linker``, so Splink never counts the names itself."""
    lookup = backend.register(same_name_lookup(table, prior), "same_name_tf")
    linker.table_management.register_term_frequency_lookup(lookup, SAME_NAME_COLUMN)


def _rounded(values: pa.ChunkedArray, digits: int) -> pa.ChunkedArray:
    """Floats rounded half to even (as numpy and pandas round), so stored scores compare across runs."""
    return pc.round(values.cast(pa.float64()), ndigits=digits, round_mode="half_to_even")
