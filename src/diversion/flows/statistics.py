"""Trade statistics as a flow source: ``trade_stats`` rows shaped like shipments, without double counting.

Flows read declarations from ``shipments``; this module gives them statistics
in the same shape (``date, hs_code, origin_country, importer_country, ...``)
so every filter, grouping and conversion works on both kinds. What a figure
means is the reporter's view of one flow:

- ``import`` (the default): the reporter is the importer (``importer_country``),
  the partner the exporter and, as Comtrade and Comext record imports, the
  country of origin (``exporter_country``, ``origin_country``).
- ``export``: the reporter is the exporter and dispatch country, the partner the
  importer (``importer_country``); the origin is not known.

So that no figure is counted twice:

- one classification family at a time (HS, with CN and TN VED, by default;
  SITC codes are another numbering and never answer an HS filter);
- a row whose commodity code has an ancestor row in the selection (``84`` under
  ``TOTAL``, ``845811`` under ``8458``) is left out: the ancestor holds it;
- an aggregate partner (World, "Areas, nes") stands in only where the reporter
  gives no country partner for the same flow, period and commodity, and an
  aggregate reporter (EU) only where no member reports; aggregates are labelled
  ``aggregate:<name>``, never a country code;
- a monthly row is left out where the same figure's year is in the selection.

Annual figures are dated 1 July: a year's middle, for periods that split at a
cut-off date and for the exchange rate that converts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from diversion.errors import ConfigError
from diversion.flows.filters import FlowFilter, filter_sql
from diversion.reference._files import read_rows

#: The flows a statistics figure can be read as.
STAT_FLOWS = ("import", "export")
SOURCES = ("declarations", "statistics")
#: Dimensions that need parties: statistics have none.
PARTY_DIMENSIONS = ("brand", "exporter", "importer")


@dataclass(frozen=True)
class Source:
    """The relation flows read as ``s``: ``shipments`` or a statistics subquery (already filtered)."""

    sql: str = "shipments"
    params: tuple[Any, ...] = ()
    #: The subquery applied the filter itself (the outer query must not add it again).
    filtered: bool = False
    kind: str = "declarations"


def family_sql(column: str) -> str:
    """SQL for the classification family (``HS``, ``SITC``...) of a ``trade_stats.classification`` value."""
    pairs: dict[str, str] = {}
    for row in read_rows("trade_classifications.csv"):
        pairs.setdefault(row["classification"], row["family"])
    whens = " ".join(f"WHEN '{name}' THEN '{family}'" for name, family in sorted(pairs.items()))
    return f"(CASE {column} {whens} ELSE {column} END)"


def uses_hs(flt: FlowFilter) -> bool:
    """Whether a filter selects by HS code (``--hs``, ``--tier``, ``--machine-tools``)."""
    return bool(flt.hs_codes or flt.chpl_tiers or flt.machine_tools)


def check_statistics_query(flt: FlowFilter, by: str) -> None:
    """Refuse what statistics cannot answer: parties (names, brands) in a filter or a grouping."""
    for dim in by.split("+"):
        if dim in PARTY_DIMENSIONS:
            raise ConfigError(f"--by {dim}: trade statistics name countries, not companies or brands; "
                              "group by importer_country, exporter_country, origin, heading or hs6")
    for name, values in (("--brand", flt.brands), ("--importer", flt.importers), ("--exporter", flt.exporters)):
        if values:
            raise ConfigError(f"{name}: trade statistics name countries, not companies or brands")


def families_sql(flt: FlowFilter, flow: str) -> tuple[str, list[Any]]:
    """Rows per classification family among the statistics of ``flow`` (to pick one and explain)."""
    return (f"SELECT {family_sql('classification')} AS family, list(DISTINCT classification ORDER BY classification), "
            f"count(*) FROM trade_stats WHERE flow = ? GROUP BY 1 ORDER BY 1", [flow])


def choose_family(flt: FlowFilter, families: dict[str, tuple[list[str], int]], wanted: str | None) -> str | None:
    """The classification family to read: ``wanted``, else HS when present, else the only one there is.

    An HS filter on statistics that hold no HS codes is refused, saying why.
    """
    if not families:
        return None
    if wanted:
        wanted = wanted.upper()
        if wanted not in families:
            raise ConfigError(f"--classification {wanted}: the statistics hold {', '.join(sorted(families))}")
        family = wanted
    elif "HS" in families:
        family = "HS"
    elif len(families) == 1:
        family = next(iter(families))
    else:
        raise ConfigError(f"the statistics hold several classifications ({', '.join(sorted(families))}) and no HS; "
                          "choose one with --classification")
    if uses_hs(flt) and family != "HS":
        names, count = families[family]
        raise ConfigError(
            f"HS filters (--hs, --tier, --machine-tools) cannot select {', '.join(names)} statistics "
            f"({count:,} rows): {family} codes are another numbering than HS (SITC 84 is clothing, HS 84 is "
            "machinery). Load statistics in HS (e.g. Comtrade with classification H0-H6), or leave the HS "
            "filters out"
        )
    return family


def _projection(flow: str) -> str:
    importing = flow == "import"
    partner = ("CASE WHEN t.partner_aggregate THEN 'aggregate:' || coalesce(t.partner_name, t.partner) "
               "ELSE t.partner END")
    reporter = ("CASE WHEN t.reporter_aggregate THEN 'aggregate:' || coalesce(t.reporter_name, t.reporter) "
                "ELSE t.reporter END")
    importer, exporter = (reporter, partner) if importing else (partner, reporter)
    return f"""
        t.source_id || ':' || t.line AS record_id,
        CASE WHEN t.period_kind = 'year' THEN t.period + INTERVAL 6 MONTH ELSE t.period END::DATE AS date,
        t.commodity_code AS hs_code, t.commodity AS description,
        CAST(NULL AS VARCHAR) AS brand, CAST(NULL AS VARCHAR) AS model,
        CAST(NULL AS VARCHAR) AS exporter_name, CAST(NULL AS VARCHAR) AS importer_name,
        {exporter} AS exporter_country, {importer} AS importer_country,
        {partner if importing else 'CAST(NULL AS VARCHAR)'} AS origin_country,
        {'CAST(NULL AS VARCHAR)' if importing else reporter} AS dispatch_country,
        CAST(NULL AS VARCHAR) AS trading_country,
        t.value, t.currency,
        coalesce(t.value_usd, CASE WHEN t.period_kind = 'year' THEN t.value / yr.per_usd END) AS value_usd,
        t.quantity, t.net_weight_kg,
        t.reporter, t.partner, t.reporter_aggregate, t.partner_aggregate, t.period AS stat_period,
        t.period_kind, t.classification"""


def statistics_source(flt: FlowFilter, flow: str, family: str | None) -> Source:
    """The statistics of one ``flow`` and classification ``family`` as a filtered, de-duplicated ``s``."""
    if flow not in STAT_FLOWS:
        raise ConfigError(f"--flow {flow!r}: choose import or export")
    where, params = filter_sql(flt, resolved=False)
    family_where = f"{family_sql('t.classification')} = '{family}'" if family else "FALSE"
    same = "a.reporter = f.reporter AND a.partner = f.partner"
    sql = f"""(
    WITH _yr AS (SELECT year(month) AS y, upper(currency) AS cur, avg(per_usd) AS per_usd FROM rates GROUP BY ALL),
    s AS (
      SELECT {_projection(flow)}
      FROM trade_stats t LEFT JOIN _yr yr ON yr.y = year(t.period) AND yr.cur = upper(t.currency)
      WHERE t.flow = '{flow}' AND {family_where}
    ),
    f AS (SELECT * FROM s WHERE {where}),
    levels AS (
      SELECT * FROM f WHERE NOT EXISTS (
        SELECT 1 FROM f a WHERE {same} AND a.stat_period = f.stat_period AND a.hs_code <> f.hs_code
          AND (a.hs_code = 'TOTAL' OR (f.hs_code <> 'TOTAL' AND starts_with(f.hs_code, a.hs_code))))
      AND NOT (f.period_kind = 'month' AND EXISTS (
        SELECT 1 FROM f a WHERE {same} AND a.hs_code = f.hs_code AND a.period_kind = 'year'
          AND year(a.stat_period) = year(f.stat_period)))
    ),
    kept AS (
      SELECT *,
        bool_or(NOT partner_aggregate) OVER (PARTITION BY reporter, stat_period, period_kind, hs_code) AS _cp,
        bool_or(NOT reporter_aggregate) OVER (PARTITION BY partner, stat_period, period_kind, hs_code) AS _cr
      FROM levels
    )
    SELECT * EXCLUDE (_cp, _cr) FROM kept
    WHERE (NOT partner_aggregate OR NOT _cp) AND (NOT reporter_aggregate OR NOT _cr)
    )"""
    return Source(sql=sql, params=tuple(params), filtered=True, kind="statistics")


def describe(flow: str, family: str | None) -> dict[str, Any]:
    """What a statistics figure is, for every output (``source`` in JSON, table titles)."""
    who = "importer" if flow == "import" else "exporter"
    return {"kind": "statistics", "flow": flow, "reported_by": who, "classification": family,
            "note": f"{flow}s as reported by the {who} (trade statistics, not declarations)"}
