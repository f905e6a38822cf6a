"""Score mention pairs with Splink: train the model, then predict blocked pairs."""

from __future__ import annotations

import itertools
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from splink import Linker

from diversion.engine import Engine, InProcessLinkage, LinkageBackend
from diversion.engine.linkage import hand_back_freed_memory
from diversion.resolve.candidates import Filter, candidate_filter, candidate_records
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
    bounded: int | None = None  # of those, the pairs whose weight was bounded (``candidates``: all, or those
    # sharing a value a link needs)
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


def predict(linker: Linker, min_probability: float, chunks: int = 1) -> pa.Table:
    """Splink's pairs at ``min_probability`` as ``PAIRS_SCHEMA`` rows (``scored_pairs``), in ``chunks`` × ``chunks``
    parts when ``chunks`` > 1.

    Every pair lands in exactly one part (Splink assigns each side by a hash of its id), so the result is the same
    as one predict's. Each part's ids and scores are read as it ends and its table dropped: Splink's own chunked
    predict keeps every part's table (every comparison column, both sides) and copies them all into one at the
    end, the stage's memory peak at 10M shipment rows.
    """
    if chunks <= 1:
        return scored_pairs(linker.inference.predict(threshold_match_probability=min_probability))
    parts = []
    for left, right in itertools.product(range(1, chunks + 1), repeat=2):
        part = linker.inference.predict_chunk(left_chunk=(left, chunks), right_chunk=(right, chunks),
                                              threshold_match_probability=min_probability, warning_mode="never")
        parts.append(_pair_columns(part))
    return _sorted_pairs(pa.concat_tables(parts))


def score_pairs(
    table: pa.Table, min_probability: float, engine: Engine | None = None, params: TrainedParams | None = None,
    seed: int = 42, chunks: int = 0, memory_limit: str = "", collapse_identical: bool = True,
    bound_pairs: bool = True,
) -> Linkage:
    """Train on ``table`` (``linkage_input`` rows) unless ``params`` are given, then predict.

    Returns pairs with ``match_probability >= min_probability``, ids ordered
    (``mention_id_l < mention_id_r``) and sorted, so runs are comparable.
    Splink runs where ``engine.linkage()`` puts it (without an engine: an
    in-process DuckDB database). ``prepare_pairs`` then ``predict_pairs``, for a
    caller that keeps nothing else of ``table``; the arguments are ``prepare_pairs``'.
    """
    return predict_pairs(prepare_pairs(table, min_probability, engine, params, seed, chunks, memory_limit,
                                       collapse_identical, bound_pairs))


@dataclass
class PairsToScore:
    """A linkage input trained on and collapsed: all that ``predict_pairs`` reads (not the input itself).

    The input (every name form of every mention) can be freed before the candidates are chosen and Splink
    predicts, the resolve's memory peaks: at 10M shipment rows it is 0.84 GiB of Arrow buffers.
    ``predict_pairs`` consumes it (the records are released once the pairs to score are chosen).
    """

    params: TrainedParams
    min_probability: float
    backend: LinkageBackend | None  # None: nothing to compare (fewer than two rows)
    collapsed: Collapsed
    lookup: pa.Table  # the same-name level's term frequencies (``same_name_lookup``)
    condition: Filter | None  # the blocked pairs worth scoring (``candidates``); None: every blocked pair
    chunks: int = 0
    memory_limit: str = ""
    train_seconds: float = 0.0
    prepare_seconds: float = 0.0


