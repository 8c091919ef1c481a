"""Server-level chores: create or drop a database, check that PostGIS is there."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from gis_service.errors import DatabaseUnavailableError


def _maintenance_engine(url: str):
    return create_engine(
        make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT", pool_size=1
    )


def ensure_database(url: str, *, fresh: bool = False) -> None:
    """Create the database named in ``url`` (dropping it first when ``fresh``)."""
    name = make_url(url).database
    engine = _maintenance_engine(url)
    try:
        with engine.connect() as conn:
            if fresh:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        raise DatabaseUnavailableError(
            f"cannot reach PostgreSQL at {_safe(url)}: {exc.orig}"
        ) from None
    finally:
        engine.dispose()


def drop_database(url: str) -> None:
    name = make_url(url).database
    engine = _maintenance_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def postgis_version(url: str) -> str:
    """PostGIS's full version string; installs the extension when the role may."""
    engine = create_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            return conn.execute(text("SELECT postgis_full_version()")).scalar_one()
    except OperationalError as exc:
        raise DatabaseUnavailableError(
            f"cannot reach PostgreSQL at {_safe(url)}: {exc.orig}"
        ) from None
    finally:
        engine.dispose()


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
