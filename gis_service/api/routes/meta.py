"""Landing page (the portal for browsers, links for programs), health, database summary."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from gis_service import __version__
from gis_service.api.deps import ConnDep, TimezoneDep, app_engine
from gis_service.api.negotiate import prefers_html
from gis_service.api.params import REGION_PATTERN
from gis_service.api.schemas.meta import DatabaseSummary, Health, Landing
from gis_service.config import local_today
from gis_service.db.meta_store import postgis_version
from gis_service.errors import InputError
from gis_service.services.portal import portal_view
from gis_service.services.summary import database_summary
from gis_service.web.portal import portal_html

router = APIRouter(tags=["service"])


@router.get(
    "/",
    summary="Service entry point: the map portal for browsers, links (JSON) for programs",
    response_model=Landing,
    responses={200: {"content": {"text/html": {}, "application/json": {}}}},
)
def root(
    request: Request,
    conn: ConnDep,
    tz: TimezoneDep,
    region: Annotated[
        str | None, Query(pattern=REGION_PATTERN, description="portal: the chosen region")
    ] = None,
    period: Annotated[
        str | None, Query(max_length=12, description="portal: the chosen period (2026-Q3)")
    ] = None,
    f: Annotated[
        Literal["html", "json"] | None,
        Query(description="html or json (default: by the Accept header)"),
    ] = None,
):
    html = prefers_html(request.headers.get("accept")) if f is None else f == "html"
    if not html:
        if region or period:
            raise InputError("region and period choose what the portal page shows: add f=html")
        return JSONResponse(_links(request), headers={"Vary": "Accept"})
    today = local_today(tz)
    view = portal_view(conn, region=region, period=period, today=today, timezone=tz)
    page = portal_html(view, title=request.app.title, version=__version__)
    return HTMLResponse(page, headers={"Vary": "Accept"})


@router.get("/maps", include_in_schema=False)
def maps_index() -> RedirectResponse:
    """The maps start at the portal (region and period first)."""
    return RedirectResponse("/", status_code=303)


def _links(request: Request) -> dict:
    return {
        "title": request.app.title,
        "version": __version__,
        "links": [
            {"rel": "service-doc", "href": "/docs", "title": "interactive API docs"},
            {"rel": "service-desc", "href": "/openapi.json"},
            {"rel": "data", "href": "/collections", "title": "feature collections (OGC API)"},
            {"rel": "conformance", "href": "/conformance"},
            {"rel": "summary", "href": "/summary", "title": "what the database holds"},
            {"rel": "health", "href": "/health"},
            {"rel": "alternate", "href": "/?f=html", "type": "text/html", "title": "map portal"},
        ],
    }


HEALTH_TIMEOUT_S = 3.0
HEALTH_CACHE_S = 1.0
_health_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="health")


@router.get("/health", response_model=Health, summary="Liveness and database check")
async def health(request: Request) -> JSONResponse:
    """Answered on a path of its own: a connection outside the request pool, made in a
    thread of its own (busy map renders and uploads queue elsewhere), the answer kept for a
    second so a flood of checks costs one query."""
    state = request.app.state
    now = time.monotonic()
    cached = getattr(state, "health", None)
    if cached is not None and now - cached[0] < HEALTH_CACHE_S:
        return JSONResponse(cached[1], status_code=cached[2])
    if getattr(state, "health_engine", None) is None:
        engine = app_engine(request.app)
        state.health_engine = create_engine(engine.url, poolclass=NullPool)
    loop = asyncio.get_running_loop()
    try:
        version = await asyncio.wait_for(
            loop.run_in_executor(_health_pool, postgis_version, state.health_engine),
            HEALTH_TIMEOUT_S,
        )
        answer = ({"status": "ok", "postgis": version}, 200)
    except (TimeoutError, SQLAlchemyError):
        answer = ({"detail": "the database is unavailable; try again shortly"}, 503)
    state.health = (now, *answer)
    headers = {"Retry-After": "5"} if answer[1] == 503 else None
    return JSONResponse(answer[0], status_code=answer[1], headers=headers)


@router.get(
    "/summary",
    response_model=DatabaseSummary,
    summary="Counts of regions per level, water bodies, chiefs and posts",
)
def summary(conn: ConnDep) -> DatabaseSummary:
    return database_summary(conn)
