"""Leads carried over: an entity whose findings, name, country and trade did not change keeps its row.

At 10M shipment rows the lead list holds about 400,000 ranked entities, and making each one's row (its
best findings read back, their evidence parsed, its sentence and quoted ids written) was most of the
leads stage. After a month's update most are the same. Each ranking made from the ``findings`` table
records, in ``lead_basis`` under a token of the code and the weights, per entity:

- a digest of everything its row is made from: every finding of it (flag, score, sentence, evidence),
  its name and country in the network, and whether it is a trade party (``trade_parties``);
- its flags' contributions, which rank it among entities of equal score.

A ranking that carries (``build_leads(carry=True)``, what ``diversion run`` does after an update) makes
rows again only for the entities whose digest changed or that are new, keeps every other entity's row
as the last ranking wrote it, and ranks them all again in SQL, in ``rank_leads``' order. An entity
whose findings are gone drops out. Another token, or leads written any other way (from findings given
in memory, which clears the basis), ranks every entity again.

DuckDB only (``Engine.cheap_row_deletes``, as ``detect.carry`` and ``graph.carry``); elsewhere leads are
ranked in Python from every entity's findings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import orjson
import pyarrow as pa

from diversion.code_digest import code_digest
from diversion.config import Settings
from diversion.detect.registry import registry, weights
from diversion.engine import Engine
from diversion.sources.normalise import literal

#: Per entity, what its lead row was made from (``engine.schema``).
TABLE = "lead_basis"

#: Working tables of one ranking (temporary: gone with the connection, and dropped after use).
_SCRATCH = ("_lead_traders", "_lead_digests", "_lead_kept", "_lead_redo", "_lead_new", "_lead_all")

#: ``rank_leads``' order, in SQL: score, then more flags, then the name, then the id (byte order of UTF-8 text
#: is the code-point order Python sorts strings in).
LEAD_ORDER = "score DESC, parts DESC, name, entity_id"


@cache
def _code_digest() -> str:
    """A digest of the code lead rows are made with: the leads' own, how findings are read back, and the SQL
    macros the rows are written with (``detect.bulk``)."""
    detect = Path(__file__).parent.parent / "detect"
    return code_digest([*sorted(Path(__file__).parent.glob("*.py")),
                        *(detect / name for name in ("bulk.py", "finding.py", "registry.py", "run.py"))])


def token(settings: Settings) -> str:
    """What lead rows depend on beyond their entity's findings, name, country and trade: code and weights."""
    said = json.dumps([weights(settings), sorted(standalone_flags())], sort_keys=True)
    return hashlib.sha1(f"{_code_digest()}\n{said}".encode()).hexdigest()[:20]


def standalone_flags() -> list[str]:
    """The flags that make a lead on their own (``Detector.standalone``), in registry order."""
    return [name for name, d in registry().items() if d.standalone]


def trade_parties_sql() -> str:
    """Entities in the trade data, or tied to a trade party by a registry link or a commissioning edge."""
    return """
        WITH traders AS (
            SELECT exporter_entity_id AS e FROM shipment_entities WHERE exporter_entity_id IS NOT NULL
            UNION SELECT importer_entity_id FROM shipment_entities WHERE importer_entity_id IS NOT NULL)
        SELECT e FROM traders
        UNION
        SELECT CASE WHEN x.source IN (SELECT e FROM traders) THEN x.target ELSE x.source END
        FROM edges x
        WHERE list_contains(['ownership', 'directorship', 'link', 'commissioning'], x.kind)
          AND (x.source IN (SELECT e FROM traders) OR x.target IN (SELECT e FROM traders))"""


def _digests_sql(flags: list[str], standalone: list[str]) -> str:
    """Per entity a standalone flag raised, the digest of its findings (of ``flags``), name, country and trade.

    Findings' digests are summed, not xor-ed: two equal findings would cancel out.
    """
    known = ", ".join(map(literal, flags))
    raising = ", ".join(map(literal, standalone))
    return f"""
        SELECT f.entity_id,
               (hash(f.found, f.n, n.label, n.country, t.e IS NOT NULL) >> 1)::BIGINT AS digest
        FROM (SELECT entity_id, sum(hash(detector, score, summary, evidence)) AS found, count(*) AS n
              FROM findings WHERE detector IN ({known}) GROUP BY entity_id
              HAVING count(*) FILTER (WHERE detector IN ({raising})) > 0) f
        LEFT JOIN nodes n ON n.node_id = f.entity_id AND n.kind = 'entity'
        LEFT JOIN _lead_traders t ON t.e = f.entity_id"""


