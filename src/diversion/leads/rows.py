"""Lead rows made in SQL: each entity's score, flags, sentence and quoted ids from its best findings.

At 10M shipment rows a full ranking makes the rows of about 405,000 entities from their best findings, and
a month's update those of about 182,000. Made in Python (``leads.rank_leads``: every finding's evidence
parsed, each entity's parts combined, its sentence and ids put together) that took 12 s of an update's
20-30 s, a third of it in a worker process. Here DuckDB makes the same rows from the findings' Arrow rows,
on every core, in a connection of this process (``detect.bulk.connect``, with its macros), as
``rank_leads`` makes them (3.3 s of the update's 14-15 s):

- each flag's part is its best score times its weight, rounded to 4 places as Python's ``round`` rounds it;
- the score is ``1 − Π (1 − min(1, part))``, multiplied in flag-name order (the same last bits), rounded;
- the flags shown are those that add to the score, strongest first (registry order among equals), or all
  of them when none does; the sentences of the first two, the ids of the first three
  (``leads.evidence_ids``: up to 3 shipments, then up to 5 distinct ids of each other kind, 5 in all);
- a lead is named by its network node, or, for a trade-statistics country (``country:XX``), by the country.

A test holds these rows to ``rank_leads``' over random findings (``tests/test_lead_rows.py``).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from diversion.detect.bulk import connect
from diversion.detect.finding import RECORD_ID_KEYS
from diversion.detect.registry import flags
from diversion.engine.duckdb import arrow_of
from diversion.leads.carry import standalone_flags
from diversion.reference import country_name

#: The rows made: ``leads``' columns but the rank, with each lead's number of flags and their contributions
#: (``carry.contributions_text``), as ``carry.write_ranked`` ranks them.
MADE_SCHEMA = pa.schema([("entity_id", pa.string()), ("name", pa.string()), ("country", pa.string()),
                         ("score", pa.float64()), ("flags", pa.string()), ("evidence", pa.string()),
                         ("section", pa.string()), ("parts", pa.int32()), ("contributions", pa.string())])

#: ``ids_in_order``: a list's distinct values in order (the lambda, quadratic, only where one repeats);
#: ``given_ids``: the ids that are neither null nor empty.
_MACROS = """
CREATE MACRO ids_in_order(l) AS CASE WHEN len(l) <= 1 OR len(list_distinct(l)) = len(l) THEN l
    ELSE list_filter(l, (x, i) -> list_position(l, x) = i) END;
CREATE MACRO given_ids(l) AS CASE WHEN l IS NULL THEN [] WHEN list_count(l) = len(l) AND NOT list_contains(l, '') THEN l
    ELSE list_filter(l, x -> coalesce(x, '') <> '') END;
"""

#: ``evidence_ids`` of a finding's evidence (JSON text), read once as a struct of its id lists; each step its
#: own query level, so that no list is worked out twice (a macro repeats its argument where it is used).
_ID_TYPES = "{" + ", ".join(f'"{key}": "VARCHAR[]"' for key in RECORD_ID_KEYS) + "}"
_OTHERS = RECORD_ID_KEYS[1:]
#: Each other kind's first 5 distinct ids, read from its first 64 when they hold 5 (a large flow's finding
#: lists every shipment, a listed owner's every path step).
_FIRST_FIVE = " || ".join(f"CASE WHEN len({k}) <= 64 OR len({k}_64) >= 5 THEN {k}_64[1:5] "
                          f"ELSE ids_in_order({k})[1:5] END" for k in _OTHERS)

#: Each entity's findings as one list, in the order it shows them (``neg``: minus the part, then registry
#: order), and its parts in flag-name order (``misses``, multiplied in that order). A flag is shown when it
#: adds to the score, or when none does.
_SHOWN = "(x.neg < 0 OR NOT adding)"

_MADE = f"""
WITH flagged AS (
    SELECT r.entity_id::VARCHAR AS entity_id, r.detector::VARCHAR AS flag, r.summary::VARCHAR AS summary,
           json_transform(nullif(r.evidence::VARCHAR, ''), '{_ID_TYPES}') AS ids, g.place, g.standalone,
           printf('%.4f', g.weight * r.score::DOUBLE)::DOUBLE AS part
    FROM _rows r JOIN _flags g ON g.flag = r.detector),
kinds AS (
    SELECT * EXCLUDE (ids), given_ids(ids.shipment_ids)[1:3] AS shipments,
           {", ".join(f"given_ids(ids.{k}) AS {k}" for k in _OTHERS)}
    FROM flagged),
