"""The search box: entities by name in any script, with their lead flags and scores."""

from __future__ import annotations

from diversion.web import queries
from diversion.web.models import SearchResponse, SearchResult
from diversion.web.screening import UnusableName
from diversion.web.state import AppState

#: Search results below this name score are not shown.
SEARCH_CUTOFF = 0.6
#: Score shown for an entity found only because a name contains the query text.
SUBSTRING_SCORE = 0.5


def search_entities(state: AppState, q: str, limit: int = 20) -> SearchResponse:
    """Entities whose names resemble ``q`` (transliteration-aware), best first.

    An exact entity id or identifier (``inn:7701234567`` or just the number)
    finds its entity too. A query with no letters or digits finds nothing.
    """
    entities = state.catalog.entities
    try:
        hits = entities.index.lookup(q, limit=limit, cutoff=SEARCH_CUTOFF)
    except UnusableName:
        hits = []
    found = {h.key: (h.score, h.name) for h in hits}
    if len(found) < limit and len(q.strip()) >= 3:
        # Typed fragments ("Ameg") are no whole name: fall back to a plain substring search.
        for row in queries.entities_containing(state.wh, q.strip(), limit):
            found.setdefault(row["entity_id"], (SUBSTRING_SCORE, row["canonical_name"]))
    key = "".join(c for c in q.upper() if c.isalnum())
    if q in entities.records:
        found[q] = (1.0, entities.records[q].caption)
    elif key:
        for rec in entities.records.values():
            if key in rec.identifiers:
                found[rec.id] = (1.0, rec.caption)
    ids = list(found)
    leads = queries.leads_for(state.wh, ids)
    listed = queries.sanctioned_ids(state.wh, ids)
    results = []
    for entity_id, (score, matched) in found.items():
        rec = entities.records[entity_id]
        lead = leads.get(entity_id)
        results.append(
            SearchResult(
                entity_id=entity_id,
                name=rec.caption,
                matched_name=matched,
                score=score,
                countries=rec.properties.get("country", []),
                lead_score=lead["score"] if lead else None,
                flags=[f for f in (lead["flags"] if lead else "").split(";") if f],
                sanctioned=entity_id in listed,
            )
        )
    results.sort(key=lambda r: (-r.score, -(r.lead_score or 0.0), r.name))
    return SearchResponse(query=q, total=len(results), results=results[:limit])
