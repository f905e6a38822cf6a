"""Which shipments a flow statistic covers: a filter and its SQL ``WHERE`` clause.

A :class:`FlowFilter` is plain data (the CLI and the web app build one from
their inputs); :func:`filter_sql` turns it into a parameterised predicate over
the ``shipments`` table aliased ``s`` (and, for entity ids, the
``shipment_entities`` table written by resolve). After ``diversion resolve``,
:func:`resolve_parties` turns importer and exporter *names* into the entities
they name, so a filter covers every spelling of a party, and says when a name
fits several entities or only part of one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from diversion.engine import Engine
from diversion.errors import ConfigError
from diversion.names import normalise_name
from diversion.reference import load_chpl, normalise_hs, to_iso2
from diversion.reference.hs import TIER_ORDER


@dataclass(frozen=True)
class FlowFilter:
    """Shipment filters; every field empty means "all shipments".

    Lists are alternatives (OR); different fields combine with AND.
    """

    #: HS codes or prefixes (chapter, heading, subheading): ``84``, ``8458``, ``845811``.
    hs_codes: tuple[str, ...] = ()
    #: CHPL tiers (``1``, ``2``, ``3.A`` ...): shipments whose HS-6 is on the list at that tier.
    chpl_tiers: tuple[str, ...] = ()
    #: Only machine tools and their parts (HS headings 8456–8466).
    machine_tools: bool = False
    #: Brands (case-insensitive substring: ``tsugami`` finds ``TSUGAMI CORP.``).
    brands: tuple[str, ...] = ()
    #: Importer names (case-insensitive substring) or resolved entity ids.
    importers: tuple[str, ...] = ()
    exporters: tuple[str, ...] = ()
    #: ISO alpha-2 codes (names are normalised by :func:`make_filter`).
    origins: tuple[str, ...] = ()
    dispatch: tuple[str, ...] = ()
    importer_countries: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None

    def describe(self) -> dict[str, Any]:
        """The filters that are set, for stating in every output."""
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if value in ((), None, False):
                continue
            out[key] = list(value) if isinstance(value, tuple) else (
                value.isoformat() if isinstance(value, date) else value
            )
        return out


def _countries(values: Sequence[str], what: str) -> tuple[str, ...]:
    out = []
    for value in values:
        code = to_iso2(value)
        if code is None:
            raise ConfigError(f"{what}: unknown country {value!r} (use an ISO code such as CN or a name)")
        out.append(code)
    return tuple(out)


def make_filter(
    *,
    hs_codes: Sequence[str] = (),
    chpl_tiers: Sequence[str] = (),
    machine_tools: bool = False,
    brands: Sequence[str] = (),
    importers: Sequence[str] = (),
    exporters: Sequence[str] = (),
    origins: Sequence[str] = (),
    dispatch: Sequence[str] = (),
    importer_countries: Sequence[str] = (),
    date_from: date | None = None,
    date_to: date | None = None,
) -> FlowFilter:
    """Validate user input (HS codes, tiers, country names) into a :class:`FlowFilter`.

    >>> make_filter(hs_codes=["8458.11"], origins=["China"]).origins
    ('CN',)
    """
    codes = []
    for raw in hs_codes:
        code = normalise_hs(raw)
        if code is None:
            raise ConfigError(f"--hs: {raw!r} is not an HS code or prefix (2 to 10 digits)")
        codes.append(code)
    for tier in chpl_tiers:
        if tier.upper() not in TIER_ORDER:
            raise ConfigError(f"--tier: unknown CHPL tier {tier!r}; choose from {', '.join(TIER_ORDER)}")
    if date_from and date_to and date_from > date_to:
        raise ConfigError(f"--from {date_from} is after --to {date_to}")
    return FlowFilter(
        hs_codes=tuple(codes),
        chpl_tiers=tuple(t.upper() for t in chpl_tiers),
        machine_tools=machine_tools,
        brands=tuple(brands),
        importers=tuple(importers),
        exporters=tuple(exporters),
        origins=_countries(origins, "--origin"),
        dispatch=_countries(dispatch, "--dispatch"),
        importer_countries=_countries(importer_countries, "--importer-country"),
        date_from=date_from,
        date_to=date_to,
    )


def _any_of(column: str, values: Sequence[str], params: list[Any]) -> str:
    params.append(list(values))
    return f"list_contains(?, {column})"


def _party(role: str, values: Sequence[str], params: list[Any], resolved: bool) -> str:
    """Names match as case-insensitive substrings; entity ids match exactly (when resolved)."""
    parts = []
    for value in values:
        params.append(f"%{value}%")
        parts.append(f"s.{role}_name ILIKE ?")
    if resolved:
        params.append(list(values))
        parts.append(
            f"s.record_id IN (SELECT record_id FROM shipment_entities "
            f"WHERE list_contains(?, {role}_entity_id))"
        )
    return "(" + " OR ".join(parts) + ")"


def filter_sql(flt: FlowFilter, resolved: bool = False) -> tuple[str, list[Any]]:
    """A ``WHERE`` predicate over ``shipments s`` and its parameters.

    ``resolved`` says whether ``shipment_entities`` exists, so that importer
    and exporter filters can also name resolved entity ids.

    >>> filter_sql(FlowFilter(origins=("CN",), machine_tools=True))[0]
    "substr(s.hs_code, 1, 4) BETWEEN '8456' AND '8466' AND list_contains(?, s.origin_country)"
    """
    params: list[Any] = []
    where: list[str] = []
    if flt.hs_codes:
        ors = []
        for code in flt.hs_codes:
            params.append(code)
            ors.append("starts_with(s.hs_code, ?)")
        where.append("(" + " OR ".join(ors) + ")")
    if flt.chpl_tiers:
        hs6 = sorted(code for code, item in load_chpl().items() if item.tier.upper() in flt.chpl_tiers)
        where.append(_any_of("substr(s.hs_code, 1, 6)", hs6, params))
    if flt.machine_tools:
        where.append("substr(s.hs_code, 1, 4) BETWEEN '8456' AND '8466'")
    if flt.brands:
        # Substring, so that "Tsugami" also finds "TSUGAMI CORP." as customs clerks write it.
        ors = []
        for brand in flt.brands:
            params.append(f"%{brand}%")
            ors.append("s.brand ILIKE ?")
        where.append("(" + " OR ".join(ors) + ")")
    if flt.importers:
        where.append(_party("importer", flt.importers, params, resolved))
    if flt.exporters:
        where.append(_party("exporter", flt.exporters, params, resolved))
    if flt.origins:
        where.append(_any_of("s.origin_country", flt.origins, params))
    if flt.dispatch:
        where.append(_any_of("s.dispatch_country", flt.dispatch, params))
    if flt.importer_countries:
        where.append(_any_of("s.importer_country", flt.importer_countries, params))
    if flt.date_from:
        params.append(flt.date_from)
        where.append("s.date >= ?")
    if flt.date_to:
        params.append(flt.date_to)
        where.append("s.date <= ?")
    return (" AND ".join(where) or "TRUE"), params



@dataclass(frozen=True)
class PartyMatch:
    """What one importer/exporter name given by a user was taken to mean."""

    text: str
    role: str
    entity_id: str
    name: str
    #: ``id``, ``name`` (a whole name or its normalised form) or ``part`` (a fragment of one entity's names).
    how: str
    spellings: int

    def note(self) -> str:
        """One line a user reads: which entity, and that every spelling counts."""
        how = {"id": "is the entity", "name": "names the entity", "part": "is part of the names of"}[self.how]
        return (f"--{self.role} {self.text!r} {how} {self.name} ({self.entity_id}); all {self.spellings} "
                f"spelling(s) of its name count")


def _party_entities(engine: Engine, role: str, text: str) -> tuple[str, list[tuple[str, str, int]]]:
    """``(how, [(entity_id, name, spellings)])``: entities in ``role`` that ``text`` names exactly, else in part."""
    column = f"{role}_entity_id"
    parties = f"SELECT DISTINCT {column} FROM shipment_entities WHERE {column} IS NOT NULL"  # role is a whitelist
    if engine.fetch_all(f"SELECT 1 FROM entities WHERE entity_id = ? AND entity_id IN ({parties})", [text]):
        rows = engine.fetch_all("SELECT entity_id, canonical_name, len(names) FROM entities WHERE entity_id = ?",
                                [text])
        return "id", [(r[0], r[1], int(r[2] or 1)) for r in rows]
    norm = normalise_name(text) or ""
    exact = engine.fetch_all(f"""
        SELECT e.entity_id, e.canonical_name, len(e.names) FROM entities e
        WHERE e.entity_id IN ({parties})
          AND (list_contains(list_transform(e.names, n -> lower(n)), lower(?))
               OR e.entity_id IN (SELECT em.entity_id FROM mentions m
                                  JOIN entity_mentions em ON em.mention_id = m.mention_id WHERE m.name_norm = ?))
        ORDER BY e.mention_count DESC NULLS LAST, e.entity_id""", [text, norm])
    if exact:
        return "name", [(r[0], r[1], int(r[2] or 1)) for r in exact]
    part = engine.fetch_all(f"""
        SELECT e.entity_id, e.canonical_name, len(e.names) FROM entities e
        WHERE e.entity_id IN ({parties})
          AND list_bool_or(list_transform(e.names, n -> contains(lower(n), lower(?))))
        ORDER BY e.mention_count DESC NULLS LAST, e.entity_id LIMIT 11""", [text])
    return "part", [(r[0], r[1], int(r[2] or 1)) for r in part]


def resolve_parties(engine: Engine, flt: FlowFilter) -> tuple[FlowFilter, list[PartyMatch]]:
    """Replace importer/exporter names by the one entity each names (all its spellings), or say why not.

    A name (or its normalised form: ``OOO AMG`` and ``AMG`` both normalise to
    ``amg``) that is one entity's name selects that entity; a fragment of one
    entity's names selects it and says so. A name fitting several entities, or
    none, is an error listing the candidates, so a figure never silently covers
    part of a party (some of its spellings) or several parties. Before
    ``diversion resolve`` there are no entities: names match as text, as before.

    >>> from diversion.engine import DuckDBEngine
    >>> resolve_parties(DuckDBEngine(), FlowFilter(importers=("AMG",)))[0].importers
    ('AMG',)
    """
    if not (flt.importers or flt.exporters) or not engine.table_exists("shipment_entities") or not engine.scalar(
            "SELECT count(*) FROM (SELECT 1 FROM shipment_entities LIMIT 1)"):
        return flt, []
    matches: list[PartyMatch] = []
    chosen: dict[str, list[str]] = {"importer": [], "exporter": []}
    for role, texts in (("importer", flt.importers), ("exporter", flt.exporters)):
        for text in texts:
            how, found = _party_entities(engine, role, text)
            if not found:
                raise ConfigError(f"--{role} {text!r}: no {role} of a shipment has that name; "
                                  "try part of it, another spelling, or an entity id from `diversion leads`")
            if len(found) > 1:
                listed = "; ".join(f"{name} ({eid})" for eid, name, _ in found[:10])
                more = " …" if len(found) > 10 else ""
                raise ConfigError(f"--{role} {text!r} {'names' if how != 'part' else 'is part of the names of'} "
                                  f"{len(found) if len(found) <= 10 else 'more than 10'} entities: {listed}{more}. "
                                  "Pass one entity id (or several --" + role + " options)")
            eid, name, spellings = found[0]
            matches.append(PartyMatch(text, role, eid, name, how, spellings))
            chosen[role].append(eid)
    return replace(flt, importers=tuple(dict.fromkeys(chosen["importer"])),
                   exporters=tuple(dict.fromkeys(chosen["exporter"]))), matches
