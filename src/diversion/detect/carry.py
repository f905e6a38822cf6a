"""Findings carried over: an entity whose rows did not change since the last run keeps its findings.

At 10M shipment rows one detection run writes over a million findings, and after a month's update
most are the same. A detector may read its rows with ``DetectContext.stream(sql, params, carry=NAME)``
when it makes an entity's findings from that entity's rows alone: the rows, the settings, the report
currency, and the entity's name and country in the network (``DetectContext.labels``); each row holds the
``entity_id`` its findings are raised on (one row per entity, or several: ``sanctions_proximity`` streams one
per step of the entity's chain, with every name on it). Every run keeps, per detector and entity, a digest of the
entity's rows, name and country in ``finding_digests``, under a token of the code and the settings.
A run that carries (``detect_counts(carry=True)``, what ``diversion run`` does after an update)
streams only the rows of entities whose digest changed, and keeps the other entities' findings in
``findings`` as the last run wrote them. The rows are still computed in full (SQL, fast); what is
saved is making, naming and writing the findings in Python, most of a large run's detection time.

Amounts enter the digest to 12 significant digits, the precision findings keep them to
(``finding._rounded``): a sum over many shipments differs in its last bits with the order an engine
adds them in, and that alone must not make a finding again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from functools import cache
from pathlib import Path

import pyarrow as pa

from diversion.code_digest import code_digest
from diversion.config import Settings
from diversion.engine import Engine

#: Per detector and entity, the digest of the rows its findings were made from (``engine.schema``).
TABLE = "finding_digests"

#: Column types whose values enter the digest rounded (sums whose last bits depend on the adding order).
_ROUNDED_TYPES = ("DOUBLE", "FLOAT")


@cache
def _code_digest() -> str:
    """A digest of the code findings are made with: the package version and the detectors' sources."""
    here = Path(__file__).parent
    return code_digest([*sorted(here.glob("*.py")), here.parent / "read" / "money.py"])


def token(settings: Settings) -> str:
    """What findings depend on beyond their rows: the code, the detect settings and the report currency.

    Findings stored under another token are never carried over (an upgrade or a changed setting
    makes every finding again).
    """
    said = json.dumps([asdict(settings.detect), settings.report_currency, settings.resolve.screen_threshold],
                      sort_keys=True, default=str)
    return hashlib.sha1(f"{_code_digest()}\n{said}".encode()).hexdigest()[:20]


def row_digest_sql(types: list[tuple[str, str]]) -> str:
    """SQL hashing one row of a table with these ``(column, type)`` pairs; floating columns to 12 digits."""
    if not types:
        raise ValueError("a carried detector's query returns no columns")
    parts = [f"printf('%.12g', \"{name}\")" if kind in _ROUNDED_TYPES else f'"{name}"' for name, kind in types]
    return f"hash({', '.join(parts)})"


def carried_rows(engine: Engine, detector: str, sql: str, params: list[object], tag: str,
                 carry: bool) -> tuple[pa.Table, int | None]:
    """The rows of ``sql`` to make findings from, and how many findings of ``detector`` were kept.

    Records the digest of every entity's rows under ``tag`` (``token``). With ``carry``, the
    findings of entities whose digest changed or whose rows are gone are deleted, and only those
    entities' rows are returned; the others' findings stay. The kept count is ``None`` without ``carry``.
    """
    engine.execute(f"CREATE OR REPLACE TEMP TABLE _carry_rows AS {sql}", params)
    try:
        types = [(str(r[0]), str(r[1])) for r in engine.fetch_all("DESCRIBE _carry_rows")]
        if "entity_id" not in {name for name, _ in types}:
            raise ValueError(f"detector {detector}: a carried query must return an entity_id column")
        # The name and country enter too: a finding's sentence names its entity, some flags read the country.
        # The rows' digests are summed, not xor-ed: two equal rows would cancel out.
        engine.execute(f"""
            CREATE OR REPLACE TEMP TABLE _carry_digests AS
            SELECT d.entity_id, (hash(d.rows_digest, d.n, n.label, n.country) >> 1)::BIGINT AS digest
            FROM (SELECT entity_id, sum({row_digest_sql(types)}) AS rows_digest, count(*) AS n
                  FROM _carry_rows WHERE entity_id IS NOT NULL GROUP BY entity_id) d
            LEFT JOIN nodes n ON n.node_id = d.entity_id AND n.kind = 'entity'""")
        kept: int | None = None
        if carry:
            engine.execute(f"""
                CREATE OR REPLACE TEMP TABLE _carry_kept AS
                SELECT d.entity_id FROM _carry_digests d JOIN {TABLE} f
                    ON f.detector = ? AND f.token = ? AND f.entity_id = d.entity_id AND f.digest = d.digest
            """, [detector, tag])
            engine.execute("DELETE FROM findings WHERE detector = ? "
                           "AND entity_id NOT IN (SELECT entity_id FROM _carry_kept)", [detector])
            kept = int(engine.fetch_all("SELECT count(*) FROM findings WHERE detector = ?", [detector])[0][0])
            rows = engine.fetch_arrow("SELECT r.* FROM _carry_rows r ANTI JOIN _carry_kept k "
                                      "ON k.entity_id = r.entity_id")
        else:
            rows = engine.fetch_arrow("SELECT * FROM _carry_rows")
        if carry:  # the kept entities' digests are stored as they are: only the others are written
            engine.execute(f"DELETE FROM {TABLE} WHERE detector = ? AND NOT (token = ? AND entity_id IN "
                           "(SELECT entity_id FROM _carry_kept))", [detector, tag])
            engine.execute(f"INSERT INTO {TABLE} SELECT ?, ?, entity_id, digest FROM _carry_digests "
                           "ANTI JOIN _carry_kept USING (entity_id)", [detector, tag])
        else:
            engine.execute(f"DELETE FROM {TABLE} WHERE detector = ?", [detector])
            engine.execute(f"INSERT INTO {TABLE} SELECT ?, ?, entity_id, digest FROM _carry_digests",
                           [detector, tag])
        return rows, kept
    finally:
        engine.execute("DROP TABLE IF EXISTS _carry_rows")
        engine.execute("DROP TABLE IF EXISTS _carry_digests")
        engine.execute("DROP TABLE IF EXISTS _carry_kept")
