"""The JSON API: screening (yente-compatible), entities, search, leads, flows, review."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response

from diversion.web import queries, review
from diversion.web.dashboard import DashboardQuery, dashboard
from diversion.web.matching import FEATURES, BadQuery, match_example
from diversion.web.models import (
    Decision,
    EntityDetail,
    Lead,
    LeadsResponse,
    MatchRequest,
    MatchResponse,
    SearchResponse,
    check_text,
)
from diversion.web.search import search_entities
from diversion.web.security import require_writer
from diversion.web.state import AppState, get_state

router = APIRouter()
State = Annotated[AppState, Depends(get_state)]
NameQuery = Annotated[str, Query(min_length=1, max_length=500, description="A name in any script.")]
EntityId = Annotated[str, Path(min_length=1, max_length=200)]


def clean(value: str | None, what: str) -> str | None:
    """Validate free text from a query string; 400 with the reason when it is not clean text."""
    if value is None:
        return None
    try:
        return check_text(value, what)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc


@router.post(
    "/match/{dataset}",
    response_model=MatchResponse,
    response_model_by_alias=True,
    tags=["Matching"],
    responses={400: {"description": "Invalid query"}, 404: {"description": "Unknown dataset"}},
)
async def match(  # async: pure in-memory work, no database, so no thread-pool hop
    body: MatchRequest,
    state: State,
    dataset: str = Path(..., max_length=100, examples=["default"]),
    limit: int = Query(5, ge=1, le=100, description="Results per query."),
    threshold: float | None = Query(None, ge=0, le=1, description="Score from which a result is a match."),
    cutoff: float | None = Query(None, ge=0, le=1, description="Results below this score are not returned."),
) -> Response:
    """Screen example entities against the sanctions lists and the warehouse's entities.

    Request and response follow the OpenSanctions yente ``/match`` API:
    ``{"queries": {"q1": {"schema": "Company", "properties": {"name": ["..."],
    "country": ["ru"]}}}}``. Datasets: ``default`` (everything), ``sanctions``,
    ``entities`` (resolved parties of this warehouse) or one list (``us_ofac_sdn``).
    Each result carries ``score``, ``match`` (score ≥ threshold), ``features``
    and ``explanations``.
    """
    web = state.settings.web
    collections = state.catalog.collections(dataset)
    if collections is None:
        raise HTTPException(404, f"unknown dataset {dataset!r}; choose from {', '.join(state.catalog.list_datasets())}")
    if not body.queries:
        raise HTTPException(400, "no queries provided")
    if len(body.queries) > web.max_match_queries:
        raise HTTPException(400, f"too many queries in one batch (limit: {web.max_match_queries})")
    limit = body.limit or limit
    threshold = (
        body.threshold if body.threshold is not None else (threshold if threshold is not None else web.match_threshold)
    )
    cutoff = cutoff if cutoff is not None else min(web.match_cutoff, threshold)
    responses = {}
    for key, example in body.queries.items():
        try:
            responses[key] = match_example(state.catalog, collections, example, limit, threshold, cutoff)
        except BadQuery as exc:
            raise HTTPException(400, f"query {key!r}: {exc}") from exc
    result = MatchResponse(responses=responses, matcher=FEATURES, limit=limit)
    # Serialised once here; returning the model would make FastAPI validate it a second time.
    return Response(
        result.model_dump_json(by_alias=True),
        media_type="application/json",
        headers={"x-batch-size": str(len(responses))},
    )


@router.get("/entities/{entity_id}", response_model=EntityDetail, response_model_by_alias=True, tags=["Entities"])
def get_entity(entity_id: EntityId, state: State) -> dict[str, Any]:
    """One resolved entity: names, countries, identifiers, sanctions matches, flags, counterparts..."""
    detail = entity_detail(state, clean(entity_id, "entity id") or "")
    if detail is None:
        raise HTTPException(404, f"no entity {entity_id!r}")
    return detail


def entity_detail(state: AppState, entity_id: str) -> dict[str, Any] | None:
    """Everything the entity page and ``GET /entities/{id}`` show, except shipments and the network."""
    wh = state.wh
    row = queries.entity(wh, entity_id)
    if row is None:
        return None
    total = queries.shipments_count(wh, entity_id)
    return {
        "entity_id": entity_id,
        "name": row["canonical_name"],
        "schema": row["schema"],
        "names": row["names"] or [row["canonical_name"]],
        "countries": row["countries"] or [],
        "identifiers": row["identifiers"] or [],
        "lead": queries.lead(wh, entity_id),
        "sanctions_matches": queries.sanctions_matches(wh, entity_id),
        "findings": queries.findings(wh, entity_id),
        "counterparts": queries.counterparts(wh, entity_id),
        "ownership": queries.ownership(wh, entity_id),
        "websites": queries.websites(wh, entity_id),
        "shipments_total": total,
    }


@router.get("/entities/{entity_id}/shipments", tags=["Entities"])
def get_shipments(
    entity_id: EntityId,
    state: State,
    sort: str = Query("date", pattern="^(" + "|".join(queries.SHIPMENT_SORTS) + ")$"),
    order: str = Query("desc", pattern="^(asc|desc)$"),
    offset: int = Query(0, ge=0, le=10_000_000),
    limit: int = Query(25, ge=1, le=500),
) -> dict[str, Any]:
    """One page of the entity's shipments, sorted server-side."""
    total, rows = queries.shipments_page(state.wh, entity_id, sort, order == "desc", offset, limit)
    return {"total": total, "offset": offset, "limit": limit, "results": rows}


