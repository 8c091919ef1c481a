"""The one table mapping domain errors to HTTP status codes; every error body is JSON."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError

from gis_service.errors import (
    DatabaseUnavailableError,
    GisServiceError,
    InputError,
    NotFoundError,
)

STATUS: dict[type[GisServiceError], int] = {
    InputError: 400,
    NotFoundError: 404,
    DatabaseUnavailableError: 503,
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GisServiceError)
    async def _domain(_: Request, exc: GisServiceError) -> JSONResponse:
        status = next((s for t, s in STATUS.items() if isinstance(exc, t)), 500)
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(OperationalError)
    async def _db_down(_: Request, exc: DBAPIError) -> JSONResponse:
        return JSONResponse(
            {"detail": "the database is unavailable; try again shortly"}, status_code=503
        )
