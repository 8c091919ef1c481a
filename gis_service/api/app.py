"""FastAPI application factory."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI
from sqlalchemy import Connection, Engine, text

from gis_service import __version__
from gis_service.api.errors import install_error_handlers
from gis_service.db.engine import get_engine
from gis_service.services.summary import database_summary


def create_app(engine: Engine | None = None) -> FastAPI:
    app = FastAPI(
        title="河湖长制 GIS service",
        version=__version__,
        description="Responsibility zoning, patrol validation, coverage audits and maps for "
        "the River and Lake Chief System (河湖长制).",
    )
    app.state.engine = engine
    install_error_handlers(app)

    def connection() -> Connection:
        eng = app.state.engine or get_engine()
        with eng.connect() as conn:
            yield conn

    ConnDep = Annotated[Connection, Depends(connection)]

    @app.get("/", summary="Service entry point")
    def root() -> dict:
        return {
            "title": app.title,
            "version": __version__,
            "links": [
                {"rel": "service-doc", "href": "/docs", "title": "interactive API docs"},
                {"rel": "service-desc", "href": "/openapi.json"},
                {"rel": "summary", "href": "/summary", "title": "what the database holds"},
                {"rel": "health", "href": "/health"},
            ],
        }

    @app.get("/health", summary="Liveness and database check")
    def health(conn: ConnDep) -> dict:
        version = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
        return {"status": "ok", "postgis": version}

    @app.get("/summary", summary="Counts of regions per level, water bodies, chiefs and posts")
    def summary(conn: ConnDep) -> dict:
        return database_summary(conn)

    return app
