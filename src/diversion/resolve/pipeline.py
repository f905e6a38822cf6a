"""``resolve``: mentions → Splink pairs → entities, with decisions and sanctions matches."""

from __future__ import annotations

import json
import time
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

from diversion.collector import collector_paused
from diversion.config import Settings
from diversion.engine import Engine
from diversion.engine.linkage import hand_back_freed_memory
from diversion.names.normalise import nothing_new, remembered_forms
from diversion.resolve.clustering import cluster, cluster_identifiers
from diversion.resolve.decisions import current_decisions
from diversion.resolve.entities import (
    entities_frame,
    entity_mentions_table,
    names_to_pick,
    shipment_entities_sql,
    shipment_entities_update_sql,
)
from diversion.resolve.incremental import (
    SOURCES,
    answers_table,
    lists_fingerprint,
    predict_new_pairs,
    prepare_new_pairs,
    previous_resolve,
    resolve_basis,
    reusable_entities,
    reusable_matches,
    stale_reason,
    stored_answers,
    stored_sources,
    unchanged_entities,
)
from diversion.resolve.linkage import predict_pairs, prepare_pairs
from diversion.resolve.linkage_cache import ROWS_TOKEN, load_rows, save_rows, stored_rows_token
from diversion.resolve.linkage_input import linkage_rows
from diversion.resolve.mentions import Since, collect_mentions, mentions_table, shipment_sources
from diversion.resolve.picking import picking
from diversion.resolve.prescreening import asks_ahead, new_mentions
from diversion.resolve.prescreening import start as answer_ahead
from diversion.resolve.sanctions_matches import match_rows, matches_table
from diversion.resolve.screening import ScreeningIndex, build_index

OUTPUT_TABLES = (
    "mentions", "entities", "entity_mentions", "shipment_entities", "sanctions_matches", "resolve_pairs",
    "resolve_model",
)


@dataclass
class ResolveReport:
    """What one ``resolve`` run did."""

    mentions: int = 0
    unresolved: int = 0
    pairs_scored: int = 0
    links: int = 0
    entities: int = 0
    merged_entities: int = 0
    sanctions_matches: int = 0
    decisions: int = 0
    method: str = "priors"
    notes: list[str] = field(default_factory=list)
    #: The engine Splink ran beside (``Engine.linkage``).
    backend: str = ""
    seconds: float = 0.0
    unresolved_reasons: dict[str, int] = field(default_factory=dict)
    #: Seconds per step: mentions, screening_index, linkage_input, train, predict, cluster, sanctions, entities, write.
    timings: dict[str, float] = field(default_factory=dict)
    #: Mentions scored this run: all of them, or (incremental) the ones the last resolve did not see.
    scored_mentions: int = 0
    #: Record pairs sharing a blocking key, those of them whose match weight was bounded, and those Splink
    #: compared (``resolve.candidates``: whose weight could reach ``review_low``); ``None`` where the backend
    #: compares every blocked pair, or (blocked) where only the pairs sharing a value a link needs were bounded.
    pairs_blocked: int | None = None
    pairs_bounded: int | None = None
    pairs_compared: int | None = None
    #: Linkage rows taken as the last resolve made them (an update's unchanged parties, ``linkage_cache``).
    known_rows: int = 0


def _links_in_process(engine: Engine, memory_limit: str) -> bool:
    """Whether the engine's Splink backend runs in this process (what an incremental resolve needs)."""
    backend = engine.linkage(memory_limit)
    try:
        return backend.in_process
    finally:
        backend.close()


def resolve(engine: Engine, settings: Settings, incremental: bool = False) -> ResolveReport:
    """Link every party mention in the warehouse into entities and rebuild the resolve tables.

    Splink runs where the engine puts it (``Engine.linkage``). Decisions in
    ``decisions`` are honoured; the same data gives the same entity ids.
    ``incremental``: score only the mentions the last resolve did not see, with
    its model (``resolve.incremental``; engines whose linkage runs in this
    process; a warehouse never resolved is resolved in full).
    """
    started = time.perf_counter()
    with collector_paused():  # millions of acyclic name forms, columns, union-find records
        # Mentions, linkage input and screening all read every name's forms: each is worked out once, and
        # all of them are forgotten (with the linkage input, the screening index and the per-mention Python
        # objects) before the tables are written: at 10M shipment rows they are gigabytes the write never reads.
        with remembered_forms():
            outcome = _resolve(engine, settings, incremental)
        hand_back_freed_memory()
        clock = time.perf_counter()
        _write(engine, outcome)
    report = outcome.report
    report.timings["write"] = round(time.perf_counter() - clock, 3)
    report.seconds = round(time.perf_counter() - started, 2)
    return report


