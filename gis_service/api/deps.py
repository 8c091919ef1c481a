"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection

from gis_service.config import get_settings
from gis_service.db.engine import get_engine


def get_connection(request: Request) -> Iterator[Connection]:
    """One connection per request, from the app's engine (or the configured one)."""
    engine = request.app.state.engine or get_engine()
    with engine.connect() as conn:
        yield conn


ConnDep = Annotated[Connection, Depends(get_connection)]


def office_timezone() -> str:
    """The offices' time zone (GIS_TIMEZONE): every local date and naive time is read in it."""
    return get_settings().timezone


TimezoneDep = Annotated[str, Depends(office_timezone)]
