"""The JSON API under `/api/v1`: the same query functions the pages render, as JSON.

Errors are `{"error": "..."}` with a fitting status; lists page with opaque keyset cursors
(`next_cursor`); every list downloads whole as CSV or JSONL.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from narrascope.corpus.search import SearchPage
from narrascope.store import Store
from narrascope.store.search import SearchQuery
from narrascope.web import analyze as analysis
from narrascope.web import attention as web_attention
from narrascope.web import queries
from narrascope.web import search as web_search
from narrascope.web import storylines as web_storylines
from narrascope.web.dashboard import PANELS, Dashboard
from narrascope.web.downloads import download
from narrascope.web.panels import export_rows
from narrascope.web.queries import BadRequest

router = APIRouter(prefix="/api/v1", tags=["api"])


def store_of(request: Request) -> Store:
    return request.app.state.store


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"{name}: not a date (YYYY-MM-DD): {value[:20]!r}") from exc


# The parameter parsers are `async def`: FastAPI would run a plain `def` dependency in the
# thread pool, a trip there and back before the route's own, for a few microseconds of
# parsing; under load each trip waits its turn for the GIL (#17).
async def search_params(
    q: Annotated[str, Query(max_length=500, description="Full-text query.")] = "",
    outlet: Annotated[str | None, Query(max_length=255)] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    narrative: Annotated[str | None, Query(max_length=255)] = None,
    technique: Annotated[str | None, Query(max_length=255)] = None,
    entity: Annotated[str | None, Query(max_length=255)] = None,
    speaker: Annotated[str | None, Query(max_length=255)] = None,
    date_from: Annotated[str | None, Query(description="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, Query(description="YYYY-MM-DD")] = None,
    cursor: Annotated[
        str | None, Query(max_length=2000, description="`next_cursor` of the page before.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=web_search.MAX_PAGE)] = 25,
) -> SearchQuery:
    """The search request from query parameters (empty form fields count as absent)."""
    return SearchQuery(
        text=q,
        outlet=outlet or None,
        language=language or None,
        narrative=narrative or None,
        technique=technique or None,
        entity=entity or None,
        speaker=speaker or None,
        since=_date(date_from, "date_from"),
        until=_date(date_to, "date_to"),
        cursor=cursor or None,
        limit=limit,
    )


Search = Annotated[SearchQuery, Depends(search_params)]


async def attention_params(
    search: Search,
    compare: Annotated[
        str | None, Query(max_length=500, description="A second query's words, same filters.")
    ] = None,
    like: Annotated[bool, Query(description="Match sentences by meaning (vectors).")] = False,
    interval: Annotated[str | None, Query(pattern="^(day|week|month|)$")] = None,
    normalize: Annotated[bool, Query(description="Shares of the outlet's documents.")] = False,
    by: Annotated[str, Query(pattern="^(all|outlet)$")] = "all",
    top: Annotated[int, Query(ge=1, le=20)] = 8,
) -> web_attention.AttentionParams:
    """The attention request: a search's parameters and how to count its matches over time."""
    return web_attention.AttentionParams(
        search, compare or None, like, interval or None, normalize, by, top
    )


AttentionQuery = Annotated[web_attention.AttentionParams, Depends(attention_params)]


def attention_of(request: Request, params: web_attention.AttentionParams) -> Any:
    """Attention over time for a page or the API (the encoder only for "like")."""
    encoder = request.app.state.encoder if params.like else None
    return web_attention.view(store_of(request), params, encoder=encoder)


@router.get("/dashboard", summary="Corpus counts and overview panels", response_model=None)
def dashboard(request: Request, outlet: str | None = None) -> Response:
    board = dashboard_of(request, outlet)
    if "json" not in board.rendered:  # the cached dashboard is serialised once
        board.rendered["json"] = json.dumps(board.json(), ensure_ascii=False).encode()
    return Response(board.rendered["json"], media_type="application/json")


def dashboard_of(request: Request, outlet: str | None) -> Dashboard:
    """The dashboard a page or the API asked for, from the app's cache when the store is unchanged."""
    return request.app.state.dashboards.get(store_of(request), outlet=outlet or None)


