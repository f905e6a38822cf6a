"""Incremental resolve: only the new mentions are scored, against the known ones and each other.

A warehouse that was resolved keeps, in ``mentions``, ``resolve_pairs`` and
``resolve_model``, what the next run needs to do only the new work: the ids of
the mentions it saw, every pair it scored at or above ``review_low``, and its
model. A mention whose id is not among them is new (ids hash the raw values,
so a changed record is a new mention). New mentions are scored with the stored
model against each other (Splink ``dedupe_only``) and against the known ones
(``link_only``), on the same blocking keys as a full run; the known pairs are
kept as scored. Clustering then runs on all pairs as in a full run, so
analyst decisions are honoured and an entity whose mentions did not change
keeps its id (an id is its smallest mention's).

What differs from a full rebuild, by design: the model is not re-estimated,
and known pairs keep the scores they had (a name's commonness and the
blocking keys' rarity move a little as data is added). ``diversion resolve
--full`` (or a run without ``incremental``) re-estimates everything.

A stored resolve is only built on when it was made on the same basis: the
settings that decide which pairs were scored and kept (``review_low``,
``max_block_size``, ``max_name_length``), ``RESOLVE_FORMAT``, bumped when
normalisation or the linkage model change in a way that makes stored pairs
stale, and a digest of the normalising code (``names``: an update takes stored
name forms and linkage rows, which an edited normaliser or another version would
make otherwise, whether or not the format was bumped). Otherwise the run is a
full one and says why.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
from splink import Linker

from diversion.code_digest import code_digest
from diversion.config import ResolveSettings
from diversion.engine import Engine, InProcessLinkage
from diversion.resolve.candidates import Candidates, candidate_filter, candidate_records
from diversion.resolve.explain import load_params
from diversion.resolve.linkage import (
    PAIRS_SCHEMA,
    Linkage,
    candidate_chunks,
    predict,
    predict_chunks,
    predict_records,
    quiet_splink,
    register_same_name_lookup,
    same_name_lookup,
)
from diversion.resolve.mentions import mentions_table
from diversion.resolve.model import settings
from diversion.resolve.sanctions_matches import NO_HITS, Answer, Answers
from diversion.resolve.training import TrainedParams

#: Bumped when name normalisation, blocking or the comparisons change: stored pairs are then stale.
#: 2: other spellings of a common name weigh no more than the name (``model.COMMONNESS_CAPPED``).
RESOLVE_FORMAT = 2

#: The key of ``model_json`` under which a resolve notes the shipments sources its mentions came from.
SOURCES = "shipment_sources"


def resolve_basis(rs: ResolveSettings) -> dict[str, Any]:
    """What a resolve's stored pairs, name forms and linkage rows depend on besides the data (stored with its
    model)."""
    return {"format": RESOLVE_FORMAT, "review_low": rs.review_low, "max_block_size": rs.max_block_size,
            "max_name_length": rs.max_name_length, "names": _names_digest()}


@cache
def _names_digest() -> str:
    """A digest of the package version and the name normalising code (``diversion.names``)."""
    return code_digest(sorted((Path(__file__).parent.parent / "names").glob("*.py")))[:20]


@dataclass(frozen=True)
class Previous:
    """What the last resolve left for the next one."""

    mention_ids: pa.Array
    pairs: pa.Table
    params: TrainedParams


def stored_model(engine: Engine) -> dict[str, Any]:
    """The last resolve's ``model_json``: its model and what it noted for the next run (``{}``: none, unreadable)."""
    text = engine.scalar("SELECT model_json FROM resolve_model ORDER BY trained_at DESC LIMIT 1")
    try:
        stored = json.loads(text) if text else None
    except ValueError:
        return {}
    return stored if isinstance(stored, dict) else {}


def stored_sources(engine: Engine) -> dict[str, int] | None:
    """The shipments sources the last resolve collected its mentions from, with their digests
    (``mentions.shipment_sources``); ``None`` when it did not note them."""
    sources = stored_model(engine).get(SOURCES)
    if not isinstance(sources, dict) or not all(isinstance(v, int) for v in sources.values()):
        return None  # not noted, or not as a resolve notes them: every shipment is grouped again
    return {str(k): v for k, v in sources.items()}


