"""Which database the notebook API talks to: a module-level default or an explicit engine.

A notebook calls :func:`connect` once; every other function then takes an optional
``engine=`` (an Engine, or a Connection when the caller manages the transaction, as tests do).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url

from gis_service.config import Settings, get_settings
from gis_service.db import admin, migrate
from gis_service.db.engine import database_url, get_engine, with_database
from gis_service.db.session import atomic
from gis_service.errors import GisServiceError

Bind = Engine | Connection

_default: Engine | None = None


def settings() -> Settings:
    """The notebook's settings (the environment and ``.env``, read once): every notebook
    function passes what it needs of them (time zone, rules, calendar, maps) down."""
    return get_settings()


def configured_url() -> str:
    """The configured database's URL, also from a kernel started in a sub-folder.

    Jupyter runs a kernel in the notebook's folder (``notebooks/``), where the project-local
    cluster's state (``.gis-local/cluster.json``, which holds its port) is not: look for it
    in the parent folders and the project the package lives in.
    """
    own = settings()
    if own.database_url or (own.local_dir / "cluster.json").exists():
        return database_url(own)
    for folder in (*own.home.resolve().parents, migrate.PROJECT_ROOT):
        if (folder / ".gis-local" / "cluster.json").exists():
            return database_url(own.model_copy(update={"home": folder}))
    return database_url(own)


def resolve_url(target: str | None = None) -> str:
    """A full URL, or a database name on the configured server, or (None) the configured one."""
    if target is None:
        return configured_url()
    if "://" not in target:
        return with_database(configured_url(), target)
    url = make_url(target)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg2")
    return url.render_as_string(hide_password=False)


def connect(url: str | None = None, *, default: bool = True) -> Engine:
    """The engine of ``url`` (a URL or a database name; None: the configured database).

    With ``default`` (the usual case) it becomes the engine every other function uses.
    """
    global _default
    engine = get_engine(resolve_url(url))
    if default:
        _default = engine
    return engine


def current_engine() -> Engine:
    """The default engine, connecting to the configured database on first use."""
    return _default if _default is not None else connect()


@contextmanager
def reading(engine: Bind | None = None) -> Iterator[Connection]:
    """A connection for reads (the caller's own when a Connection is given)."""
    bind = engine if engine is not None else current_engine()
    if isinstance(bind, Connection):
        yield bind
        return
    with bind.connect() as conn:
        yield conn


@contextmanager
def writing(engine: Bind | None = None) -> Iterator[Connection]:
    """One transaction for a write: all of it or nothing (a savepoint in a caller's one)."""
    bind = engine if engine is not None else current_engine()
    if isinstance(bind, Connection):
        with atomic(bind):
            yield bind
        return
    with bind.begin() as conn:
        yield conn


def _same_database(a: str, b: str) -> bool:
    ua, ub = make_url(a), make_url(b)
    return (ua.host, ua.port, ua.database) == (ub.host, ub.port, ub.database)


def _refuse_main(url: str, action: str) -> None:
    if _same_database(url, configured_url()):
        raise GisServiceError(
            f"refusing to {action} the configured main database "
            f"({make_url(url).database}); name a scratch database instead"
        )


def create_database(target: str, *, fresh: bool = False, default: bool = True) -> Engine:
    """Create (``fresh``: re-create, empty) a database and migrate it; return its engine.

    For experiments that must not touch the main database: the main one is never emptied.
    """
    url = resolve_url(target)
    if fresh:
        _refuse_main(url, "empty")
        get_engine(url).dispose()  # pooled connections to the old database are gone
    admin.ensure_database(url, fresh=fresh)
    migrate.upgrade(url)
    return connect(url, default=default)


def drop_database(target: str) -> None:
    """Drop a scratch database (never the configured main one)."""
    global _default
    url = resolve_url(target)
    _refuse_main(url, "drop")
    engine = get_engine(url)
    engine.dispose()
    if _default is engine:
        _default = None
    admin.drop_database(url)