def json_response(data: dict[str, Any]) -> Response:
    """`data` as a JSON response, serialised in the worker thread that made it.

    Returned as a dict, FastAPI would validate it against `dict[str, Any]` in a second trip
    through the thread pool and serialise it on the event loop: a share of the CPU of the
    API's busiest routes, and of their waiting under load (#17).
    """
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, media_type="application/json")


@router.get(
    "/documents/{doc_id}",
    summary="One article with every annotation (the reader)",
    response_model=None,
)
def document(request: Request, doc_id: str) -> Response:
    return json_response(
        queries.reader(store_of(request), request.app.state.definitions, doc_id).json()
    )


@router.get(
    "/search",
    summary="Search with facets; one page, `next_cursor` for the next",
    response_model=None,
)
def search(request: Request, params: Search) -> Response:
    return json_response(web_search.search_json(search_of(request, params)))


def search_of(request: Request, params: SearchQuery) -> SearchPage:
    """The search a page or the API asked for, through the app's cache of recent searches."""
    return web_search.search(store_of(request), params, cache=request.app.state.searches)


@router.get("/search/download", summary="Every result of a search, streamed as CSV or JSONL")
def search_download(
    request: Request,
    params: Search,
    format: Annotated[str, Query(pattern="^(csv|jsonl)$")] = "csv",
) -> StreamingResponse:
    store = store_of(request)
    web_search.search(store, params)  # a bad cursor fails here, before streaming starts
    return download(web_search.all_results(store, params), fmt=format, name="narrascope-search")


@router.get("/attention", summary="A search's matching documents per day, week or month")
def attention(request: Request, params: AttentionQuery) -> dict[str, Any]:
    return web_attention.json(attention_of(request, params))


@router.get("/attention/download", summary="Attention over time, every bucket, as CSV or JSONL")
def attention_download(
    request: Request,
    params: AttentionQuery,
    format: Annotated[str, Query(pattern="^(csv|jsonl)$")] = "csv",
) -> StreamingResponse:
    found = attention_of(request, params)
    return download(web_attention.rows(found), fmt=format, name="narrascope-attention")


@router.get("/outlets", summary="Every outlet with its counts (corpus view)")
def outlets(request: Request) -> dict[str, Any]:
    return queries.outlets(store_of(request)).json()


@router.get("/outlets/{name:path}", summary="An outlet's profile and latest documents")
def outlet(request: Request, name: str) -> dict[str, Any]:
    return queries.outlet(store_of(request), name).json()


@router.get("/entities/{entity_id}", summary="Where an entity is quoted and how it is cast")
def entity(request: Request, entity_id: str) -> dict[str, Any]:
    return queries.entity(store_of(request), entity_id).json()


@router.get("/storylines", summary="Storylines sorted by outlets, size, first seen or growth")
def storylines(request: Request, params: web_storylines.ListQuery) -> dict[str, Any]:
    return web_storylines.listing(store_of(request), params).json()


@router.get("/storylines/{storyline_id}", summary="One storyline with its member sentences")
def storyline(request: Request, storyline_id: str) -> dict[str, Any]:
    return web_storylines.detail(store_of(request), storyline_id).json()


@router.get(
    "/storylines/{storyline_id}/download", summary="A storyline's sentences as CSV or JSONL"
)
def storyline_download(
    request: Request,
    storyline_id: str,
    format: Annotated[str, Query(pattern="^(csv|jsonl)$")] = "csv",
) -> StreamingResponse:
    panel = queries.storyline(store_of(request), storyline_id)
    if not panel.ok:
        raise queries.NotFound(panel.missing)
    rows = export_rows(panel.data, "storyline_members")
    return download(rows, fmt=format, name=f"narrascope-storyline-{storyline_id}")


