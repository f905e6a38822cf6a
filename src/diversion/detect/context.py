"""The prepared context every detector receives: declared lookup tables built once, labels, dates, money.

Detectors never build their own temporary tables: each declares the lookups it
needs (``Detector.tables``) and ``DetectContext.need`` builds them, once per
run, in dependency order. Settings reach SQL only as bound parameters.

Lookups (temporary tables of this connection):

- ``_entity_keys``, ``_registry_map``, ``_distributor_map``, ``_web_map``,
  ``_brand_map``: ingest rows → resolved entities (``graph.keys``);
- ``_hubs``: the shipped transshipment-hub countries;
- ``_chpl``: the shipped Common High Priority List (HS-6, tier, rank);
- ``_report_fx``: per month, the factor from US dollars to the report currency
  (user rates first, then the shipped ECB reference rates), so amounts in flag
  sentences are converted month by month (``VALUE`` with ``FX_JOIN``);
- ``_listings``: per sanctioned entity, the earliest listing date its matches give;
- ``_detect_settings``: one row of the detect settings, for SQL that reads a setting inside an
  aggregate (joined, never formatted into the text).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date
from functools import cached_property
from typing import Any

import pyarrow as pa

from diversion.config import Settings
from diversion.detect import bulk
from diversion.detect.carry import carried_rows, token
from diversion.detect.finding import Finding
from diversion.engine import Engine
from diversion.flows.currency import build_fx
from diversion.flows.queries import check_currency
from diversion.graph import keys
from diversion.read.money import money
from diversion.reference import load_chpl, load_hubs
from diversion.reference.hs import TIER_ORDER

#: Rows turned into dictionaries at a time by ``DetectContext.stream``.
STREAM_BATCH = 10_000

#: Value in the report currency, and the join it reads (defined with the other shared keys).
VALUE, FX_JOIN = keys.VALUE, keys.FX_JOIN


def _fx(ctx: DetectContext) -> None:
    build_fx(ctx.engine, ctx.currency)


def _hubs(ctx: DetectContext) -> None:
    ctx.engine.execute("CREATE OR REPLACE TEMP TABLE _hubs (iso2 VARCHAR)")
    ctx.engine.insert_arrow("_hubs", pa.table({"iso2": pa.array(sorted(load_hubs()), pa.string())}))


def _chpl(ctx: DetectContext) -> None:
    items = load_chpl()
    ctx.engine.execute("CREATE OR REPLACE TEMP TABLE _chpl (hs6 VARCHAR, tier VARCHAR, rank INTEGER)")
    ctx.engine.insert_arrow("_chpl", pa.table({
        "hs6": pa.array(list(items), pa.string()),
        "tier": pa.array([i.tier for i in items.values()], pa.string()),
        "rank": pa.array([TIER_ORDER.index(i.tier) if i.tier in TIER_ORDER else 99 for i in items.values()],
                         pa.int32()),
    }))


def _listings(ctx: DetectContext) -> None:
    ctx.engine.execute("""
        CREATE OR REPLACE TEMP TABLE _listings AS
        SELECT entity_id, min(listing_date) AS listed_on FROM sanctions_matches WHERE score >= ? GROUP BY entity_id
    """, [ctx.settings.resolve.screen_threshold])


def _detect_settings(ctx: DetectContext) -> None:
    """One row holding the detect settings that SQL reads as values (numbers, text, dates)."""
    d = ctx.settings.detect
    values = {f.name: getattr(d, f.name) for f in fields(d) if isinstance(getattr(d, f.name), int | float | str | date)}
    ctx.engine.execute("CREATE OR REPLACE TEMP TABLE _detect_settings ("
                       + ", ".join(f"{k} {_SQL_TYPE[type(v)]}" for k, v in values.items()) + ")")
    ctx.engine.insert_arrow("_detect_settings", pa.Table.from_pylist([values]))


_SQL_TYPE = {bool: "BOOLEAN", int: "BIGINT", float: "DOUBLE", str: "VARCHAR", date: "DATE"}


def _sql(text: Callable[[], str]) -> Callable[[DetectContext], None]:
    return lambda ctx: ctx.engine.execute(text())


@dataclass(frozen=True)
class Lookup:
    """A temporary table a detector may declare: the lookups it needs first, and how it is built."""

    requires: tuple[str, ...]
    build: Callable[[DetectContext], None]


LOOKUPS: dict[str, Lookup] = {
    "_entity_keys": Lookup((), _sql(keys.entity_keys_sql)),
    "_registry_map": Lookup(("_entity_keys",), _sql(keys.registry_map_sql)),
    "_distributor_map": Lookup(("_entity_keys",), _sql(keys.distributor_map_sql)),
    "_web_map": Lookup(("_entity_keys",), _sql(keys.web_map_sql)),
    "_brand_map": Lookup((), lambda ctx: keys.build_brand_map(ctx.engine)),
    "_hubs": Lookup((), _hubs),
    "_chpl": Lookup((), _chpl),
    "_report_fx": Lookup((), _fx),
    "_listings": Lookup((), _listings),
    "_detect_settings": Lookup((), _detect_settings),
}


@dataclass
class DetectContext:
    """What one detection run shares: the engine, the settings, lookups built once, labels, money."""

    engine: Engine
    settings: Settings
    built: set[str] = field(default_factory=set)
    #: Whether detectors that stream with ``carry=`` record their rows' digests: set by runs that write every
    #: finding those detectors make (a finding carried over later must be the one written with its digest).
    digests: bool = False
    #: Whether entities whose rows did not change keep the last run's findings (``detect.carry``).
    carry: bool = False
    #: Per detector that streamed its rows with ``carry=``, the findings kept from the last run (0 when
    #: nothing was carried over). A detector missing here made all its findings again.
    carried: dict[str, int] = field(default_factory=dict)
    #: Whether findings made as rows (``made_in_sql``: ``detect.bulk``) go to ``made``: set by runs that write them
    #: with the findings the detectors yield.
    writes_made: bool = False
    #: Per detector, the ``findings`` rows made in SQL, for the run to write.
    made: dict[str, list[pa.Table]] = field(default_factory=dict)

    @cached_property
    def currency(self) -> str:
        """The currency amounts in flag sentences are stated in (``report_currency``)."""
        return check_currency(self.settings.report_currency)

    def need(self, *tables: str) -> None:
        """Build the declared lookup ``tables`` (and what they need) unless this run already has them."""
        for name in tables:
            if name in self.built:
                continue
            lookup = LOOKUPS.get(name)
            if lookup is None:
                raise ValueError(f"no lookup table {name!r}; declare one of {', '.join(LOOKUPS)}")
            self.need(*lookup.requires)
            lookup.build(self)
            self.built.add(name)

    @cached_property
    def label_table(self) -> pa.Table:
        """The network's entity nodes: ``node_id``, ``label``, ``country`` (read once per run)."""
        return self.engine.fetch_arrow("SELECT node_id, label, country FROM nodes WHERE kind = 'entity'")

    @cached_property
    def labels(self) -> dict[str, tuple[str, str | None]]:
        """``entity_id → (name, country)`` from the network's nodes (``label_table``)."""
        # Read as columns: a tuple per row took a third longer for the 1.35M entities of 10M shipment rows.
        ids, names, countries = (self.label_table.column(c).to_pylist() for c in ("node_id", "label", "country"))
        return dict(zip(ids, zip(names, countries, strict=True), strict=True))

    def name(self, entity_id: str | None) -> str:
        """An entity's display name (its id when the network has no label for it)."""
        return self.labels.get(entity_id or "", (entity_id or "?", None))[0]

    @cached_property
    def listed_on(self) -> dict[str, date | None]:
        """Sanctioned entities' earliest listing date (``None`` when no list gives one)."""
        self.need("_listings")
        return dict(self.engine.fetch_all("SELECT entity_id, listed_on FROM _listings"))

    def money(self, value: float | None) -> str:
        """An amount in the report currency, the way every output writes it."""
        return money(value, self.currency)

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Run a detector query (settings as bound parameters) and return its rows."""
        return self.engine.fetch_dicts(sql, params or [])

    def stream(self, sql: str, params: list[Any] | None = None, batch: int = STREAM_BATCH,
               carry: str | None = None) -> Iterator[dict[str, Any]]:
        """``rows`` one at a time, for a query with very many rows (one per entity of a large warehouse).

        The result is held as Arrow (columnar: a small part of what the same rows take as Python
        dictionaries) and turned into dictionaries ``batch`` rows at a time, so a detector that yields its
        findings never holds them all. Labels are read first: the detector may name entities meanwhile.

        ``carry``: the detector's name, from a detector whose findings of an entity depend on that entity's
        rows alone (and its label): the rows' digests are kept, and a run that carries streams only the rows
        of entities whose digest changed (``detect.carry``; on an engine with ``cheap_row_deletes``, where
        keeping most findings and replacing a few pays).
        """
        self.labels  # noqa: B018  (read before the stream: a lookup while it is read would be a second query)
        yield from row_dicts(self.table(sql, params, carry), batch)

    def table(self, sql: str, params: list[Any] | None = None, carry: str | None = None) -> pa.Table:
        """A detector query's rows as Arrow; ``carry`` as in ``stream``: only the rows of entities whose
        digest changed, in a run that carries."""
        if carry is not None and self.digests and self.engine.cheap_row_deletes:
            table, kept = carried_rows(self.engine, carry, sql, params or [], token(self.settings), self.carry)
            if kept is not None:
                self.carried[carry] = kept
            return table
        return self.engine.fetch_arrow(sql, params or [])

    def made_in_sql(self, name: str, rows: pa.Table, select: str, params: dict[str, Any],
                    **tables: pa.Table) -> Iterator[Finding]:
        """The findings of detector ``name`` that ``select`` makes of ``rows`` (``detect.bulk``: ``_rows``,
        ``_labels`` the entities' labels, and ``tables`` by name). A run that writes ``made`` gets them there,
        as ``findings`` rows (nothing is yielded); any other run, as findings."""
        found = bulk.made(name, select, params, {"_rows": rows, "_labels": self.label_table, **tables})
        if self.writes_made:
            self.made.setdefault(name, []).append(found)
            return
        yield from bulk.as_findings(found)


def row_dicts(table: pa.Table, batch: int = STREAM_BATCH) -> Iterator[dict[str, Any]]:
    """``table``'s rows as dictionaries, ``batch`` rows turned at a time."""
    for part in table.to_batches(batch):
        # Column by column, then zipped: a fifth faster than ``to_pylist``'s row dictionaries.
        names = part.schema.names
        for values in zip(*(column.to_pylist() for column in part.columns), strict=True):
            yield dict(zip(names, values, strict=True))


def listing_text(listed: date | None) -> str:
    """How a sentence states a listing date: ``listed 2023-05-19``, or that the lists give none."""
    return f"listed {listed.isoformat()}" if listed else "listing date not given by the list"
