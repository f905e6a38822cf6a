"""HTML pages for analysts: home, search, entity, leads, changes, flows dashboard, review queue, login."""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from diversion.read.changes import NoSuchRun
from diversion.web import queries, review
from diversion.web.api import clean, dashboard_query, write_decision
from diversion.web.dashboard import dashboard
from diversion.web.models import Decision
from diversion.web.search import search_entities
from diversion.web.security import SESSION_COOKIE, can_write, keys_equal, session_token
from diversion.web.state import AppState, get_state

router = APIRouter(include_in_schema=False)
State = Annotated[AppState, Depends(get_state)]
Page = Annotated[int, Query(ge=1, le=1_000_000)]


_SYNTHETIC: dict[str, str | None] = {}


def render(request: Request, state: AppState, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a template with what every page needs (nav, write access, flash message, synthetic mark, currency)."""
    if state.wh.path not in _SYNTHETIC:  # the warehouse does not change while the app serves it
        _SYNTHETIC[state.wh.path] = queries.synthetic(state.wh)
    context.update(
        request=request,
        can_write=can_write(request),
        writable=bool(state.settings.web.api_key),
        message=request.query_params.get("msg", "")[:200],
        synthetic=_SYNTHETIC[state.wh.path],
        currency=state.settings.report_currency,
    )
    return state.templates.TemplateResponse(request, name, context, status_code=status_code)


def pages(total: int, page: int, size: int) -> dict[str, int]:
    """Paging numbers for a template."""
    last = max(1, math.ceil(total / size))
    return {"page": min(page, last), "last": last, "total": total, "size": size}


def _same_origin(request: Request) -> None:
    """Refuse cross-site form posts (the session cookie is SameSite=Strict as well)."""
    origin = request.headers.get("origin")
    if origin and origin.split("://", 1)[-1] != request.headers.get("host", ""):
        raise HTTPException(403, "cross-site form post refused")


@router.get("/", response_class=HTMLResponse)
def home(request: Request, state: State) -> HTMLResponse:
    """Search box, warehouse counts, the leads above the threshold (the count every output gives)."""
    wh = state.wh
    counts = {
        t: int(wh.value(f"SELECT count(*) FROM {t}") or 0) if wh.has(t) else None  # noqa: S608 (fixed names)
        for t in ("shipments", "entities", "sanctions_matches", "findings")
    }
    lead_counts = queries.lead_counts(wh, state.settings)
    _, top = queries.leads_page(wh, limit=10, settings=state.settings, above_threshold=True)
    return render(request, state, "home.html", counts=counts, lead_counts=lead_counts, leads=top)


@router.get("/ui/search", response_class=HTMLResponse)
def search_page(request: Request, state: State, q: str = Query("", max_length=500)) -> HTMLResponse:
    """Search results with flags and scores; a shipment record id finds its record."""
    q = (clean(q, "q") or "").strip()
    record = queries.record(state.wh, q, state.settings.report_currency) if q else None
    results = search_entities(state, q, 50).results if q else []
    return render(request, state, "search.html", q=q, results=results, record=record)


@router.get("/ui/records/{record_id:path}", response_class=HTMLResponse)
def record_page(request: Request, state: State, record_id: str) -> HTMLResponse:
    """One shipment record: every field, its file and line, its parties, and the findings that cite it."""
    record_id = clean(record_id, "record id") or ""
    row = queries.record(state.wh, record_id, state.settings.report_currency)
    if row is None:
        return render(request, state, "error.html", status_code=404, title="Not found",
                      detail=f"No shipment with record id {record_id!r}.")
    cited = queries.findings_citing(state.wh, record_id)
    names = queries.node_labels(state.wh, [f["entity_id"] for f in cited])
    return render(request, state, "record.html", r=row, cited=cited, names=names)


@router.get("/ui/entities/{entity_id}", response_class=HTMLResponse)
def entity_page(
    request: Request,
    state: State,
    entity_id: str,
    sort: str = Query("date", pattern="^(" + "|".join(queries.SHIPMENT_SORTS) + ")$"),
    order: str = Query("desc", pattern="^(asc|desc)$"),
    page: Page = 1,
) -> HTMLResponse:
    """The entity page: who it is, why it is flagged (with the records behind it), what it traded, its network."""
    entity_id = clean(entity_id, "entity id") or ""
    dossier = queries.entity_dossier(state.wh, state.settings, entity_id)
    if dossier is None:
        return render(
            request, state, "error.html", status_code=404, title="Not found", detail=f"No entity with id {entity_id!r}."
        )
    size = state.settings.web.page_size
    total, shipments = queries.shipments_page(
        state.wh, entity_id, sort, order == "desc", (page - 1) * size, size, total=dossier.shipments_total,
        currency=state.settings.report_currency,
    )
    paging = pages(total, page, size)

    def link(**changes: Any) -> str:
        params = {"sort": sort, "order": order, "page": page, **changes}
        return f"?{urlencode(params)}#shipments"

    return render(
        request, state, "entity.html", e=dossier, shipments=shipments, paging=paging, sort=sort, order=order,
        link=link, threshold=state.settings.leads.threshold,
    )


@router.get("/ui/leads", response_class=HTMLResponse)
def leads_page(
    request: Request,
    state: State,
    flag: str = Query("", max_length=50, pattern="^[a-z_]*$"),
    country: str = Query("", max_length=2, pattern="^[A-Za-z]{0,2}$"),
    show: str = Query("above", pattern="^(above|all|context)$"),
    page: Page = 1,
) -> HTMLResponse:
    """The ranked lead list: leads at or above the threshold (or all, or the context entities), with filters."""
    size = state.settings.web.page_size
    total, rows = queries.leads_page(
        state.wh, flag or None, country or None, (page - 1) * size, size, settings=state.settings,
        above_threshold=show == "above", section="context" if show == "context" else "lead",
    )
    flags, countries = queries.lead_facets(state.wh)

    def link(**changes: Any) -> str:
        return "?" + urlencode({"flag": flag, "country": country, "show": show, "page": page, **changes})

    return render(
        request,
        state,
        "leads.html",
        rows=rows,
        paging=pages(total, page, size),
        flags=flags,
        countries=countries,
        flag=flag,
        country=country.upper(),
        show=show,
        lead_counts=queries.lead_counts(state.wh, state.settings),
        link=link,
    )


@router.get("/ui/changes", response_class=HTMLResponse)
def changes_page(
    request: Request,
    state: State,
    since: int | None = Query(None, ge=0, le=1_000_000_000),
    show: str = Query("above", pattern="^(above|all)$"),
) -> HTMLResponse:
    """What the latest run changed (or every run after ``since``): the delta a reviewer reads after an update."""
    try:
        found = queries.changes(state.wh, state.settings, since, show == "all")
    except NoSuchRun as exc:
        raise HTTPException(404, str(exc)) from exc

    def link(**changes: Any) -> str:
        return "?" + urlencode({k: v for k, v in {"since": since, "show": show, **changes}.items() if v is not None})

    return render(request, state, "changes.html", found=found, rows=found.rows(), show=show, link=link,
                  threshold=state.settings.leads.threshold)


@router.get("/ui/flows", response_class=HTMLResponse)
def flows_page(
    request: Request,
    state: State,
    importer_country: str = Query("", max_length=2, pattern="^[A-Za-z]{0,2}$"),
    hs: str = Query("", max_length=10, pattern="^[0-9]{0,10}$"),
    machine_tools: str = Query("on", pattern="^(on|off)$"),
    currency: str = Query("", pattern="^([A-Z]{3})?$"),
) -> HTMLResponse:
    """The flows dashboard: monthly values by origin and dispatch, exporter growth (in the report currency)."""
    q = dashboard_query(state, importer_country, hs, machine_tools == "on", currency or state.settings.report_currency)
    return render(request, state, "flows.html", fq=q, result=dashboard(state.wh, q))


@router.get("/ui/review", response_class=HTMLResponse)
def review_page(request: Request, state: State, page: Page = 1) -> HTMLResponse:
    """Uncertain matches to judge, and the latest decisions."""
    size = state.settings.web.page_size
    total, rows = review.queue(state.wh, state.settings.resolve, (page - 1) * size, size)
    return render(
        request,
        state,
        "review.html",
        rows=rows,
        paging=pages(total, page, size),
        recent=review.recent_decisions(state.wh),
        link=lambda page=page: "?" + urlencode({"page": page}),
    )


@router.post("/ui/review")
def review_submit(
    request: Request,
    state: State,
    left_id: Annotated[str, Form(max_length=200)],
    right_id: Annotated[str, Form(max_length=200)],
    judgement: Annotated[str, Form(pattern="^(same|different)$")],
    reason: Annotated[str, Form(max_length=2000)] = "",
    author: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Record a decision from the review page (needs a logged-in session)."""
    _same_origin(request)
    if not can_write(request):
        return RedirectResponse("/login?" + urlencode({"msg": "Log in with the API key to record decisions."}), 303)
    decision = Decision(
        left_id=left_id, right_id=right_id, judgement=judgement, reason=reason or None, author=author or "analyst"
    )
    write_decision(state, decision)
    return RedirectResponse("/ui/review?" + urlencode({"msg": f"Recorded: {judgement}."}), 303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, state: State) -> HTMLResponse:
    """Ask for the operator's API key."""
    return render(request, state, "login.html")


@router.post("/login")
def login(request: Request, state: State, api_key: Annotated[str, Form(max_length=500)]) -> Response:
    """Check the key (constant time) and set a session cookie proving it."""
    _same_origin(request)
    key = state.settings.web.api_key
    if not keys_equal(api_key, key):
        return render(
            request,
            state,
            "login.html",
            status_code=401,
            error="This server is read-only." if not key else "Wrong key.",
        )
    response = RedirectResponse("/ui/review?" + urlencode({"msg": "Logged in."}), 303)
    response.set_cookie(SESSION_COOKIE, session_token(key), httponly=True, samesite="strict", max_age=8 * 3600)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    """Forget the session cookie."""
    _same_origin(request)
    response = RedirectResponse("/", 303)
    response.delete_cookie(SESSION_COOKIE)
    return response
