"""The JSON API: screening (yente-compatible), entities, search, leads, flows, review.

The screening routes follow the OpenSanctions yente API so that a client
written for yente works unchanged: ``POST /match/{dataset}``,
``GET /search/{dataset}``, ``GET /entities/{id}``, ``GET /algorithms``,
``GET /catalog``, ``GET /readyz``, ``GET /healthz`` (see
``docs/stages/yente.md`` for what is supported, and how).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from diversion.read.changes import NoSuchRun
from diversion.web import queries, review
from diversion.web.dashboard import DashboardQuery, dashboard
from diversion.web.dataset_search import DEFAULT_FACETS, SearchError, SearchParams, search_dataset
from diversion.web.matching import (
    OWN_ALGORITHM,
    BadQuery,
    MatchFilters,
    algorithms,
    check_settings,
    entity_fields,
    get_algorithm,
    match_query,
    parse_query,
    warm_algorithms,
)
from diversion.web.models import (
    AlgorithmResponse,
    ChangeRow,
    ChangesResponse,
    DataCatalogModel,
    DatasetModel,
    Decision,
    EntityDetail,
    EntityMatchQuery,
    EntityMatchResponse,
    EntityResponse,
    EntitySearchResponse,
    Lead,
    LeadsResponse,
    SearchResponse,
    StatusResponse,
    check_text,
)
from diversion.web.search import search_entities
from diversion.web.security import require_writer
from diversion.web.state import AppState, get_state
from diversion.web.workers import Deadline

router = APIRouter()
State = Annotated[AppState, Depends(get_state)]
NameQuery = Annotated[str, Query(min_length=1, max_length=500, description="A name in any script.")]
EntityId = Annotated[str, Path(min_length=1, max_length=200)]
DatasetName = Annotated[str, Path(max_length=100, examples=["default"], description="Dataset or collection.")]
#: yente's pattern for ``changed_since``: a date, optionally with a time.
TS_PATTERN = r"^\d{4}-\d{2}-\d{2}(T\d{2}(:\d{2}(:\d{2})?)?)?$"
#: Most results one page may hold (yente's ``MAX_PAGE``) and the deepest offset (yente's ``MAX_OFFSET``).
MAX_PAGE = 500
MAX_OFFSET = 9_499
CACHE_HEADERS = {"cache-control": "public, max-age=300"}


def clean(value: str | None, what: str) -> str | None:
    """Validate free text from a query string; 400 with the reason when it is not clean text."""
    if value is None:
        return None
    try:
        return check_text(value, what)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc


def _texts(values: list[str] | None, what: str) -> list[str]:
    return [clean(v, what) or "" for v in values or []]


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise HTTPException(400, f"changed_since: {value!r} is not a date or date-time") from exc


class _NotFound(LookupError):
    """Raised inside a worker job; answered 404."""


@router.post(
    "/match/{dataset}",
    response_model=EntityMatchResponse,
    response_model_by_alias=True,
    tags=["Matching"],
    responses={
        400: {"description": "Invalid query, algorithm or setting"},
        404: {"description": "Unknown dataset"},
        422: {"description": "Invalid request, or more work than one request's time budget"},
        503: {"description": "Server busy: retry"},
    },
)
async def match(  # async: the CPU work goes to the screening pool, the event loop only waits for it
    body: EntityMatchQuery,
    state: State,
    dataset: DatasetName,
    limit: int = Query(5, ge=1, le=MAX_PAGE, description="Results per query."),
    threshold: float | None = Query(None, ge=0, le=1, description="Score from which a result is a match."),
    cutoff: float | None = Query(None, ge=0, le=1, description="Results below this score are not returned."),
    algorithm: str = Query(OWN_ALGORITHM, max_length=64, description="See GET /algorithms; `best` = logic-v2."),
    include_dataset: Annotated[list[str] | None, Query(description="Only results from these datasets.")] = None,
    exclude_dataset: Annotated[list[str] | None, Query(description="No results from these datasets.")] = None,
    exclude_schema: Annotated[list[str] | None, Query(description="No results of these schemata.")] = None,
    topics: Annotated[list[str] | None, Query(description="Only results with one of these topics.")] = None,
    changed_since: str | None = Query(None, pattern=TS_PATTERN, description="Only results changed since then."),
    exclude_entity_ids: Annotated[
        list[str] | None, Query(max_length=50, description="Never these entities (any referent).")
    ] = None,
    fuzzy: bool = Query(False, description="Accepted for yente clients; diversion's lookup is always fuzzy."),
) -> Response:
    """Screen example entities against the loaded lists (or the warehouse's resolved parties).

    Request and response follow the OpenSanctions yente ``/match`` API:
    ``{"queries": {"q1": {"schema": "Company", "properties": {"name": ["..."],
    "country": ["ru"]}}}}``. Datasets: ``default`` (every loaded list entity),
    ``sanctions`` (listed entities only), ``entities`` (resolved parties of
    this warehouse), or a dataset by the name it was loaded under (the file
    name, or an FtM ``datasets`` value such as ``us_ofac_sdn``). Each result
    carries ``score``, ``match`` (score ≥ threshold) and ``explanations``;
    ``diversion:entity`` names the warehouse entity that holds a listed one.
    """
    web = state.settings.web
    try:
        algo = get_algorithm(algorithm)
        check_settings(algo, body.weights, body.config)
    except BadQuery as exc:
        raise HTTPException(400, str(exc)) from exc
    if not body.queries:
        raise HTTPException(400, "No queries provided.")
    if len(body.queries) > web.max_match_queries:
        raise HTTPException(400, f"Too many queries in one batch (limit: {web.max_match_queries})")
    limit = body.limit or limit
    threshold = body.threshold if body.threshold is not None else threshold
    threshold = threshold if threshold is not None else web.match_threshold
    cutoff = min(cutoff if cutoff is not None else web.match_cutoff, threshold)
    filters = MatchFilters(
        include_dataset=frozenset(_texts(include_dataset, "include_dataset")),
        exclude_dataset=frozenset(_texts(exclude_dataset, "exclude_dataset")),
        topics=frozenset(_texts(topics, "topics")),
        exclude_schema=frozenset(_texts(exclude_schema, "exclude_schema")),
        exclude_entity_ids=frozenset(_texts(exclude_entity_ids, "exclude_entity_ids")),
        changed_since=_timestamp(changed_since),
    )
    try:
        parsed = [parse_query(key, example) for key, example in body.queries.items()]
    except BadQuery as exc:
        raise HTTPException(400, f"Cannot parse example entity: {exc}") from exc
    name = clean(dataset, "dataset") or ""

    def job(deadline: Deadline) -> EntityMatchResponse:
        if state.catalog.select(name) is None:
            raise _NotFound(name)
        if algo.impl is not None:
            warm_algorithms()  # once per process: nomenklatura's first comparison loads its tables
        deadline.restart()  # the index build and that warm-up are the server's, not this request's
        responses = {
            q.key: match_query(
                state.catalog, name, q, algo, limit=limit, threshold=threshold, cutoff=cutoff, filters=filters,
                weights=body.weights, config=body.config, deadline=deadline,
            )
            for q in parsed
        }
        return EntityMatchResponse(responses=responses, limit=limit)

    try:
        result = await state.workers.run(job)
    except _NotFound as exc:
        raise HTTPException(404, f"No such dataset: {name!r}; see GET /catalog") from exc
    except BadQuery as exc:
        raise HTTPException(400, str(exc)) from exc
    # Serialised once here; returning the model would make FastAPI validate it a second time.
    return Response(
        result.model_dump_json(by_alias=True),
        media_type="application/json",
        headers={"x-batch-size": str(len(result.responses))},
    )


@router.get(
    "/search/{dataset}",
    response_model=EntitySearchResponse,
    response_model_by_alias=True,
    tags=["Matching"],
    responses={400: {"description": "Invalid schema, facet, sort or filter"}, 404: {"description": "No such dataset"}},
)
def search_in_dataset(
    state: State,
    response: Response,
    dataset: DatasetName,
    q: str = Query("", max_length=500, description="Name or words in any script."),
    schema: str = Query("Thing", max_length=64, description="Only entities of this schema (or its descendants)."),
    countries: Annotated[list[str] | None, Query(description="Country codes.")] = None,
    topics: Annotated[list[str] | None, Query(description="FtM topics, e.g. sanction.")] = None,
    datasets: Annotated[list[str] | None, Query(description="Dataset names.")] = None,
    include_dataset: Annotated[list[str] | None, Query()] = None,
    exclude_dataset: Annotated[list[str] | None, Query()] = None,
    exclude_schema: Annotated[list[str] | None, Query()] = None,
    changed_since: str | None = Query(None, pattern=TS_PATTERN),
    target: bool | None = Query(None, description="Only listed (true) or only context (false) entities."),
    filter: Annotated[list[str] | None, Query(description="properties.<property>:<value>")] = None,  # noqa: A002 (yente's name)
    filter_op: str = Query("OR", pattern="^(OR|AND)$"),
    sort: Annotated[list[str] | None, Query(description="first_seen:desc, caption:asc, ...")] = None,
    facets: Annotated[list[str] | None, Query(description="countries, topics, datasets, schema")] = None,
    limit: int = Query(10, ge=0, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    fuzzy: bool = Query(False, description="Accepted for yente clients; the name lookup is always fuzzy."),
    simple: bool = Query(False, description="Accepted for yente clients; q is always plain text here."),
) -> EntitySearchResponse:
    """Find listed entities by name or any property value, with yente's filters and facets."""
    params = SearchParams(
        q=clean(q, "q") or "", schema=clean(schema, "schema") or "Thing",
        countries=_texts(countries, "countries"), topics=_texts(topics, "topics"),
        datasets=_texts(datasets, "datasets"), include_dataset=_texts(include_dataset, "include_dataset"),
        exclude_dataset=_texts(exclude_dataset, "exclude_dataset"),
        exclude_schema=_texts(exclude_schema, "exclude_schema"), changed_since=_timestamp(changed_since),
        target=target, filter=_texts(filter, "filter"), filter_op=filter_op, sort=_texts(sort, "sort"),
        facets=_texts(facets, "facets") if facets else list(DEFAULT_FACETS), limit=limit, offset=offset,
    )
    try:
        result = search_dataset(state.catalog, clean(dataset, "dataset") or "", params)
    except SearchError as exc:
        raise HTTPException(400, str(exc)) from exc
    if result is None:
        raise HTTPException(404, f"No such dataset: {dataset!r}; see GET /catalog")
    response.headers.update(CACHE_HEADERS)
    return result


@router.get(
    "/entities/{entity_id}",
    response_model=EntityResponse | EntityDetail,
    response_model_by_alias=True,
    tags=["Entities"],
    responses={308: {"description": "The id was merged into another entity"}, 404: {"description": "Not found"}},
)
def get_entity(
    entity_id: EntityId,
    state: State,
    nested: bool = Query(True, description="Include adjacent entities (sanctions) under properties."),
) -> Any:
    """One entity by id: a listed entity (yente ``EntityResponse``), or a resolved entity of the warehouse.

    A listed entity comes in FtM shape with ``sanctions`` nested under its
    properties; an id that was merged into another (an OFAC id among an
    OpenSanctions entity's ``referents``) redirects (308) to it. A resolved
    entity (``e-…``, what ``/match/entities`` and the leads return) comes with
    its names, countries, identifiers, sanctions matches, flags and counterparts.
    """
    entity_id = clean(entity_id, "entity id") or ""
    listed = state.catalog.listed
    canonical = listed.canonical(entity_id)
    if canonical is not None and canonical != entity_id:
        return RedirectResponse(router.url_path_for("get_entity", entity_id=canonical), status_code=308)
    if canonical is not None:
        return EntityResponse.model_validate(entity_fields(listed.records[canonical], nested=nested))
    detail = entity_detail(state, entity_id)
    if detail is None:
        raise HTTPException(404, f"No such entity: {entity_id!r}")
    return EntityDetail.model_validate(detail)


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


@router.get("/algorithms", response_model=AlgorithmResponse, tags=["Matching"])
def list_algorithms() -> AlgorithmResponse:
    """The scoring algorithms ``/match`` takes (``?algorithm=``), their features and settings."""
    return AlgorithmResponse(algorithms=[a.docs() for a in algorithms()], default=OWN_ALGORITHM, best="logic-v2")


@router.get("/catalog", response_model=DataCatalogModel, tags=["System information"])
def catalog(state: State, request: Request) -> Response:
    """The datasets and collections this server answers for (yente ``/catalog``), with an ETag."""
    version = state.wh.version()
    datasets = [
        DatasetModel(name=d.name, title=d.title, summary=f"{d.entities:,} entities ({d.kind})", version=version,
                     index_version=version, children=[])
        for d in state.catalog.datasets()
    ]
    body = DataCatalogModel(datasets=datasets, current=[d.name for d in datasets], outdated=[]).model_dump_json()
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    headers = {"etag": etag, **CACHE_HEADERS}
    wanted = request.headers.get("if-none-match", "")
    if wanted.strip() == "*" or etag in re.split(r"\s*,\s*", wanted):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.get("/readyz", response_model=StatusResponse, tags=["System information"],
            responses={503: {"description": "Still building the name indexes"}})
def readyz(state: State) -> Response:
    """200 once the name indexes are built and ``/match`` answers at full speed; 503 until then."""
    if not state.catalog.ready:
        return Response('{"status":"loading"}', status_code=503, media_type="application/json")
    return Response(StatusResponse().model_dump_json(), media_type="application/json")


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

    entity_id = clean(entity_id, "entity id") or ""
    if queries.entity(state.wh, entity_id) is None:
        raise HTTPException(404, f"No such entity: {entity_id!r}")
    return neighbourhood(state.wh, entity_id, state.settings.web.max_graph_nodes, state.settings.report_currency)


@router.get("/search", response_model=SearchResponse, tags=["Entities"])
def search(q: NameQuery, state: State, limit: int = Query(20, ge=1, le=100)) -> SearchResponse:
    """Find the warehouse's entities by name in any script (``AMG`` finds ``ООО "АМГ"``), with flags and scores."""
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


@router.get("/changes", response_model=ChangesResponse, tags=["Leads"])
def changes(
    state: State,
    since: int | None = Query(None, ge=0, le=1_000_000_000),
    show_all: bool = Query(False, alias="all"),
) -> ChangesResponse:
    """What the latest run changed, or every run after run ``since``: new and changed leads, matches, flags."""
    try:
        found = queries.changes(state.wh, state.settings, since, show_all)
    except NoSuchRun as exc:
        raise HTTPException(404, str(exc)) from exc
    return ChangesResponse(since=found.since, latest=found.latest, hidden=found.hidden,
                           results=[ChangeRow(**r) for r in found.rows()])


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
    if result["error"]:
        # An answer the warehouse cannot give is an error status, not a 200 with an error inside.
        raise HTTPException(404 if not state.wh.has("shipments") else 422, result["error"])
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
