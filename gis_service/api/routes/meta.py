"""Landing page, health and the database summary."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from gis_service import __version__
from gis_service.api.deps import ConnDep
from gis_service.db.engine import get_engine
from gis_service.services.summary import database_summary

router = APIRouter(tags=["service"])


@router.get("/", summary="Service entry point")
def root(request: Request) -> dict:
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
        ],
    }


HEALTH_TIMEOUT_S = 3.0
HEALTH_CACHE_S = 1.0
_health_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="health")


@router.get("/health", summary="Liveness and database check")
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
        engine = state.engine or get_engine()
        state.health_engine = create_engine(engine.url, poolclass=NullPool)
    loop = asyncio.get_running_loop()
    try:
        version = await asyncio.wait_for(
            loop.run_in_executor(_health_pool, _postgis_version, state.health_engine),
            HEALTH_TIMEOUT_S,
        )
        answer = ({"status": "ok", "postgis": version}, 200)
    except (TimeoutError, SQLAlchemyError):
        answer = ({"detail": "the database is unavailable; try again shortly"}, 503)
    state.health = (now, *answer)
    headers = {"Retry-After": "5"} if answer[1] == 503 else None
    return JSONResponse(answer[0], status_code=answer[1], headers=headers)


def _postgis_version(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT postgis_lib_version()")).scalar_one()


@router.get("/summary", summary="Counts of regions per level, water bodies, chiefs and posts")
def summary(conn: ConnDep) -> dict:
    return database_summary(conn)
