"""Shared fixtures: a real PostGIS test database, migrated once, each test in a transaction.

The server is the one ``./manage.sh test`` prepared (project-local cluster, or DATABASE_URL).
Tests never touch the main database: they use ``<name>_test``, created fresh per session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from gis_service.config import get_settings
from gis_service.db import admin, migrate
from gis_service.db.engine import database_url, with_database
from gis_service.services.sample import SAMPLE_DIR

DATA_DIR = Path(__file__).parent / "data"


def pytest_configure(config: pytest.Config) -> None:
    """The sample GPX tracks are not in git; some tests are parametrised over them, so they
    must exist before collection (a fresh clone has none): generate them, ~2 s, once."""
    from gis_service.services.sample import ensure_tracks

    ensure_tracks(SAMPLE_DIR)


@pytest.fixture(scope="session")
def server_url() -> str:
    return database_url(get_settings())


def _drop_stale_test_databases(server_url: str) -> None:
    """Test databases of pytest runs that died without cleaning up (their process is gone)."""
    engine = create_engine(with_database(server_url, "postgres"))
    with engine.connect() as conn:
        names = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE 'gis\\_service\\_test\\_%'")
        ).scalars()
        stale = []
        for name in names:
            pid = name.rsplit("_", 1)[-1]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                stale.append(name)
    engine.dispose()
    for name in stale:
        admin.drop_database(with_database(server_url, name))


@pytest.fixture(scope="session")
def db_url(server_url: str) -> Iterator[str]:
    """A database of this pytest process: runs in parallel (another terminal, a helper, CI)
    never drop each other's data."""
    _drop_stale_test_databases(server_url)
    url = with_database(server_url, f"gis_service_test_{os.getpid()}")
    admin.ensure_database(url, fresh=True)
    migrate.upgrade(url)
    yield url
    admin.drop_database(url)


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    eng = create_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction rolled back after the test: tests stay isolated."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture(scope="session")
def sample_loaded(engine: Engine) -> None:
    """The sample region and its zoning, committed once into the test database (read-only)."""
    from gis_service.services.sample import load_sample
    from gis_service.services.sample_extras import load_plan
    from gis_service.services.zoning import rebuild_zoning

    with engine.connect() as connection:
        load_sample(connection, SAMPLE_DIR)
        rebuild_zoning(connection)
        load_plan(connection, SAMPLE_DIR)  # 一河一策: its places are segments of the zoning
        connection.commit()


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def sample_tracks(sample_dir: Path) -> Path:
    """The sample GPX tracks (not in git: generated deterministically on first use)."""
    from gis_service.services.sample import ensure_tracks

    ensure_tracks(sample_dir)
    return sample_dir / "tracks"


@pytest.fixture(scope="session")
def tokens(engine: Engine, sample_loaded) -> dict[str, str]:
    """Committed API users: ``office``, ``viewer`` and chiefs by person id (lazily)."""
    from gis_service.services.users import create_user, issue_token

    class Tokens(dict):
        def __missing__(self, key: str) -> str:
            role, chief = ("chief", key) if key.startswith("P") else (key, None)
            with engine.begin() as conn:
                create_user(conn, f"test-{key}", role, chief)
                self[key] = issue_token(conn, f"test-{key}", label="tests")
            return self[key]

    return Tokens()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