def stale_reason(engine: Engine, basis: dict[str, Any]) -> str | None:
    """Why the last resolve cannot be built on (never resolved, other settings or version), or ``None``."""
    if not engine.scalar("SELECT count(*) FROM resolve_model") or not engine.scalar("SELECT count(*) FROM mentions"):
        return "the warehouse was never resolved"
    before = stored_model(engine).get("basis")
    if before != basis:
        changed = sorted(k for k in basis if (before or {}).get(k) != basis[k])
        return "the last resolve was made with other settings or an older version (" + ", ".join(changed) + ")"
    return None


def lists_fingerprint(engine: Engine) -> str:
    """What screening results depend on in the lists: every listed entity's fields and names, as one string."""
    row = engine.fetch_all(
        "SELECT (SELECT count(*) FROM sanctions), (SELECT sum(hash(entity_id, schema, name, list_name, programs, "
        "listing_date, countries)) FROM sanctions), (SELECT count(*) FROM sanction_names), "
        "(SELECT sum(hash(entity_id, name, name_type)) FROM sanction_names)")[0]
    return repr(tuple(row))


def unchanged_entities(engine: Engine, placed: pa.Table) -> pa.Array:
    """The entities of ``placed`` (``entity_mentions`` rows) that hold exactly the mentions the last resolve
    gave them, by id.

    Worked out in Arrow, one join of the two runs' rows by mention: an entity changed when one of its
    mentions, now or then, is placed otherwise in the other run (at 10M shipment rows, 2.8M mentions
    compared as Python tuples per entity took 11 s).
    """
    then = engine.fetch_arrow("SELECT mention_id, entity_id AS entity_then FROM entity_mentions")
    both = placed.select(["mention_id", "entity_id"]).join(then, "mention_id", join_type="full outer")
    now, was = both.column("entity_id"), both.column("entity_then")
    moved = pc.fill_null(pc.not_equal(now, was), True)
    changed = pa.chunked_array([*now.filter(moved).chunks, *was.filter(moved).chunks], pa.string()).drop_null()
    current = pc.unique(placed.column("entity_id"))
    return current.filter(pc.invert(pc.is_in(current, value_set=pc.unique(changed))))


def reusable_matches(engine: Engine, unchanged: pa.Array, lists: str) -> dict[str, list[dict[str, Any]]] | None:
    """The last resolve's screening results of the ``unchanged`` entities (``unchanged_entities``) that had
    any, by id; ``None`` when it screened against other lists (``lists_fingerprint``, stored with its model).

    An entity whose mentions did not change has the same names, countries and schema, so the same hits:
    ``match_rows`` takes these rows, and screens none of the ``unchanged`` entities again.
    """
    if not _screened_against(engine, lists):
        return None
    rows = engine.fetch_arrow("SELECT * FROM sanctions_matches")
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows.filter(pc.is_in(rows.column("entity_id"), value_set=unchanged)).to_pylist():
        out.setdefault(row["entity_id"], []).append(row)
    return out


def _screened_against(engine: Engine, lists: str) -> bool:
    """Whether the last resolve screened against these lists the same way (``lists_fingerprint``)."""
    return bool(stored_model(engine).get("lists") == lists)


def stored_answers(engine: Engine, lists: str) -> Answers:
    """The last resolve's screening answers by question, when it screened against ``lists`` the same way.

    An answer depends on the question (a name, a country, a schema) and the lists; the word rarities
    that weigh a name also read the other parties' names, which an update adds to, and are not
    followed: as with an unchanged entity's stored matches (``reusable_matches``), ``--full``
    screens every name again.
    """
    if not _screened_against(engine, lists):
        return {}
    table = engine.fetch_arrow("SELECT question, hits FROM screening_answers")
    questions, hits = table.column("question").to_pylist(), table.column("hits").to_pylist()
    return {q: NO_HITS if h is None else tuple(Answer(*a) for a in orjson.loads(h))
            for q, h in zip(questions, hits, strict=True)}


def answers_table(answers: Answers) -> pa.Table:
    """The ``screening_answers`` table of ``answers`` (an empty answer as ``NULL``)."""
    return pa.table({
        "question": pa.array(list(answers), pa.binary()),
        "hits": pa.array([orjson.dumps([list(hit) for hit in a]).decode() if a else None for a in answers.values()],
                         pa.string()),
    })


