"""Score mention pairs with Splink: train the model, then predict blocked pairs."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import pyarrow as pa
from splink import Linker

from diversion.engine import Engine
from diversion.resolve.backends import db_api, register
from diversion.resolve.model import settings
from diversion.resolve.training import TrainedParams, train

log = logging.getLogger(__name__)

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


def _quiet_splink() -> None:
    for name in ("splink", "py4j"):
        logging.getLogger(name).setLevel(logging.ERROR)


def score_pairs(
    table: pa.Table, min_probability: float, backend: str = "duckdb", engine: Engine | None = None,
    params: TrainedParams | None = None, master: str = "local[2]", seed: int = 42,
) -> Linkage:
    """Train on ``table`` (``linkage_input`` rows) unless ``params`` are given, then predict.

    Returns pairs with ``match_probability >= min_probability``, ids ordered
    (``mention_id_l < mention_id_r``) and sorted, so runs are comparable.
    """
    _quiet_splink()
    if table.num_rows < 2:
        return Linkage(PAIRS_SCHEMA.empty_table(), params or TrainedParams(notes=["fewer than two mentions"]))
    started = time.perf_counter()
    api = None
    if params is None:  # the training database is set up inside the training time
        api = db_api(backend, engine, master)
        params = train(api, table, seed)
    trained = time.perf_counter()
    if api is None or backend == "duckdb":  # DuckDB predicts on a clean database, without training's tables
        api = db_api(backend, engine, master)
    sdf = register(api, table, "mentions_input")
    linker = Linker(sdf, settings(params.prior, params.levels), log_level=logging.ERROR)
    predicted = linker.inference.predict(threshold_match_probability=min_probability)
    # Only the ids and scores leave the backend: the comparison columns (every name form, both sides) would
    # cost more to convert than the rest of the step.
    frame = predicted.query_sql(
        "SELECT unique_id_l, unique_id_r, match_probability, match_weight FROM {this}"
    ).as_pandas_dataframe()
    timing = {"train_seconds": trained - started, "predict_seconds": time.perf_counter() - trained}
    if frame.empty:
        return Linkage(PAIRS_SCHEMA.empty_table(), params, **timing)
    left, right = frame["unique_id_l"].astype(str), frame["unique_id_r"].astype(str)
    swap = left > right
    frame["mention_id_l"] = left.where(~swap, right)
    frame["mention_id_r"] = right.where(~swap, left)
    frame = frame.sort_values(["mention_id_l", "mention_id_r"])
    out = pa.table({
        "mention_id_l": frame["mention_id_l"].tolist(),
        "mention_id_r": frame["mention_id_r"].tolist(),
        "match_probability": frame["match_probability"].astype(float).round(6).tolist(),
        "match_weight": frame["match_weight"].astype(float).round(4).tolist(),
    }, schema=PAIRS_SCHEMA)
    timing["predict_seconds"] = time.perf_counter() - trained
    return Linkage(out, params, **timing)
