"""Landing page, health and the database summary."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text

from gis_service import __version__
from gis_service.api.deps import ConnDep
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


@router.get("/health", summary="Liveness and database check")
def health(conn: ConnDep) -> dict:
    version = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
    return {"status": "ok", "postgis": version}


@router.get("/summary", summary="Counts of regions per level, water bodies, chiefs and posts")
def summary(conn: ConnDep) -> dict:
    return database_summary(conn)