firsts AS (SELECT *, {", ".join(f"ids_in_order({k}[1:64]) AS {k}_64" for k in _OTHERS)} FROM kinds),
quoted AS (
    SELECT entity_id, flag, summary, place, standalone, part, ids_in_order(shipments || {_FIRST_FIVE})[1:5] AS ids
    FROM firsts),
entity AS (
    SELECT entity_id, count(*)::INTEGER AS parts, bool_or(part > 0) AS adding,
           list_sort(list(struct_pack(flag := flag, miss := 1.0 - least(1.0, part)))) AS misses,
           list_sort(list(struct_pack(neg := -part, place := place, flag := flag, summary := summary, ids := ids,
                                      said := py_json(flag) || ':' || ten_digits_json(part)))) AS fs
    FROM quoted GROUP BY entity_id HAVING bool_or(standalone)),
told AS (
    SELECT entity_id, parts,
           printf('%.4f', 1.0 - list_reduce(list_transform(misses, x -> x.miss), (a, b) -> a * b))::DOUBLE AS score,
           array_to_string(list_transform(list_filter(fs, x -> {_SHOWN}), x -> x.flag), ';') AS flags,
           array_to_string(list_transform(list_filter(fs, (x, i) -> i <= 2 AND {_SHOWN}), x -> x.summary), ' ')
               AS sentences,
           ids_in_order(flatten(list_transform(list_filter(fs, (x, i) -> i <= 3 AND {_SHOWN}), x -> x.ids))) AS ids,
           '{{' || array_to_string(list_transform(fs, x -> x.said), ',') || '}}' AS contributions
    FROM entity)
SELECT t.entity_id,
       CASE WHEN l.node_id IS NOT NULL THEN l.label WHEN c.entity_id IS NOT NULL THEN c.name ELSE t.entity_id END
           AS name,
       CASE WHEN l.node_id IS NOT NULL THEN l.country ELSE c.country END AS country,
       t.score, t.flags,
       t.sentences || CASE WHEN len(t.ids) > 0 THEN ' [ids: ' || array_to_string(t.ids, ', ') || ']' ELSE '' END
           AS evidence,
       CASE WHEN t.entity_id IN (SELECT entity_id FROM _traders) THEN 'lead' ELSE 'context' END AS section,
       t.parts, t.contributions
FROM told t
LEFT JOIN _labels l ON l.node_id = t.entity_id
LEFT JOIN _countries c ON c.entity_id = t.entity_id
"""


def made_rows(rows: pa.Table, labels: pa.Table, traders: pa.Table, weights: dict[str, float]) -> pa.Table:
    """The lead rows (``MADE_SCHEMA``, unranked) of the entities whose best findings are ``rows``.

    ``rows``: ``detect.run.findings_query(best_only=True)`` rows (one per entity and flag; a flag no detector
    declares any more is left out); ``labels``: the entities' network nodes (``node_id``, ``label``,
    ``country``); ``traders``: the trade parties among them (``entity_id``); ``weights``: each flag's.
    Entities no standalone flag raised make no row.
    """
    standalone = set(standalone_flags())
    ordered = flags()
    flag_table = pa.table({"flag": ordered, "place": list(range(len(ordered))),
                           "weight": [float(weights.get(f, 0.0)) for f in ordered],
                           "standalone": [f in standalone for f in ordered]})
    con = connect()
    try:
        con.execute(_MACROS)
        for name, table in (("_rows", rows), ("_labels", labels), ("_traders", traders), ("_flags", flag_table),
                            ("_countries", _countries(rows, labels))):
            con.register(name, table)
        return arrow_of(con.execute(_MADE)).cast(MADE_SCHEMA)
    finally:
        con.close()


#: The entity id a trade-statistics finding (``mirror_gap``) gives the country it concerns.
STATISTICS_PREFIX = "country:"


def statistics_label(entity_id: str) -> tuple[str, str]:
    """The name and country code a lead shows for a trade-statistics country (``country:XX``)."""
    code = entity_id.removeprefix(STATISTICS_PREFIX)
    return f"{country_name(code)} (country, trade statistics)", code


def _countries(rows: pa.Table, labels: pa.Table) -> pa.Table:
    """The trade-statistics countries among ``rows``' entities that have no node, with their labels."""
    entities = pc.unique(rows.column("entity_id"))
    found = entities.filter(pc.and_(pc.starts_with(entities, STATISTICS_PREFIX),
                                    pc.invert(pc.is_in(entities, value_set=labels.column("node_id")))))
    ids = sorted(found.to_pylist())
    named = [statistics_label(e) for e in ids]
    return pa.table({"entity_id": pa.array(ids, pa.string()), "name": pa.array([n for n, _ in named], pa.string()),
                     "country": pa.array([c for _, c in named], pa.string())})
