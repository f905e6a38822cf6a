"""Which shipments a flow statistic covers: a filter and its SQL ``WHERE`` clause.

A :class:`FlowFilter` is plain data (the CLI and the web app build one from
their inputs); :func:`filter_sql` turns it into a parameterised predicate over
the ``shipments`` table aliased ``s`` (and, for entity ids, the
``shipment_entities`` table written by resolve).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from diversion.errors import ConfigError
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