@router.get("/similar", summary="Stored sentences most like a sentence of a document, or a text")
def similar(
    request: Request,
    doc_id: Annotated[str | None, Query(max_length=16)] = None,
    sentence: Annotated[int | None, Query(ge=0)] = None,
    q: Annotated[str, Query(max_length=2000)] = "",
    k: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    return similar_query(request, doc_id, sentence, q, k).json()


def similar_query(
    request: Request, doc_id: str | None, sentence: int | None, q: str, k: int
) -> queries.Similar:
    """The similar-sentence search a page or the API asked for (the encoder only for texts)."""
    encoder = request.app.state.encoder if not (doc_id and sentence is not None) else None
    return queries.similar(
        store_of(request), doc_id=doc_id, sentence=sentence, text=q, k=k, encoder=encoder
    )


@router.get("/panels/{name}/download", summary="A dashboard panel's rows as CSV or JSONL")
def panel_download(
    request: Request, name: str, format: Annotated[str, Query(pattern="^(csv|jsonl)$")] = "csv"
) -> StreamingResponse:
    if name not in PANELS:
        raise queries.NotFound(f"no panel {name!r}")
    panel = dashboard_of(request, None).panels[name]
    if not panel.ok:
        raise queries.NotFound(f"{name}: {panel.missing}")
    rows = export_rows(panel.data, name)
    return download(rows, fmt=format, name=f"narrascope-{name}")


ANALYZE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string", "description": "Pasted article text."},
                        "url": {"type": "string", "description": "An http(s) article URL."},
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "HTML, text, WARC, feed, JSONL or CSV files.",
                        },
                    },
                }
            }
        },
    }
}


async def read_analyze_form(request: Request) -> tuple[str, str, list[analysis.Upload]]:
    """The Analyze form's text, URL and files, refusing anything over the caps (413/411)."""
    limits: analysis.Limits = request.app.state.limits
    length = request.headers.get("content-length")
    if length is None:
        raise AnalyzeRefused(411, "a Content-Length header is required")
    if not length.isdigit() or int(length) > limits.max_total_bytes + 1_000_000:
        raise AnalyzeRefused(413, f"request larger than {limits.max_total_bytes} bytes")
    try:
        form = await request.form(
            max_files=limits.max_files, max_fields=10, max_part_size=4 * limits.max_text_chars
        )
    except Exception as exc:  # starlette raises its own HTTPException/MultiPartException here
        raise AnalyzeRefused(
            413 if "Too many" in str(exc) else 400, str(getattr(exc, "detail", exc))
        ) from exc
    uploads = []
    for item in form.getlist("files"):
        if isinstance(item, str):
            continue
        data = await item.read(limits.max_file_bytes + 1)
        if data or item.filename:
            uploads.append(analysis.Upload(item.filename or "upload", data))
    text, url = form.get("text") or "", form.get("url") or ""
    await form.close()
    return (text if isinstance(text, str) else ""), (url if isinstance(url, str) else ""), uploads


class AnalyzeRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


async def run_analysis(request: Request) -> analysis.Outcome:
    """Parse the form and run the pipeline on it in a worker thread, one analysis at a time."""
    text, url, uploads = await read_analyze_form(request)
    holder = request.app.state.analysis

    def work() -> analysis.Outcome:
        with holder.lock:
            return analysis.run(
                store_of(request),
                holder.get(),
                text=text,
                url=url,
                uploads=uploads,
                limits=request.app.state.limits,
                allow_private=request.app.state.allow_private,
            )

    try:
        return await run_in_threadpool(work)
    except analysis.TooLarge as exc:
        raise AnalyzeRefused(413, str(exc)) from exc
    except ValueError as exc:
        raise AnalyzeRefused(400, str(exc)) from exc


@router.post(
    "/analyze", summary="Analyze pasted text, a URL or uploaded files", openapi_extra=ANALYZE_BODY
)
async def analyze(request: Request) -> dict[str, Any]:
    outcome = await run_analysis(request)
    store = store_of(request)
    docs = [store.document(i) for i in outcome.doc_ids]
    return {
        "documents": [queries.summary(d) for d in docs if d is not None],
        "problems": [{"source": s, "reason": r} for s, r in outcome.problems],
    }
