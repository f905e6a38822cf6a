"""Why two mentions are (or are not) one entity: Splink's match weights, in words and numbers.

Each comparison contributes a match weight, log2(m/u): how much more often its
outcome occurs among the same party (m) than among different parties (u).
The weights add up with the prior (log2 of the odds that two random mentions
are the same party) to the total; the match probability is 2^w / (1 + 2^w).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from typing import Any

from splink import Linker

from diversion.engine import Engine, InProcessLinkage
from diversion.errors import DiversionError
from diversion.names.rarity import WordCounts
from diversion.resolve.decisions import find_mention
from diversion.resolve.linkage import register_same_name_lookup, same_name_lookup
from diversion.resolve.linkage_input import linkage_table
from diversion.resolve.mentions import listed_countries, mentions_frame
from diversion.resolve.model import COMMONNESS_CAPPED, PRIORS, settings
from diversion.resolve.training import TrainedParams

_SHOWN = {"name": "names_core", "country": "countries", "address": "address_fp", "identifiers": "identifiers",
          "domain": "domain"}


def _shown(value: Any) -> str:
    """A compared value for people: lists joined with " | ", missing as "—"."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    try:
        items = [str(v) for v in value]
    except TypeError:
        return str(value)
    return " | ".join(items) if items else "—"


@dataclass
class Contribution:
    """One comparison's part in the decision."""

    comparison: str
    level: str
    weight: float
    left: Any
    right: Any


