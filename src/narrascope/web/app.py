"""The FastAPI app: pages and `/api/v1` over one store, with the security around them.

`create_app(db)` opens the store once and wires the routers (`pages`, `api`), the static
assets, a strict Content-Security-Policy, a Host check against DNS rebinding, a same-origin
check on form posts, and an optional token (required by `serve` off loopback).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import secrets
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import anyio
import anyio.to_thread
import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from narrascope.corpus.search import OtherEncoder
from narrascope.run import DocumentAnalysis
from narrascope.store import Store
from narrascope.web.analyze import Limits
from narrascope.web.api import AnalyzeRefused
from narrascope.web.dashboard import DashboardCache
from narrascope.web.definitions import Definitions
from narrascope.web.queries import BadRequest, NotFound, safe_url
from narrascope.web.search import SearchCache, highlight_parts
from narrascope.web.users import Role, Users

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
# Requests a server process handles at once in worker threads (starlette's default is 40).
# Threads of one process take turns at one interpreter lock: on 2 cores, 8 clients and 40
# threads, a 6 ms page waited ~190 ms at p95 for its turns; with 2 threads the others queue
# in order and it waited ~75 ms (benchmarks/RESULTS.md, issue 17). An analysis holds one thread
# (one at a time), so reads always keep one.
THREADS = 2
TOKEN_COOKIE = "narrascope_token"  # noqa: S105 - the cookie's name, not a secret
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class AnalysisHolder:
    """Builds the pipeline's `DocumentAnalysis` (models loaded) on first use, once, and keeps it."""

    def __init__(self, factory: Callable[[], DocumentAnalysis]) -> None:
        self.factory = factory
        self._analysis: DocumentAnalysis | None = None
        self.lock = threading.Lock()  # also serialises analyses: one at a time on a laptop

    def get(self) -> DocumentAnalysis:
        if self._analysis is None:
            self._analysis = self.factory()
        return self._analysis


def default_analysis(only: Sequence[str] | None = None) -> DocumentAnalysis:
    """Every available analyzer (or `only` these), loaded, as `narrascope analyze` runs them."""
    from narrascope.run import load_analysis

    return load_analysis(only)


def templates() -> Jinja2Templates:
    """The page templates, autoescaped, with the few filters they use."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["highlight"] = highlight_parts
    env.filters["label"] = lambda value: str(value).replace("_", " ")
    env.filters["score"] = lambda value: f"{float(value):.2f}"
    env.filters["day"] = lambda value: str(value)[:10] if value else "undated"
    return Jinja2Templates(env=env)


def create_app(
    db: str | Path,
    *,
    token: str | None = None,
    allowed_hosts: Sequence[str] | None = None,
    analysis: Callable[[], DocumentAnalysis] | None = None,
    limits: Limits | None = None,
    allow_private: bool = False,
    create: bool = True,
    users: Users | None = None,
    threads: int = THREADS,
) -> FastAPI:
    """The web app over the database `db`.

    `create`: make or migrate the database if needed (`serve` passes False: it only opens one).
    `token`: when given, every request must carry it (`Authorization: Bearer`, the cookie a
    `?token=` visit sets). `allowed_hosts`: Host header values accepted (None: any, for tests
    and reverse proxies). `analysis`: builds the models the Analyze page runs (default: all).
    `users`: when given, every request needs one of their tokens, and only reviewers write.
    `threads`: requests handled at once in worker threads (`THREADS`).
    """
    store = Store.open(db, create=create)

    @asynccontextmanager
    async def lifespan(started: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        started.state.writes = anyio.CapacityLimiter(1)  # corrections: a thread of their own
        yield
        store.close()

    app = FastAPI(
        title="Narrascope",
        version="1",
        description="Techniques, narratives, roles, quotes, claims and copies of a news corpus.",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI would load scripts from a CDN; the schema is at /api/v1/openapi.json
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.store = store
    app.state.definitions = Definitions.load()
    app.state.templates = templates()
    app.state.analysis = AnalysisHolder(analysis or default_analysis)
    app.state.limits = limits or Limits()
    app.state.dashboards = DashboardCache()
    app.state.searches = SearchCache()
    from narrascope.encode import default_encoder

    app.state.encoder = default_encoder()  # loads its model on the first text query only
    app.state.allow_private = allow_private

    _guard(app, token=token, allowed_hosts=allowed_hosts, users=users)
    _errors(app)
    from narrascope.web import api, pages, review

    app.include_router(review.router)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(HeadAsGet)
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, message: str) -> Response:
    """`{"error": message}` for the API, an error page for a browser."""
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status, headers=SECURITY_HEADERS)
    page = request.app.state.templates.TemplateResponse(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )
    page.headers.update(SECURITY_HEADERS)
    return page


def _errors(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "body"))
            parts.append(f"{where}: {e.get('msg', 'invalid')}")
        return error_response(request, 422, "; ".join(parts) or "invalid request")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return error_response(request, 404, str(exc))

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest) -> Response:
        return error_response(request, 400, str(exc))

    @app.exception_handler(OtherEncoder)
    async def other_encoder(request: Request, exc: OtherEncoder) -> Response:
        # The database cannot answer this server's "by meaning" queries: a conflict with the
        # stored data, not a bad request and not a crash (was a 500, #17).
        return error_response(request, 409, str(exc))

    @app.exception_handler(AnalyzeRefused)
    async def refused(request: Request, exc: AnalyzeRefused) -> Response:
        return error_response(request, exc.status, exc.message)


def _same_origin(request: Request) -> bool:
    """Whether a state-changing request comes from our own pages (no cross-site form posts).

    Browsers say where a request comes from in `Sec-Fetch-Site`; older ones in `Origin`.
    Clients that send neither (curl, scripts) are not browsers a foreign page could drive.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _guard(
    app: FastAPI,
    *,
    token: str | None,
    allowed_hosts: Sequence[str] | None,
    users: Users | None = None,
) -> None:
    hosts = {h.lower() for h in allowed_hosts} if allowed_hosts is not None else None
    app.add_middleware(Guard, hosts=hosts, token=token, users=users)