@dataclass
class _Outcome:
    """What a resolve writes: the warehouse tables (built, nothing else held), the model row, the report."""

    tables: dict[str, pa.Table]
    model: pa.Table | None  # a full run's new ``resolve_model`` row
    model_json: str | None  # an incremental run's: the model it scored with, noting the lists screened
    report: ResolveReport
    # An update's shipments sources the last resolve did not see, when it saw the others as they are
    # (``Since.only_added``): only these sources' shipments are new. ``None``: not known.
    added: list[str] | None = None


#: Tables an update writes row by row (``Engine.sync_arrow``: only the rows that changed), with their keys.
#: The others are small, or mostly changed (an entity's row changes with any of its mentions'). ``entities``
#: synced would save a second at 10M rows (a month changes a tenth of its rows: 1.9 s against 3.0), but its
#: rows would then sit in another order in the table, and that was not checked against every query reading it.
SYNCED = {"mentions": "mention_id", "entity_mentions": "mention_id"}


def _write(engine: Engine, outcome: _Outcome) -> None:
    """Replace the resolve tables with ``outcome``'s, and ``shipment_entities`` from them, in one transaction.

    An update (``outcome.model`` is ``None``) on an engine with cheap row deletes writes only what changed
    of ``SYNCED``'s tables and of ``shipment_entities``; the tables are the same.
    """
    update = outcome.model is None and engine.cheap_row_deletes
    # An update's text stored plain: DuckDB compressing what it changes took 5-7 s of the 10M update's 19-21 s of
    # writing, for 0.26 GB on disk (``Engine.plain_text``). Not a full resolve's: its write is its memory peak
    # (7.8 GiB at 10M rows), and plain row groups were not measured there.
    with engine.plain_text() if update else nullcontext(), engine.transaction():
        if update:  # the mentions whose entity changes: their shipments' rows are made again
            engine.execute("CREATE OR REPLACE TEMP TABLE _resolve_before AS "
                           "SELECT mention_id, entity_id FROM entity_mentions")
        # Each table is released once written (the warehouse holds it now): at 10M shipment rows the write is
        # resolve's memory peak, the Arrow tables beside the warehouse's own copy of them.
        for name in list(outcome.tables):
            data = outcome.tables.pop(name)
            if update and name in SYNCED:
                engine.sync_arrow(name, data, SYNCED[name])
            else:
                engine.replace_arrow(name, data)
            del data
            hand_back_freed_memory()
        if outcome.model is not None:
            engine.replace_arrow("resolve_model", outcome.model)
        else:
            engine.execute("UPDATE resolve_model SET model_json = ?", [outcome.model_json])
        if update:
            engine.execute("CREATE OR REPLACE TEMP TABLE _resolve_moved AS "
                           "SELECT mention_id, o.entity_id AS entity_then "
                           "FROM entity_mentions n FULL JOIN _resolve_before o USING (mention_id) "
                           "WHERE n.entity_id IS DISTINCT FROM o.entity_id")
            engine.execute("DROP TABLE _resolve_before")
            added = None
            if outcome.added is not None:
                added = "_resolve_added"
                engine.execute(f"CREATE OR REPLACE TEMP TABLE {added} AS "
                               "SELECT unnest(?::VARCHAR[]) AS source_id", [outcome.added])
            for statement in shipment_entities_update_sql("_resolve_moved", added):
                engine.execute(statement)
            engine.execute("DROP TABLE _resolve_moved")
            if added is not None:
                engine.execute(f"DROP TABLE {added}")
        else:
            engine.reset_table("shipment_entities")  # straight from the warehouse's own tables, in its SQL
            engine.execute(f"INSERT INTO shipment_entities {shipment_entities_sql()}")


