"""The analyst's web pages: each calls the query function its `/api/v1` twin calls, and renders it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from narrascope.corpus.storyline_list import SORTS
from narrascope.web import attention as web_attention
from narrascope.web import charts, queries
from narrascope.web import search as web_search
from narrascope.web import storylines as web_storylines
from narrascope.web.api import (
    AttentionQuery,
    Search,
    attention_of,
    dashboard_of,
    run_analysis,
    search_of,
    similar_query,
    store_of,
)
from narrascope.web.panels import plain
from narrascope.web.panels import rows as table_rows
from narrascope.web.reader import PANEL_ANALYZERS

router = APIRouter(include_in_schema=False)


def render(request: Request, template: str, **context: Any) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request, template, {"table_rows": table_rows, "plain": plain, **context}
    )


@router.get("/", response_class=HTMLResponse)
def dashboard_page(request: Request, outlet: str | None = None) -> HTMLResponse:
    board = dashboard_of(request, outlet)
    if "html" not in board.rendered:  # the cached dashboard is drawn once
        board.charts = charts.dashboard_charts(board)
        page = render(request, "dashboard.html", board=board, charts=board.charts, page="dashboard")
        board.rendered["html"] = bytes(page.body)
    return HTMLResponse(board.rendered["html"])


@router.get("/doc/{doc_id}", response_class=HTMLResponse)
def reader_page(request: Request, doc_id: str) -> HTMLResponse:
    reader = queries.reader(store_of(request), request.app.state.definitions, doc_id)
    return render(
        request,
        "reader.html",
        r=reader,
        v=reader.view,
        panel_analyzers=PANEL_ANALYZERS,
        has_vectors=reader.has_vectors,
        page="reader",
    )


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, params: Search) -> HTMLResponse:
    store = store_of(request)
    with store.snapshot():  # one state of the store, its change stamp read once (#17)
        result = search_of(request, params)
        choices = web_search.choices(store)
    return render(
        request,
        "search.html",
        params=params,
        choices=choices,
        f=web_search.url_params(params),
        result=result,
        page="search",
    )


@router.get("/attention", response_class=HTMLResponse)
def attention_page(request: Request, params: AttentionQuery) -> HTMLResponse:
    found = attention_of(request, params)
    return render(
        request,
        "attention.html",
        params=params,
        search=params.search,
        choices=web_search.choices(store_of(request)),
        f={**web_search.url_params(params.search), **params.url_params()},
        search_f=web_search.url_params(params.search),
        found=found,
        charts=web_attention.charts(found.data) if found.ok else [],
        page="search",
    )


@router.get("/outlet/{name:path}", response_class=HTMLResponse)
def outlet_page(request: Request, name: str) -> HTMLResponse:
    profile = queries.outlet(store_of(request), name)
    return render(request, "profile.html", profile=profile, kind="Outlet", page="outlet")


@router.get("/outlets", response_class=HTMLResponse)
def outlets_page(request: Request) -> HTMLResponse:
    panel = queries.outlets(store_of(request))
    return render(request, "outlets.html", panel=panel, page="outlet")


@router.get("/entity/{entity_id}", response_class=HTMLResponse)
def entity_page(request: Request, entity_id: str) -> HTMLResponse:
    profile = queries.entity(store_of(request), entity_id)
    return render(request, "profile.html", profile=profile, kind="Entity", page="entity")


@router.get("/storylines", response_class=HTMLResponse)
def storylines_page(request: Request, params: web_storylines.ListQuery) -> HTMLResponse:
    found = web_storylines.listing(store_of(request), params)
    return render(
        request, "storylines.html", panel=found, params=params, page="storylines", sorts=SORTS
    )


@router.get("/storyline/{storyline_id}", response_class=HTMLResponse)
def storyline_page(request: Request, storyline_id: str) -> HTMLResponse:
    found = web_storylines.detail(store_of(request), storyline_id)
    chart = web_storylines.timeline(found.storyline)
    return render(request, "storyline.html", d=found, timeline=chart, page="storylines")


@router.get("/similar", response_class=HTMLResponse)
def similar_page(
    request: Request,
    doc_id: Annotated[str | None, Query(max_length=16)] = None,
    sentence: Annotated[int | None, Query(ge=0)] = None,
    q: Annotated[str, Query(max_length=2000)] = "",
) -> HTMLResponse:
    result = similar_query(request, doc_id, sentence, q, 20) if (q or doc_id) else None
    return render(request, "similar.html", result=result, q=q, page="search")


@router.get("/analyze", response_class=HTMLResponse)
def analyze_form(request: Request) -> HTMLResponse:
    return render(request, "analyze.html", outcome=None, docs=[], page="analyze")


@router.post("/analyze")
async def analyze_submit(request: Request) -> Response:
    outcome = await run_analysis(request)
    if len(outcome.doc_ids) == 1 and not outcome.problems:
        return RedirectResponse(f"/doc/{outcome.doc_ids[0]}", status_code=303)
    store = store_of(request)
    docs = [queries.summary(d) for d in map(store.document, outcome.doc_ids) if d is not None]
    return render(request, "analyze.html", outcome=outcome, docs=docs, page="analyze")