def reusable_entities(engine: Engine, unchanged: pa.Array, placed: pa.Table, mentions: pa.Table) -> pa.Table | None:
    """The last resolve's ``entities`` rows of the ``unchanged`` entities (``unchanged_entities``) that have
    no listed mention and whose every mention says what it said then (``None`` when there is none);
    ``placed``: ``entity_mentions`` rows; ``mentions``: this run's (``collect_mentions``).

    An entity row is made of its mentions' names, aliases, countries, identifiers and schema. A shipment
    party's mention id hashes everything the mention says (name, address, country, id), so the same ids
    give the same row; a registered party's or a web page's mention id names its record, whose row is
    compared with the one stored (the ``mentions`` table holds all it says). A listed party's countries
    also come from the list's other rows, and its entity is made again. The rows stay in Arrow: as Python
    dictionaries a 10M-row warehouse's 1.4M entities were gigabytes, held through screening.
    """
    source = mentions.column("source_table")
    redo = pc.fill_null(pc.equal(source, "sanctions"), True)
    others = pc.fill_null(pc.not_equal(source, "shipments"), True)
    said = mentions_table(mentions.filter(pc.and_(others, pc.invert(redo))))
    if said.num_rows:  # registered parties, web pages, distributors: the same id may say something else now
        before = {r["mention_id"]: r for r in engine.fetch_arrow(
            "SELECT * FROM mentions WHERE source_table IS DISTINCT FROM 'shipments' "
            "AND source_table IS DISTINCT FROM 'sanctions'").to_pylist()}
        moved = [r["mention_id"] for r in said.to_pylist() if before.get(r["mention_id"]) != r]
        redo = pc.or_(redo, pc.is_in(mentions.column("mention_id"), value_set=pa.array(moved, pa.string())))
    again = mentions.filter(redo).column("mention_id").combine_chunks()
    with_them = placed.filter(pc.is_in(placed.column("mention_id"), value_set=again)).column("entity_id")
    same = unchanged.filter(pc.invert(pc.is_in(unchanged, value_set=with_them.combine_chunks())))
    if not len(same):
        return None
    rows = engine.fetch_arrow("SELECT * FROM entities")
    return rows.filter(pc.is_in(rows.column("entity_id"), value_set=same))


def previous_resolve(engine: Engine, mention_ids: pa.Array | None = None) -> Previous | None:
    """The last resolve's mentions, pairs and model, or ``None`` when the warehouse was never resolved;
    ``mention_ids``: its mentions' ids, when read already (``SELECT mention_id FROM mentions``)."""
    if not engine.scalar("SELECT count(*) FROM resolve_model") or not engine.scalar("SELECT count(*) FROM mentions"):
        return None
    ids = (engine.fetch_arrow("SELECT mention_id FROM mentions").column(0).combine_chunks()
           if mention_ids is None else mention_ids)
    pairs = engine.fetch_arrow("SELECT mention_id_l, mention_id_r, match_probability, match_weight FROM resolve_pairs")
    return Previous(ids, pairs.cast(PAIRS_SCHEMA), load_params(engine))


def new_mention_ids(table: pa.Table, previous: Previous) -> pa.Array:
    """The ``unique_id`` of the rows of ``table`` (``linkage_input``) the last resolve did not see."""
    ids = table.column("unique_id")
    return ids.filter(pc.invert(pc.is_in(ids, value_set=previous.mention_ids))).combine_chunks()


@dataclass
class NewPairsToScore:
    """What ``predict_new_pairs`` scores, taken from the linkage input, which can then be freed.

    At 10M shipment rows the input is 1.7 GiB: held (with a copy of its known rows) through the predict,
    an update peaked at 10.3 GiB where a full resolve, which frees it, peaks at 7.9.
    """

    previous: Previous
    min_probability: float
    memory_limit: str
    started: float
    kept: pa.Table  # the known pairs among the input's mentions
    lookup: pa.Table  # ``same_name_lookup`` of the whole input
    new_count: int
    known_count: int
    chosen: Candidates | None = None  # with bounds: the records in a candidate pair with a new mention
    new: pa.Table | None = None  # without bounds: the new mentions' rows
    known: pa.Table | None = None  # and the known ones'