@router.get("/entities/{entity_id}/network", tags=["Entities"])
def get_network(entity_id: EntityId, state: State) -> dict[str, Any]:
    """The entity's network neighbourhood (two hops) as Cytoscape.js elements."""
    from diversion.web.neighbourhood import neighbourhood

    return neighbourhood(state.wh, entity_id, state.settings.web.max_graph_nodes, state.settings.report_currency)


@router.get("/search", response_model=SearchResponse, tags=["Entities"])
def search(q: NameQuery, state: State, limit: int = Query(20, ge=1, le=100)) -> SearchResponse:
    """Find entities by name in any script (``AMG`` finds ``ООО "АМГ"`` and back), with flags and scores."""
    return search_entities(state, clean(q, "q") or "", limit)


@router.get("/leads", response_model=LeadsResponse, tags=["Leads"])
def leads(
    state: State,
    flag: str | None = Query(None, max_length=50, pattern="^[a-z_]+$"),
    country: str | None = Query(None, max_length=2, pattern="^[A-Za-z]{2}$"),
    offset: int = Query(0, ge=0, le=10_000_000),
    limit: int = Query(50, ge=1, le=500),
) -> LeadsResponse:
    """The ranked lead list, optionally only leads with one flag or in one country."""
    total, rows = queries.leads_page(state.wh, flag, country, offset, limit)
    results = [Lead(**{**r, "flags": [f for f in (r["flags"] or "").split(";") if f]}) for r in rows]
    return LeadsResponse(total=total, offset=offset, limit=limit, results=results)


@router.get("/flows", tags=["Flows"])
def flows(
    state: State,
    importer_country: str = Query("", max_length=2, pattern="^[A-Za-z]{0,2}$"),
    hs: str = Query("", max_length=10, pattern="^[0-9]{0,10}$"),
    machine_tools: bool = Query(True),
    currency: str = Query("USD", pattern="^[A-Z]{3}$"),
) -> dict[str, Any]:
    """Trade-flow statistics (``diversion.flows``) by origin, dispatch country and exporter."""
    q = dashboard_query(state, importer_country, hs, machine_tools, currency)
    result = dashboard(state.wh, q)
    return {
        "currency": q.currency,
        "cutoff_date": q.cutoff.isoformat(),
        "importer_country": q.importer_country,
        "hs": q.hs,
        "machine_tools": q.machine_tools,
        "error": result["error"],
        "flows": result["series"],
    }


def dashboard_query(
    state: AppState, importer_country: str, hs: str, machine_tools: bool, currency: str
) -> DashboardQuery:
    """The dashboard's query from request values and the configured defaults."""
    detect = state.settings.detect
    return DashboardQuery(
        importer_country=(importer_country or detect.destination_country).upper(),
        hs=hs,
        machine_tools=machine_tools,
        currency=currency,
        cutoff=detect.cutoff_date,
    )


@router.get("/review", tags=["Review"])
def review_queue(
    state: State, offset: int = Query(0, ge=0, le=10_000_000), limit: int = Query(25, ge=1, le=500)
) -> dict[str, Any]:
    """Uncertain entity matches waiting for an analyst, least certain first."""
    total, rows = review.queue(state.wh, state.settings.resolve, offset, limit)
    return {"total": total, "offset": offset, "limit": limit, "results": rows}


@router.post("/review", status_code=201, tags=["Review"], dependencies=[Depends(require_writer)])
def review_decide(decision: Decision, request: Request, state: State) -> dict[str, Any]:
    """Record ``same`` or ``different`` for a pair of mentions (needs the API key).

    The decision is stored in the ``decisions`` table; the next ``diversion
    resolve`` honours it.
    """
    return write_decision(state, decision)


def write_decision(state: AppState, decision: Decision) -> dict[str, Any]:
    """Store a decision, turning the review module's errors into HTTP answers."""
    try:
        row = review.record_decision(state.wh, decision)
    except review.UnknownMention as exc:
        raise HTTPException(404, str(exc)) from exc
    return {**row, "decided_at": row["decided_at"].isoformat()}