def prepare_pairs(
    table: pa.Table, min_probability: float, engine: Engine | None = None, params: TrainedParams | None = None,
    seed: int = 42, chunks: int = 0, memory_limit: str = "", collapse_identical: bool = True,
    bound_pairs: bool = True,
) -> PairsToScore:
    """Train on ``table`` (``linkage_input`` rows) unless ``params`` are given; collapse its identical rows.

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
        return PairsToScore(params or TrainedParams(notes=["fewer than two mentions"]), min_probability, None,
                            Collapsed(table, table.select([]), 0), table.select([]), None)
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
    condition = (candidate_filter(params.levels, params.prior, min_probability)
                 if bound_pairs and backend.bounds_pairs else None)
    return PairsToScore(params, min_probability, backend, collapsed, same_name_lookup(table, params.prior),
                        condition, chunks, memory_limit, train_seconds=trained - started,
                        prepare_seconds=time.perf_counter() - trained)


def predict_pairs(job: PairsToScore) -> Linkage:
    """Splink's pairs of ``job`` (``prepare_pairs``), expanded to every mention a collapsed record stands for.

    Only the blocked pairs whose match weight could reach the threshold are scored (``candidates``) when
    ``job.condition`` is set. ``job``'s records are released once those are chosen.
    """
    collapsed, params, low = job.collapsed, job.params, job.min_probability
    if job.backend is None:
        return Linkage(PAIRS_SCHEMA.empty_table(), params)
    started = time.perf_counter()
    backend = job.backend
    try:
        twin_input = twins(collapsed) if collapsed.collapsed else None
        records = collapsed.records.num_rows
        chosen = (candidate_records(collapsed.records, job.condition, job.memory_limit)
                  if job.condition is not None else None)
        if chosen is not None:  # the candidates' records are all Splink reads
            job.collapsed = collapsed = Collapsed(collapsed.records.select([]), collapsed.members, collapsed.groups)
        hand_back_freed_memory()  # what choosing the candidates freed, before Splink's database grows
        if chosen is None:
            found = predict_records(backend, collapsed.records, params, job.lookup, low,
                                    predict_chunks(records, job.chunks) if backend.chunked_predict else 1)
        else:
            found = (predict_records(backend, chosen.records, params, job.lookup, low,
                                     job.chunks or candidate_chunks(chosen.pairs), candidates=True)
                     if chosen.pairs else PAIRS_SCHEMA.empty_table())
        twin_pairs = (predict_records(backend, twin_input, params, job.lookup, low, 1)
                      if twin_input is not None and twin_input.num_rows else PAIRS_SCHEMA.empty_table())
    finally:  # before the pairs are expanded to every mention (the linkage database is not read again),
        backend.close()  # and when a step fails: its spill files are gigabytes at scale
    if collapsed.collapsed:
        found = expand(found, twin_pairs, collapsed.members)
    return Linkage(found, params, train_seconds=job.train_seconds,
                   predict_seconds=job.prepare_seconds + time.perf_counter() - started, records=records,
                   blocked=chosen.blocked if chosen is not None else None,
                   bounded=chosen.bounded if chosen is not None else None,
                   compared=chosen.pairs if chosen is not None else None)


def predict_records(backend: LinkageBackend, records: pa.Table, params: TrainedParams, lookup: pa.Table,
                    min_probability: float, parts: int, candidates: bool = False) -> pa.Table:
    """Splink's pairs of ``records`` at ``min_probability``, predicted in ``parts`` × ``parts`` chunks.

    ``candidates``: the pairs ``PAIR_KEYS`` names (``resolve.candidates``), else the blocked ones.
    ``lookup``: the same-name level's term frequencies, from every mention (``same_name_lookup``).
    """
    linker = Linker(backend.register(records, "mentions_input"),
                    settings(params.prior, params.levels, calibrated=True, candidates=candidates),
                    log_level=logging.ERROR)
    register_same_name_lookup(linker, backend, lookup)
    return predict(linker, min_probability, parts)


def scored_pairs(predicted: Any) -> pa.Table:
    """Splink's predictions as ``PAIRS_SCHEMA`` rows: ids ordered per pair, rows sorted by id, scores rounded.

    Only the ids and scores leave the backend, as Arrow: the comparison columns (every name form, both
    sides) would cost more to convert than the rest of the step. ``predicted``'s table is dropped.
    """
    return _sorted_pairs(_pair_columns(predicted))


def _pair_columns(predicted: Any) -> pa.Table:
    """The ids (ordered per pair) and scores of ``predicted`` (a Splink data frame), which is then dropped."""
    found = predicted.query_sql(
        "SELECT least(unique_id_l, unique_id_r) AS mention_id_l, greatest(unique_id_l, unique_id_r) AS mention_id_r, "
        "match_probability, match_weight FROM {this}"
    ).as_pyarrow_table()
    predicted.drop_table_from_database_and_remove_from_cache()
    return found


def _sorted_pairs(found: pa.Table) -> pa.Table:
    """``_pair_columns``' rows as ``PAIRS_SCHEMA`` rows sorted by id, scores rounded."""
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


def register_same_name_lookup(linker: Linker, backend: LinkageBackend, lookup: pa.Table) -> None:
    """Register ``lookup`` (``same_name_lookup``) with ``linker``, so Splink never counts the names itself."""
    linker.table_management.register_term_frequency_lookup(backend.register(lookup, "same_name_tf"),
                                                           SAME_NAME_COLUMN)


def _rounded(values: pa.ChunkedArray, digits: int) -> pa.ChunkedArray:
    """Floats rounded half to even (as numpy and pandas round), so stored scores compare across runs."""
    return pc.round(values.cast(pa.float64()), ndigits=digits, round_mode="half_to_even")