def _screening_index(engine: Engine, max_name_length: int, mentions: pa.Table) -> ScreeningIndex:
    """The lists' screening index, word rarities from ``mentions``' names; the lists' name forms not kept."""
    with nothing_new():  # read again when screening, and many for a large list
        names = mentions.column("name_norm")
        return build_index(engine, max_name_length, names.filter(pc.fill_null(pc.not_equal(names, ""), False)))


def _resolve(engine: Engine, settings: Settings, incremental: bool = False) -> _Outcome:
    with ExitStack() as cleanup:
        return _resolving(engine, settings, incremental, cleanup)


def _resolving(engine: Engine, settings: Settings, incremental: bool, cleanup: ExitStack) -> _Outcome:
    """``_resolve``; ``cleanup`` ends what it starts on the way."""
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(step: str) -> None:
        now = time.perf_counter()
        timings[step] = round(now - clock[0], 3)
        clock[0] = now

    rs = settings.resolve
    basis = resolve_basis(rs)
    in_process = _links_in_process(engine, rs.predict_memory_limit)
    stale = stale_reason(engine, basis) if incremental and in_process else None
    builds_on = incremental and in_process and stale is None
    # Noted for the next run, which can build on this one only where Splink runs in this process.
    sources = shipment_sources(engine) if in_process else None
    # An update groups only new sources' shipments into parties, normalises only the names it has not seen, and
    # makes only their linkage rows (``linkage_cache``).
    since = Since(sources, stored_sources(engine)) if builds_on and sources is not None else None
    mentions = collect_mentions(engine, rs.max_name_length, since)
    lap("mentions")
    # A full resolve has the screening questions answered on the second core from now on, while this one makes
    # the linkage input, and on both once it screens (``prescreening``), with the index built now. An update
    # asks ahead only about the mentions the last resolve did not hold (the stored answers answer the others):
    # at 10M shipment rows a month's 100,000 new names, 15-20 s of screening. With few of them it builds the
    # index when it screens (held through the linkage input, a large list's index would add to its peak).
    index, ahead = None, None
    # The last resolve's mention ids, read once: the new mentions are asked about, and scored (``previous_resolve``).
    known_ids = engine.fetch_arrow("SELECT mention_id FROM mentions").column(0).combine_chunks() if builds_on else None
    asked = new_mentions(mentions, known_ids) if known_ids is not None else mentions
    if asks_ahead(asked.num_rows):
        index = _screening_index(engine, rs.max_name_length, mentions)
        ahead = answer_ahead(index, asked, rs.screen_threshold, rs.screen_limit)
        if ahead is not None:
            cleanup.callback(ahead.stop)  # a resolve that fails on the way ends the child
    del asked
    lap("screening_index")
    known = load_rows(engine, stored_rows_token(engine)) if builds_on else None
    known_count = 0 if known is None else known.rows.num_rows
    made = linkage_rows(mentions, rs.max_name_length, rs.max_block_size, known=known)
    del known
    rows_token = save_rows(engine, made)
    table = made.rows
    del made
    lap("linkage_input")
    previous = previous_resolve(engine, known_ids) if builds_on else None
    del known_ids
    scored = table.num_rows
    if previous is not None:
        new_job = prepare_new_pairs(table, previous, rs.review_low, memory_limit=rs.predict_memory_limit)
        del table  # freed before the predict, as below (an update at 10M rows peaked at 10.3 GiB holding it)
        hand_back_freed_memory()
        linkage = predict_new_pairs(new_job)
        del new_job
        scored = linkage.records
    else:
        job = prepare_pairs(table, rs.review_low, engine, seed=rs.seed, chunks=rs.predict_chunks,
                            memory_limit=rs.predict_memory_limit)
        # The linkage input (every name form of every mention) is not read again: freed before the candidates and
        # Splink's predict, the resolve's memory peaks (at 10M shipment rows: 1.7 GiB handed back).
        del table
        hand_back_freed_memory()
        linkage = predict_pairs(job)
        del job
        if incremental:
            linkage.params.notes.append("incremental: " + (
                f"{stale}: resolved in full" if in_process
                else f"needs linkage in this process: resolved in full on {engine.name}"))
    timings["train"], timings["predict"] = round(linkage.train_seconds, 3), round(linkage.predict_seconds, 3)
    clock[0] = time.perf_counter()
    same, different = current_decisions(engine)
    ids = mentions.column("mention_id").to_pylist()
    assignments = cluster(ids, linkage.pairs, rs.link_threshold, same, different, cluster_identifiers(mentions))
    links = pc.sum(pc.greater_equal(linkage.pairs.column("match_probability"), rs.link_threshold)).as_py() or 0
    lap("cluster")
    placed = entity_mentions_table(ids, assignments)
    unchanged = unchanged_entities(engine, placed) if previous is not None else None
    # An incremental run takes the rows of unchanged entities as they are (their canonical name is the costly
    # part: rigour's pick_name, 10 s at 1M shipment rows).
    kept = reusable_entities(engine, unchanged, placed, mentions) if unchanged is not None else None
    # Canonical names are picked in a worker while this process screens, then on both cores (``picking``).
    entity = placed.column("entity_id").combine_chunks()  # in mentions' order, as ``ids``
    with picking(names_to_pick(mentions, assignments, kept, entity)) as picked, nothing_new():
        # Screening reads every name's organisation forms remembered above, and others once; the questions
        # answered ahead (here from the last mention back, until this process meets the worker) are not asked again.
        ready = ahead.result() if ahead is not None else None
        if index is None:
            index = _screening_index(engine, rs.max_name_length, mentions)
        # What the stored screening results depend on: the lists, and how they were screened.
        lists = lists_fingerprint(engine) + repr((rs.screen_threshold, rs.screen_limit, rs.max_name_length))
        # An incremental run screens only the entities whose mentions changed, when the lists did not.
        screened = reusable_matches(engine, unchanged, lists) if unchanged is not None else None
        # ... and takes what it screened before for every name it asks about again (``stored_answers``).
        answers = stored_answers(engine, lists) if previous is not None else {}
        matches = match_rows(mentions, assignments, index, rs.screen_threshold, rs.screen_limit, screened, answers,
                             ready, entity, unchanged if screened is not None else None)
        del ready
        # Held as Arrow until written: the dictionary of a 10M-row warehouse's 2.8M answers is 5–6 times its size.
        kept_answers = answers_table(answers)
        del answers
        lap("sanctions")
        ents = entities_frame(mentions, assignments, kept, picked(), entity)
        lap("entities")
    del index
    stored = {"basis": basis, "lists": lists, ROWS_TOKEN: rows_token, SOURCES: sources}
    model_json = json.dumps({**linkage.params.as_dict(), **stored}, sort_keys=True)
    model = pa.table({
        "trained_at": pa.array([datetime.now(UTC).replace(tzinfo=None)], pa.timestamp("us")),
        "method": [linkage.params.method], "note": ["; ".join(linkage.params.notes) or None],
        "model_json": [model_json],
    }) if previous is None else None  # an incremental run keeps the model it scored with
    tables = {
        "mentions": mentions_table(mentions),
        "entities": ents,
        "entity_mentions": placed,
        "resolve_pairs": linkage.pairs,
        "sanctions_matches": matches_table(matches),
        "screening_answers": kept_answers,
    }
    reasons: dict[str, int] = {}
    for reason in mentions.column("unresolved_reason").drop_null().to_pylist():
        key = reason.split(" (")[0]
        reasons[key] = reasons.get(key, 0) + 1
    report = ResolveReport(
        mentions=mentions.num_rows, unresolved=sum(reasons.values()), pairs_scored=linkage.pairs.num_rows,
        links=links, entities=ents.num_rows,
        merged_entities=pc.sum(pc.greater(ents.column("mention_count"), 1)).as_py() or 0,
        sanctions_matches=len(matches),
        decisions=len(same) + len(different), method=linkage.params.method, notes=linkage.params.notes,
        backend=engine.name, unresolved_reasons=reasons, timings=timings, scored_mentions=scored,
        pairs_blocked=linkage.blocked, pairs_bounded=linkage.bounded,
        pairs_compared=linkage.compared, known_rows=known_count,
    )
    return _Outcome(tables, model, None if previous is None else json.dumps(
        {**previous.params.as_dict(), **stored}, sort_keys=True), report,
        since.added if previous is not None and since is not None and since.only_added else None)

