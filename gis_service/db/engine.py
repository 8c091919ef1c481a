"""Database URL resolution and the process-wide engine."""

from __future__ import annotations

import json
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from gis_service.config import Settings


def database_url(settings: Settings) -> str:
    """``DATABASE_URL`` if set, else the project-local cluster's URL (port from its state);
    ``settings``: the front end's (API, CLI, notebook)."""
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


POOL_TIMEOUT_S = 5.0  # a request waiting longer for a connection gets 503 (api.errors)
# SQLSTATEs after which a connection is thrown away instead of going back to the pool:
# read_only_sql_transaction (a database or server switched read-only keeps its sessions
# read-only after it is writable again), admin/crash shutdown, cannot connect now
DISCARD_SQLSTATES = frozenset({"25006", "57P01", "57P02", "57P03"})


def make_engine(url: str) -> Engine:
    # pre-ping: a restarted database is noticed on the next checkout instead of a 500
    engine = create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_timeout=POOL_TIMEOUT_S
    )
    event.listen(engine, "handle_error", _discard_stale)
    return engine


def _discard_stale(context) -> None:
    """Errors that poison a session count as a disconnect: SQLAlchemy then invalidates the
    connection and the pool (every pooled connection is replaced on its next checkout)."""
    if getattr(context.original_exception, "pgcode", None) in DISCARD_SQLSTATES:
        context.is_disconnect = True


@lru_cache
def get_engine(url: str) -> Engine:
    """One engine (one pool) per database URL in the process; the front ends pass the URL of
    their settings (``database_url``)."""
    return make_engine(url)