@contextmanager
def ranking_tables(engine: Engine, settings: Settings, carry: bool) -> Iterator[str]:
    """Set up one ranking's working tables; yields the table of entities whose rows are to be made (``entity_id``).

    ``_lead_traders`` (``e``): every trade party; ``_lead_digests``: every entity a standalone flag raised,
    with its digest; ``_lead_kept`` (with ``carry`` and a basis of this token): those whose row stays,
    with their ``parts`` and ``contributions``; the table yielded: the others. Dropped afterwards.
    """
    try:
        engine.execute(f"CREATE OR REPLACE TEMP TABLE _lead_traders AS {trade_parties_sql()}")
        engine.execute("CREATE OR REPLACE TEMP TABLE _lead_digests AS "
                       + _digests_sql(list(registry()), standalone_flags()))
        basis = carry and engine.table_exists(TABLE) and engine.table_exists("leads")
        engine.execute("CREATE OR REPLACE TEMP TABLE _lead_kept AS "
                       "SELECT b.entity_id, b.parts, b.contributions FROM _lead_digests d "
                       f"JOIN {TABLE} b ON b.token = ? AND b.entity_id = d.entity_id AND b.digest = d.digest "
                       "SEMI JOIN leads l ON l.entity_id = d.entity_id"
                       + ("" if basis else " WHERE false"), [token(settings)])
        engine.execute("CREATE OR REPLACE TEMP TABLE _lead_redo AS "
                       "SELECT entity_id FROM _lead_digests ANTI JOIN _lead_kept USING (entity_id)")
        yield "_lead_redo"
    finally:
        for name in _SCRATCH:
            engine.execute(f"DROP TABLE IF EXISTS {name}")


def traders_among(engine: Engine, among: str) -> pa.Table:
    """The trade parties among the entities of table ``among`` (``entity_id``; ``ranking_tables``' trade parties)."""
    return engine.fetch_arrow(f"SELECT entity_id FROM {among} SEMI JOIN _lead_traders t ON t.e = entity_id")


def write_ranked(engine: Engine, settings: Settings, made: pa.Table) -> None:
    """Rank the rows ``made`` this run (``leads``' columns but the rank, with ``parts`` and ``contributions``)
    with the rows kept, and rewrite ``leads`` and ``lead_basis``.

    Runs inside ``ranking_tables``. Rows are written in ``rank_leads``' order, each section ranked from 1.
    """
    columns = "entity_id, name, country, score, flags, evidence, section, parts, contributions"
    engine.execute("CREATE OR REPLACE TEMP TABLE _lead_new (entity_id VARCHAR, name VARCHAR, country VARCHAR, "
                   "score DOUBLE, flags VARCHAR, evidence VARCHAR, section VARCHAR, parts INTEGER, "
                   "contributions VARCHAR)")
    engine.insert_arrow("_lead_new", made)
    engine.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lead_all AS
        SELECT {columns} FROM _lead_new
        UNION ALL
        SELECT l.entity_id, l.name, l.country, l.score, l.flags, l.evidence, l.section, k.parts, k.contributions
        FROM leads l JOIN _lead_kept k USING (entity_id)""")
    with engine.transaction():
        engine.reset_table("leads")
        engine.execute(f"""
            INSERT INTO leads
            SELECT row_number() OVER (PARTITION BY section ORDER BY {LEAD_ORDER}) AS rank,
                   entity_id, name, country, score, flags, evidence, section
            FROM _lead_all ORDER BY {LEAD_ORDER}""")
        engine.reset_table(TABLE)
        engine.execute(f"INSERT INTO {TABLE} SELECT ?, d.entity_id, d.digest, a.parts, a.contributions "
                       "FROM _lead_digests d JOIN _lead_all a USING (entity_id)", [token(settings)])


def contributions_text(contributions: dict[str, float]) -> str:
    """A lead's contributions as stored in ``lead_basis`` (JSON, in their ranking order)."""
    return orjson.dumps(contributions).decode()


def contributions_of(text: str) -> dict[str, float]:
    """``contributions_text`` read back."""
    found: dict[str, float] = orjson.loads(text)
    return found