@dataclass
class Explanation:
    """The full account of one pair."""

    left: dict[str, Any]
    right: dict[str, Any]
    prior_weight: float
    contributions: list[Contribution] = field(default_factory=list)
    total_weight: float = 0.0
    probability: float = 0.0
    same_entity: bool | None = None
    threshold: float = 0.9
    model_note: str | None = None
    unresolved: str | None = None
    decisions: list[dict[str, Any]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The explanation as plain sentences, one per line."""
        out = [f"A: {self.left.get('name')!r} ({self.left.get('mention_id', 'ad hoc')}, {self.left.get('role')})",
               f"B: {self.right.get('name')!r} ({self.right.get('mention_id', 'ad hoc')}, {self.right.get('role')})"]
        if self.unresolved:
            return [*out, f"Not comparable: {self.unresolved}."]
        out.append(f"prior (two random mentions are one party): {self.prior_weight:+.2f}")
        for c in self.contributions:
            effect = "for" if c.weight > 0 else "against" if c.weight < 0 else "neutral"
            out.append(f"{c.comparison}: {c.level} → {c.weight:+.2f} ({effect}); A: {c.left}  B: {c.right}")
        verdict = "one entity" if self.probability >= self.threshold else "kept apart"
        out.append(f"total match weight {self.total_weight:+.2f} → probability {self.probability:.3f} "
                   f"(threshold {self.threshold}): {verdict} by the model")
        if self.same_entity is not None:
            where = "share an entity." if self.same_entity else "are different entities."
            out.append("In the last resolve they " + where)
        for d in self.decisions:
            why = d["reason"] or "no reason given"
            out.append(f"Analyst decision: {d['judgement']} by {d['author']} at {d['decided_at']} ({why})")
        if self.model_note:
            out.append(f"model: {self.model_note}")
        return out


def _mention(engine: Engine, ref: str) -> dict[str, Any]:
    mid = find_mention(engine, ref) if engine.table_exists("mentions") else None
    if mid is None:
        return {"mention_id": None, "name": ref, "role": "ad hoc name", "schema": None, "aliases": [],
                "countries": [], "identifiers": [], "domain": None, "address": None}
    row = engine.fetch_dicts("SELECT * FROM mentions WHERE mention_id = ?", [mid])[0]
    row["countries"] = [row["country"]] if row.get("country") else []
    if row.get("source_table") == "sanctions":
        listed = engine.fetch_all("SELECT countries FROM sanctions WHERE entity_id = ?", [row["source_key"]])
        addresses = engine.fetch_all("SELECT country FROM sanction_addresses WHERE entity_id = ?", [row["source_key"]])
        countries = listed_countries(listed[0][0] if listed else None, [a[0] for a in addresses])
        row["countries"] = countries or row["countries"]
        datasets = engine.fetch_all("SELECT datasets FROM sanctions WHERE entity_id = ?", [row["source_key"]])
        row["lists"] = [d for d in (datasets[0][0] if datasets else None) or [] if d]
    return row


def _has_values(value: Any) -> bool:
    """Whether a compared value (a string, or a list/array of them) holds anything."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value)
    try:
        return len(value) > 0
    except TypeError:
        return True


def _word_counts(engine: Engine) -> WordCounts | None:
    """Word counts over the warehouse's normalised names, as the last resolve saw them (``None``: none yet)."""
    if not engine.table_exists("mentions"):
        return None
    rows = engine.fetch_all("SELECT DISTINCT name_norm FROM mentions WHERE name_norm IS NOT NULL")
    names = [r[0].split() for r in rows]
    return WordCounts.of(names) if names else None


def load_params(engine: Engine) -> TrainedParams:
    """The model of the last resolve run, or the documented priors when there is none."""
    if engine.table_exists("resolve_model"):
        rows = engine.fetch_all("SELECT model_json, method, note FROM resolve_model ORDER BY trained_at DESC LIMIT 1")
        if rows:
            return TrainedParams.from_dict(json.loads(rows[0][0]), rows[0][1], [rows[0][2]] if rows[0][2] else [])
    return TrainedParams(notes=["no resolve has run yet: documented priors"])


def explain_pair(engine: Engine, a: str, b: str, threshold: float = 0.9, max_name_length: int = 500) -> Explanation:
    """Explain the model's view of two mentions (ids, entity ids or names)."""
    left, right = _mention(engine, a), _mention(engine, b)
    if left.get("mention_id") and left.get("mention_id") == right.get("mention_id"):
        raise DiversionError(f"{a!r} and {b!r} both name mention {left['mention_id']}; give two different ones")
    params = load_params(engine)
    prior_weight = math.log2(params.prior / (1 - params.prior))
    out = Explanation(left, right, prior_weight, threshold=threshold, model_note="; ".join(params.notes) or None)
    for i, m in enumerate((left, right)):
        m["mention_id"] = m.get("mention_id") or f"adhoc-{i}"
    table = linkage_table(mentions_frame([left, right]), max_name_length, counts=_word_counts(engine))
    if table.num_rows < 2:
        reasons = [m.get("unresolved_reason") for m in (left, right) if m.get("unresolved_reason")]
        out.unresolved = "; ".join(r for r in reasons if r) or "a name has no matchable form"
        return out
    backend = InProcessLinkage()  # two mentions: always in process, whatever the warehouse's engine
    try:
        linker = Linker(backend.register(table, "explain_input"),
                        settings(params.prior, params.levels, explain=True, calibrated=True), log_level=logging.ERROR)
        register_same_name_lookup(linker, backend, same_name_lookup(table, params.prior))
        rows = {r["unique_id"]: r for r in table.to_pylist()}  # sorted by id: left and right picked by id
        pair = linker.inference.score_pair(rows[left["mention_id"]], rows[right["mention_id"]])
        scored = pair.as_record_list()[0]
    finally:
        backend.close()
    for comp, labels in PRIORS.items():
        gamma = int(scored[f"gamma_{comp}"])
        col = _SHOWN[comp]
        level = "missing on one side" if gamma < 0 else labels[len(labels) - 1 - gamma][0]
        weight = float(scored[f"mw_{comp}"]) + float(scored.get(f"mw_tf_adj_{comp}") or 0.0)
        rarity = max(rows[m["mention_id"]]["name_commonness"] or 0.0 for m in (left, right))
        if level == "same name":
            level = f"same name (expected other parties with this name: {rarity:.2g})"
        elif (comp, level) in COMMONNESS_CAPPED and float(scored.get(f"mw_tf_adj_{comp}") or 0.0) < 0.0:
            level = f"{level} (weighed down: expected other parties with the commoner name: {rarity:.2g})"
        if gamma < 0 and (scored.get("claimed_l") or scored.get("claimed_r")) and \
                scored.get(f"{col}_l") is not None and scored.get(f"{col}_r") is not None:
            level = "a web site's claim that disagrees (neutral)"
        elif gamma < 0 and comp == "identifiers" and _has_values(scored.get(f"{col}_l")) \
                and _has_values(scored.get(f"{col}_r")):
            level = "no register in common, e.g. two lists' own entry ids (neutral)"
        out.contributions.append(Contribution(
            comp, level, round(weight, 2), _shown(scored.get(f"{col}_l")),
            _shown(scored.get(f"{col}_r")),
        ))
    out.total_weight = round(float(scored["match_weight"]), 2)
    out.probability = float(scored["match_probability"])
    ids = [m["mention_id"] for m in (left, right)]
    if all(i.startswith("m-") for i in ids) and engine.table_exists("entity_mentions"):
        ents = {r[0]: r[1] for r in engine.fetch_all(
            "SELECT mention_id, entity_id FROM entity_mentions WHERE mention_id IN (?, ?)", ids)}
        if len(ents) == 2:
            out.same_entity = ents[ids[0]] == ents[ids[1]]
        lo, hi = sorted(ids)
        if engine.table_exists("decisions"):
            out.decisions = engine.fetch_dicts(
                "SELECT judgement, author, decided_at, reason FROM decisions WHERE left_id = ? AND right_id = ? "
                "ORDER BY decided_at", [lo, hi])
    if not scored:
        raise DiversionError("Splink returned no score for the pair")
    return out
