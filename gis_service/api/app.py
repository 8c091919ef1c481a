"""FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from gis_service import __version__
from gis_service.api.auth import get_principal
from gis_service.api.deps import app_engine, app_settings_of
from gis_service.api.errors import install_error_handlers
from gis_service.api.guard import Limits, WriteGuard
from gis_service.api.head import HeadAsGet
from gis_service.api.ingest import ingest_for
from gis_service.api.links import redact_access_log
from gis_service.api.middleware import WriteLog
from gis_service.api.routes import (
    accountability,
    audit,
    collections,
    docs,
    maps,
    meta,
    patrols,
    plans,
    point_sources,
    problems,
    roster,
    signboards,
    tiles,
    water_quality,
    zoning,
)
from gis_service.config import Settings, get_settings
from gis_service.maps.vendor import DOCS_VENDOR_DIR, VENDOR_DIR
from gis_service.services.signboards import configured_signboard_rules


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    redact_access_log()
    settings = app_settings_of(app)
    ingest = app.state.ingest = ingest_for(
        app_engine(app), settings.ingest_processes, settings.assignment_share_dir
    )
    await ingest.start()
    try:
        yield
    finally:
        app.state.ingest = None
        await ingest.close()


def _limits(settings: Settings) -> Limits:
    """The write guard's limits: the body ceiling, and the public reports' (signboard rules)."""
    rules = configured_signboard_rules(settings.signboard_rules_file)
    return Limits(
        max_body_bytes=settings.max_body_bytes,
        report_photo_bytes=rules.max_photo_bytes,
        reports_per_client=(rules.per_client, float(rules.client_window_s)),
        reports_per_board=(rules.per_board, float(rules.board_window_s)),
        trusted_proxies=frozenset(
            p.strip() for p in settings.trusted_proxies.split(",") if p.strip()
        ),
    )


def create_app(engine: Engine | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app; ``engine`` defaults to the configured database (tests pass their own).

    ``settings``: the one settings object every route passes down (``api.deps.SettingsDep``);
    without it the environment's are read (``get_settings``, cached)."""
    app = FastAPI(
        title="河湖长制 GIS service",
        version=__version__,
        description="Responsibility zoning, patrol validation, coverage audits and maps for "
        "the River and Lake Chief System (河湖长制).",
        # every request: a token, if sent, must be valid (cached per request for the routes)
        dependencies=[Depends(get_principal)],
        lifespan=_lifespan,
        # /docs and /redoc with the app's own Swagger UI and ReDoc (routes/docs.py)
        docs_url=None,
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.ingest = None  # made at start-up (api.ingest)
    # tokens never reach the access log (installed again at start-up: a server configuring
    # its logging after the app was built keeps the filters of existing loggers)
    redact_access_log()
    install_error_handlers(app)
    app.include_router(meta.router)
    app.include_router(docs.router)
    app.include_router(zoning.router)
    app.include_router(patrols.router)
    app.include_router(audit.router)
    app.include_router(problems.router)
    app.include_router(accountability.router)
    app.include_router(collections.router)
    app.include_router(roster.router)
    app.include_router(maps.router)
    app.include_router(tiles.router)
    app.include_router(water_quality.router)
    app.include_router(point_sources.router)
    app.include_router(plans.router)
    app.include_router(signboards.router)
    # the maps' JS/CSS, served by the app itself for offline intranets
    app.mount("/static/vendor", StaticFiles(directory=VENDOR_DIR), name="vendor")
    # inner to outer: the write guard (token, per-user concurrency, body caps and deadlines,
    # then the body read whole before the route takes a connection), the write log around it
    # (refused writes are logged too)
    app.add_middleware(WriteGuard, limits=_limits(settings or get_settings()))
    # Swagger UI and ReDoc for /docs and /redoc (routes/docs.py), never from a CDN
    app.mount("/static/docs", StaticFiles(directory=DOCS_VENDOR_DIR), name="docs-vendor")
    app.add_middleware(WriteLog)
    app.add_middleware(HeadAsGet)  # outermost: HEAD is a GET without its body, for every route
    return app