class Guard:
    """The Host check, the token or user check, the same-origin check on writes, and the
    security headers on every response.

    A plain ASGI middleware: as `@app.middleware("http")` it ran each request as a task of
    its own behind a response stream, a share of the CPU of a cached page (#17).
    """

    def __init__(
        self, app: Any, *, hosts: set[str] | None, token: str | None, users: Users | None
    ) -> None:
        self.app, self.hosts, self.token, self.users = app, hosts, token, users

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refused = self.refusal(request)
        if refused is not None:
            await refused(scope, receive, send)
            return

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(SECURITY_HEADERS)
            await send(message)

        await self.app(scope, receive, with_headers)

    def refusal(self, request: Request) -> Response | None:
        """The response that turns this request away (or moves its token to a cookie), or None
        to let it through; the user a token names goes to `request.state.user`."""
        host = request.headers.get("host", "").lower()
        hosts, token, users = self.hosts, self.token, self.users
        if hosts is not None and host not in hosts and host.rsplit(":", 1)[0] not in hosts:
            return error_response(request, 421, f"unexpected Host header {host[:100]!r}")
        if token is not None or users is not None:
            given = request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE) or ""
            auth = request.headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                given = auth[7:].strip()
            user = users.find(given) if users is not None and given else None
            if users is not None and user is None:
                return error_response(request, 401, "a valid user token is required (?token=…)")
            if users is None and not secrets.compare_digest(given.encode(), str(token).encode()):
                return error_response(request, 401, "a valid token is required (?token=…)")
            if user is not None:
                request.state.user = user
                if request.method not in ("GET", "HEAD", "OPTIONS") and user.role < Role.REVIEWER:
                    return error_response(
                        request, 403, f"{user.name} is a reader: readers cannot write"
                    )
            if request.query_params.get("token") and request.method == "GET":
                # Move the token from the URL into a cookie, so it leaves no trace in history.
                query = urlencode(
                    [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                )
                target = request.url.path + (f"?{query}" if query else "")
                response: Response = RedirectResponse(target, status_code=303)
                response.set_cookie(TOKEN_COOKIE, given, httponly=True, samesite="strict", path="/")
                response.headers.update(SECURITY_HEADERS)
                return response
        if request.method not in ("GET", "HEAD", "OPTIONS") and not _same_origin(request):
            return error_response(request, 403, "cross-site request refused")
        return None


def is_loopback(host: str) -> bool:
    """Whether binding to `host` keeps the server on this machine."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def access(host: str, token: str | None) -> tuple[str | None, list[str] | None]:
    """The token and allowed Host headers for binding to `host`.

    On loopback: no token unless given, and only loopback Host names (DNS rebinding cannot
    reach the app). Elsewhere: a token always (a random one when none is given), any Host.
    """
    if token is not None and not token.strip():  # "" used to turn the check off (#18)
        raise ValueError("an empty token would let anyone in: give a real one, or none")
    if is_loopback(host):
        return token, ["127.0.0.1", "localhost", "[::1]", "::1", host]
    return token or secrets.token_urlsafe(24), None


class HeadAsGet:
    """Answer `HEAD` wherever `GET` is answered: the same status and headers, no body (#18).

    Link checkers and uptime probes send `HEAD /`; the routes are declared for GET only.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app(dict(scope, method="GET"), receive, headers_only)


WORKER_CONFIG = "NARRASCOPE_SERVE_WORKER"
"""The environment variable through which `serve --workers` configures its worker processes."""


def worker_app() -> FastAPI:
    """The app of one worker process of `serve(workers=N)`, as its parent configured it."""
    config = json.loads(os.environ[WORKER_CONFIG])
    users = Users.load(Path(config["users"])) if config["users"] else None
    return create_app(
        config["db"],
        token=config["token"],
        allowed_hosts=config["allowed"],
        create=False,
        users=users,
        threads=config["threads"],
    )


def serve(
    db: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    on_ready: Callable[[str], None] | None = None,
    users_file: Path | None = None,
    workers: int = 1,
    threads: int | None = None,
) -> None:
    """Run the web app with uvicorn; off loopback a token is required (one is made if not given).

    With `users_file`, each user signs in with their own token and their role decides what
    they may do; no shared token is made. `workers` > 1 runs that many processes on one
    port (a team on a machine with as many cores: one Python process uses one core at a
    time); each keeps its own caches and runs at most one analysis at a time. `threads`:
    requests each process handles at once (None: `THREADS`).
    """
    import uvicorn

    threads = threads or THREADS
    users = Users.load(users_file) if users_file is not None else None
    token, allowed = access(host, token) if users is None else (None, access(host, None)[1])
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    if workers > 1:
        config = {
            "db": str(db),
            "token": token,
            "allowed": allowed,
            "users": users_file,
            "threads": threads,
        }
        os.environ[WORKER_CONFIG] = json.dumps(config, default=str)
        if on_ready:
            on_ready(url)
        uvicorn.run(
            "narrascope.web.app:worker_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="warning",
        )
        return
    app = create_app(
        db, token=token, allowed_hosts=allowed, create=False, users=users, threads=threads
    )
    if on_ready:
        on_ready(url)
    uvicorn.run(app, host=host, port=port, log_level="warning")
