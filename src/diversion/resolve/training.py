"""Estimate the model's parameters from the data, without labels.

1. u (how often each level occurs among *different* parties) by comparing
   every pair of a fixed sample of ``U_SAMPLE_ROWS`` mentions (the smallest
   mention ids; ids are hashes, so this is a random draw that every backend and
   every run draws the same way).
2. The prior match probability from two deterministic rules (an identifier in
   common; the same glued name), assuming they find 80 % of true links.
3. m (how often each level occurs among the *same* party) by expectation
   maximisation, in two sessions: pairs sharing an identifier (trains name,
   country, address, domain) and pairs sharing a name (trains the rest).

Every step may fail on small or odd data (too few pairs, no identifiers, EM
not converging). Each failure keeps the documented prior of ``model.PRIORS``
for what it would have estimated and is recorded in the run's note. Trained
parameters are checked for sense (a closer level must not weigh less than a
looser one, "different" must count against a match); a comparison that fails
the check falls back to its priors as a whole.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from splink import Linker, block_on

from diversion.engine import LinkageBackend
from diversion.resolve.model import NEGATIVE_LEVELS, PRIOR_MATCH_PROBABILITY, PRIORS, settings

log = logging.getLogger(__name__)

#: Below this many mentions the data cannot train the model (too many of the random pairs
#: are true matches, EM has too little to work on): the documented priors are used as a whole.
MIN_MENTIONS_TO_TRAIN = 200
#: u is estimated on every pair of this many mentions (a fixed, hash-ordered sample).
U_SAMPLE_ROWS = 800
_U_FLOOR = 1e-6


@dataclass
class TrainedParams:
    """Parameters of the linkage model and how they were obtained."""

    prior: float = PRIOR_MATCH_PROBABILITY
    levels: dict[str, dict[str, tuple[float, float]]] = field(
        default_factory=lambda: {c: {label: (m, u) for label, m, u in lv} for c, lv in PRIORS.items()}
    )
    notes: list[str] = field(default_factory=list)
    method: str = "priors"

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form, stored in ``resolve_model``."""
        levels = {c: {k: list(v) for k, v in lv.items()} for c, lv in self.levels.items()}
        return {"prior": self.prior, "levels": levels}

    @classmethod
    def from_dict(cls, data: dict[str, Any], method: str = "stored", notes: list[str] | None = None) -> TrainedParams:
        """Rebuild from ``as_dict`` output."""
        levels = {c: {k: (float(v[0]), float(v[1])) for k, v in lv.items()} for c, lv in data["levels"].items()}
        return cls(prior=float(data["prior"]), levels=levels, notes=notes or [], method=method)


def _read(linker: Linker) -> dict[str, dict[str, tuple[float | None, float | None]]]:
    model = linker.misc.save_model_to_json()
    out: dict[str, dict[str, tuple[float | None, float | None]]] = {}
    for comp in model["comparisons"]:
        out[comp["output_column_name"]] = {
            lv["label_for_charts"]: (lv.get("m_probability"), lv.get("u_probability"))
            for lv in comp["comparison_levels"] if not lv.get("is_null_level")
        }
    return out


def _weight(m_u: tuple[float, float]) -> float:
    return math.log2(max(m_u[0], 1e-9) / max(m_u[1], _U_FLOOR))


def _sensible(levels: dict[str, tuple[float, float]], order: list[str]) -> bool:
    """Weights fall from the closest to the loosest level, the last counts against, and so do negative levels."""
    weights = [_weight(levels[label]) for label in order if label not in NEGATIVE_LEVELS]
    negatives = [_weight(levels[label]) for label in order if label in NEGATIVE_LEVELS]
    return (
        weights[0] > 0 and weights[-1] < 0 and all(w < 0 for w in negatives)
        and all(a >= b - 0.5 for a, b in zip(weights, weights[1:], strict=False))
    )


def _u_sample(table: pa.Table, max_rows: int) -> pa.Table:
    """A deterministic sample of rows (smallest ids: mention ids are hashes, so this is a random draw)."""
    if table.num_rows <= max_rows:
        return table
    return table.sort_by("unique_id").slice(0, max_rows)


def _estimate_u(backend: LinkageBackend, table: pa.Table, seed: int, params: TrainedParams) -> None:
    """u values from every pair of a fixed sample: identical on every backend and every run."""
    sample = _u_sample(table, U_SAMPLE_ROWS)
    linker = Linker(backend.register(sample, "u_sample"), settings(), log_level=logging.ERROR)
    pairs = sample.num_rows * (sample.num_rows - 1) / 2
    linker.training.estimate_u_using_random_sampling(
        max_pairs=pairs + 1, seed=seed, min_count_per_level=None, num_chunks=1
    )
    for comp, levels in _read(linker).items():
        for label, (_, u) in levels.items():
            if u is not None and u > 0:
                m = params.levels[comp][label][0]
                params.levels[comp][label] = (m, max(float(u), _U_FLOOR))


def train(backend: LinkageBackend, table: pa.Table, seed: int = 42) -> TrainedParams:
    """Estimate the model on ``table`` (linkage input) and return checked parameters."""
    params = TrainedParams()
    n_rows = table.num_rows
    if n_rows < MIN_MENTIONS_TO_TRAIN:
        params.notes.append(f"{n_rows} mentions are too few to estimate the model; using the documented priors")
        return params
    try:
        _estimate_u(backend, table, seed, params)
    except Exception as exc:  # noqa: BLE001 - Splink raises many kinds; the fallback is documented
        params.notes.append(f"u not estimated ({type(exc).__name__}); using prior u")
    linker = Linker(backend.register(table, "training_input"), settings(params.prior, params.levels),
                    log_level=logging.ERROR)
    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("id_key"), block_on("name_key", "kind")], recall=0.8
        )
        estimated = linker._settings_obj._probability_two_random_records_match  # noqa: SLF001
        if 1e-7 < estimated < 0.5:
            params.prior = float(estimated)
        else:
            params.notes.append(f"prior match probability {estimated:.2g} out of range; using the prior")
    except Exception as exc:  # noqa: BLE001
        params.notes.append(f"prior match probability not estimated ({type(exc).__name__})")
    em_ok = 0
    for rule in (block_on("id_key"), block_on("name_key", "kind")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule, fix_u_probabilities=True)
            em_ok += 1
        except Exception as exc:  # noqa: BLE001
            params.notes.append(f"EM on {rule.get_blocking_rule('duckdb').blocking_rule_sql} failed "
                                f"({type(exc).__name__}: {str(exc)[:80]})")
    trained = _read(linker)
    for comp, labels in PRIORS.items():
        order = [label for label, _, _ in labels]
        candidate = {}
        for label, m0, _ in labels:
            m, _u = trained.get(comp, {}).get(label, (None, None))
            m = m if m is not None and m > 0 else m0
            candidate[label] = (float(m), params.levels[comp][label][1])
        if _sensible(candidate, order):
            params.levels[comp] = candidate
        else:
            params.levels[comp] = {label: (m0, u0) for label, m0, u0 in labels}
            params.notes.append(f"trained {comp} weights not monotone; using the priors for {comp}")
    params.method = "em" if em_ok else "priors"
    if not em_ok:
        params.notes.append("EM did not run on this data: m values are the documented priors")
    return params
