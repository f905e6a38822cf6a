"""The ranked leads as every output shows them: one threshold, leads apart from context.

The CLI's ``leads``, the report's ranked table and the web app's home page and
lead list all call :func:`lead_page` and :func:`lead_counts`, so "how many
leads" has one answer: leads (trade parties, or linked to one) scoring at or
above ``leads.threshold``. Entities with findings but no trade are *context*,
listed apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from diversion.config import Settings
from diversion.engine import Engine

#: Sections of the lead table.
SECTIONS = ("lead", "context")


@dataclass(frozen=True)
class LeadCounts:
    """How many entities the lead table holds, and how many pass the threshold."""

    threshold: float
    above: int
    leads: int
    context: int


def _has_sections(engine: Engine) -> bool:
    return "section" in engine.fetch_arrow("SELECT * FROM leads LIMIT 0").schema.names


def _where(engine: Engine, section: str, threshold: float | None, flag: str | None, country: str | None,
           ) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if _has_sections(engine):
        clauses.append("coalesce(section, 'lead') = ?")
        params.append(section)
    elif section != "lead":
        clauses.append("FALSE")
    if threshold is not None:
        clauses.append("score >= ?")
        params.append(threshold)
    if flag:
        clauses.append("list_contains(string_split(flags, ';'), ?)")
        params.append(flag)
    if country:
        clauses.append("upper(country) = upper(?)")
        params.append(country)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def lead_counts(engine: Engine, settings: Settings) -> LeadCounts | None:
    """Leads at or above the threshold, all leads, context entities; ``None`` before ``diversion leads``."""
    if not engine.table_exists("leads") or not engine.count("leads"):
        return None
    threshold = settings.leads.threshold
    if _has_sections(engine):
        above, leads, context = engine.fetch_all("""
            SELECT count(*) FILTER (WHERE coalesce(section, 'lead') = 'lead' AND score >= ?),
                   count(*) FILTER (WHERE coalesce(section, 'lead') = 'lead'),
                   count(*) FILTER (WHERE section = 'context') FROM leads""", [threshold])[0]
    else:
        above, leads = engine.fetch_all("SELECT count(*) FILTER (WHERE score >= ?), count(*) FROM leads",
                                        [threshold])[0]
        context = 0
    return LeadCounts(threshold, int(above), int(leads), int(context))


def lead_page(engine: Engine, settings: Settings, *, section: str = "lead", above_threshold: bool = True,
              flag: str | None = None, country: str | None = None, offset: int = 0,
              limit: int | None = None) -> tuple[int, list[dict[str, Any]]]:
    """One page of a section of the lead table, best first, and the section's total under the same filters.

    Rows carry ``flag_list`` and ``above`` (at or above the threshold).
    """
    if section not in SECTIONS:
        raise ValueError(f"section {section!r}: choose from {SECTIONS}")
    if not engine.table_exists("leads"):
        return 0, []
    threshold = settings.leads.threshold
    where, params = _where(engine, section, threshold if above_threshold else None, flag, country)
    total = int(engine.scalar(f"SELECT count(*) FROM leads {where}", params) or 0)  # noqa: S608 (built clauses)
    page = "LIMIT ? OFFSET ?" if limit is not None else ""
    rows = engine.fetch_dicts(
        f"SELECT rank, entity_id, name, country, score, flags, evidence FROM leads {where} "  # noqa: S608
        f"ORDER BY rank, entity_id {page}", [*params, *([limit, offset] if limit is not None else [])])
    for row in rows:
        row["flag_list"] = [f for f in (row["flags"] or "").split(";") if f]
        row["above"] = row["score"] >= threshold
    return total, rows


def lead_row(engine: Engine, entity_id: str) -> dict[str, Any] | None:
    """One entity's row of the lead table (rank within its section), or ``None``."""
    if not engine.table_exists("leads"):
        return None
    section = ", section" if _has_sections(engine) else ", 'lead' AS section"
    rows = engine.fetch_dicts(f"SELECT rank, score, flags, evidence{section} FROM leads WHERE entity_id = ?",
                              [entity_id])
    return rows[0] if rows else None


def lead_rows(engine: Engine, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Lead rows (score, flags, section) keyed by entity id."""
    if not ids or not engine.table_exists("leads"):
        return {}
    section = ", section" if _has_sections(engine) else ", 'lead' AS section"
    rows = engine.fetch_dicts(f"SELECT entity_id, rank, score, flags{section} FROM leads "
                              "WHERE list_contains(?, entity_id)", [ids])
    return {r["entity_id"]: r for r in rows}


def lead_facets(engine: Engine) -> tuple[list[str], list[str]]:
    """The flags and countries present in the lead list, for filter menus."""
    if not engine.table_exists("leads"):
        return [], []
    flags = engine.fetch_all(
        "SELECT DISTINCT unnest(string_split(flags, ';')) AS flag FROM leads WHERE flags <> '' ORDER BY flag")
    countries = engine.fetch_all("SELECT DISTINCT country FROM leads WHERE country IS NOT NULL ORDER BY country")
    return [r[0] for r in flags if r[0]], [r[0] for r in countries]
