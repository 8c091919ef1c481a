"""The one table mapping domain errors to HTTP status codes; every error body is JSON."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from gis_service.db.engine import DISCARD_SQLSTATES
from gis_service.errors import (
    AuthenticationError,
    ConflictError,
    DatabaseUnavailableError,
    GisServiceError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    ToolUnavailableError,
    WorkerLostError,
)

log = logging.getLogger(__name__)

STATUS: dict[type[GisServiceError], int] = {
    InputError: 400,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    DatabaseUnavailableError: 503,
    ToolUnavailableError: 503,
    WorkerLostError: 503,
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GisServiceError)
    async def _domain(_: Request, exc: GisServiceError) -> JSONResponse:
        status = next((s for t, s in STATUS.items() if isinstance(exc, t)), 500)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, WorkerLostError):
            headers = {"Retry-After": "1"}
        return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)

    async def _db_down(_: Request, exc: Exception) -> JSONResponse:
        # registered for OperationalError and InterfaceError only (Starlette types handlers
        # as taking any Exception): log the driver's own message
        log.warning("database unavailable: %s", exc.orig if isinstance(exc, DBAPIError) else exc)
        return JSONResponse(
            {"detail": "the database is unavailable; try again shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    app.add_exception_handler(OperationalError, _db_down)
    app.add_exception_handler(InterfaceError, _db_down)

    async def _busy(_: Request, exc: Exception) -> JSONResponse:
        # every pooled connection in use for longer than the pool's timeout: overloaded,
        # not broken (a 500 would tell clients not to retry)
        log.warning("database connection pool exhausted: %s", exc)
        return JSONResponse(
            {"detail": "the service is busy; try again shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    app.add_exception_handler(PoolTimeout, _busy)

    @app.exception_handler(DBAPIError)
    async def _db_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if getattr(exc.orig, "pgcode", None) in DISCARD_SQLSTATES:
            # read-only or shutting down: the database refuses writes for now (the
            # connection was discarded, see db.engine)
            return await _db_down(request, exc)
        return await _unexpected(request, exc)

    @app.exception_handler(ValueError)
    async def _value(request: Request, exc: ValueError) -> JSONResponse:
        # PostgreSQL text cannot hold NUL; psycopg2 refuses it before sending: bad input
        if "NUL (0x00)" in str(exc):
            return JSONResponse(
                {"detail": "text must not contain NUL (0x00) characters"}, status_code=400
            )
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)
