"""Database URL resolution and the process-wide engine."""

from __future__ import annotations

import json
from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from gis_service.config import Settings, get_settings


def database_url(settings: Settings | None = None) -> str:
    """``DATABASE_URL`` if set, else the project-local cluster's URL (port from its state)."""
    settings = settings or get_settings()
    if settings.database_url:
        url = make_url(settings.database_url)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg2")
        return url.render_as_string(hide_password=False)
    port = settings.local_db_port
    state = settings.local_dir / "cluster.json"
    if state.exists():
        port = json.loads(state.read_text())["port"]
    return (
        f"postgresql+psycopg2://{settings.local_db_user}@127.0.0.1:{port}/{settings.local_db_name}"
    )


def with_database(url: str, dbname: str) -> str:
    """The same server with another database name (tests use ``<name>_test``)."""
    return make_url(url).set(database=dbname).render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    # pre-ping: a restarted database is noticed on the next checkout instead of a 500
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


@lru_cache
def get_engine(url: str | None = None) -> Engine:
    return make_engine(url or database_url())