def prepare_new_pairs(table: pa.Table, previous: Previous, min_probability: float, memory_limit: str = "",
                      bound_pairs: bool = True) -> NewPairsToScore:
    """Everything ``predict_new_pairs`` needs from ``table`` (the linkage input), which it does not keep."""
    started = time.perf_counter()
    ids = table.column("unique_id")
    new_ids = new_mention_ids(table, previous)
    is_new = pc.is_in(ids, value_set=new_ids)
    new_count = pc.sum(is_new).as_py() or 0
    kept = previous.pairs.filter(pc.and_(pc.is_in(previous.pairs.column("mention_id_l"), value_set=ids),
                                         pc.is_in(previous.pairs.column("mention_id_r"), value_set=ids)))
    job = NewPairsToScore(previous, min_probability, memory_limit, started, kept,
                          same_name_lookup(table, previous.params.prior), new_count, table.num_rows - new_count)
    condition = (candidate_filter(previous.params.levels, previous.params.prior, min_probability)
                 if bound_pairs and new_count else None)
    if condition is not None:  # only the pairs with a new mention whose weight could reach the threshold
        job.chosen = candidate_records(table, condition, memory_limit, fresh=new_ids)
    elif new_count:  # nothing to bound by: the new mentions blocked against each other and the known ones
        job.new, job.known = table.filter(is_new), table.filter(pc.invert(is_new))
    return job


def predict_new_pairs(job: NewPairsToScore) -> Linkage:
    """The known pairs ``job`` kept and every new mention's pairs, scored with the stored model (DuckDB backend).

    Pairs come out as ``score_pairs`` gives them: ids ordered per pair, sorted, ``match_probability`` at or
    above the job's ``min_probability``.
    """
    quiet_splink()
    previous, min_probability, chosen = job.previous, job.min_probability, job.chosen
    found = [job.kept]
    backend = InProcessLinkage(job.memory_limit)  # new mentions and their blocking partners: one machine's worth
    try:
        if chosen is not None:
            if chosen.pairs:
                found.append(predict_records(backend, chosen.records, previous.params, job.lookup, min_probability,
                                             candidate_chunks(chosen.pairs), candidates=True))
        elif job.new is not None and job.known is not None:
            model = settings(previous.params.prior, previous.params.levels, calibrated=True)
            if job.new.num_rows >= 2:  # the new mentions among themselves
                linker = Linker(backend.register(job.new, "new_mentions"), model, log_level=logging.ERROR)
                register_same_name_lookup(linker, backend, job.lookup)
                found.append(predict(linker, min_probability, predict_chunks(job.new.num_rows)))
            if job.new.num_rows and job.known.num_rows:  # each new mention against every known one sharing a key
                linker = Linker([backend.register(job.new, "new_mentions"),
                                 backend.register(job.known, "known_mentions")],
                                dataclasses.replace(model, link_type="link_only"), log_level=logging.ERROR)
                register_same_name_lookup(linker, backend, job.lookup)
                found.append(predict(linker, min_probability))
    finally:
        backend.close()
    pairs = pa.concat_tables(found).sort_by([("mention_id_l", "ascending"), ("mention_id_r", "ascending")])
    params = dataclasses.replace(previous.params, notes=[
        *previous.params.notes, f"incremental: {job.new_count:,} new mentions scored against {job.known_count:,} "
        "known ones and each other with the stored model"])
    return Linkage(pairs, params, predict_seconds=time.perf_counter() - job.started, records=job.new_count,
                   blocked=chosen.blocked if chosen is not None else None,
                   bounded=chosen.bounded if chosen is not None else None,
                   compared=chosen.pairs if chosen is not None else None)


def score_new_pairs(
    table: pa.Table, previous: Previous, min_probability: float, engine: Engine | None = None,
    memory_limit: str = "", bound_pairs: bool = True,
) -> Linkage:
    """The known pairs among ``table``'s mentions, and every new mention's pairs (DuckDB backend).

    ``prepare_new_pairs`` then ``predict_new_pairs`` (the resolve frees the input between the two).
    ``bound_pairs``: only the pairs whose match weight could reach ``min_probability`` are scored
    (``candidates``: one predict over the new mentions' pairs, with each other and the known ones); off, the
    new mentions are blocked among themselves and against the known ones (the same pairs, more comparisons).
    """
    return predict_new_pairs(prepare_new_pairs(table, previous, min_probability, memory_limit, bound_pairs))
