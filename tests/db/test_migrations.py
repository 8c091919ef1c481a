"""The schema migrates down to nothing and back up again on a real PostGIS."""

import os

import pytest
from sqlalchemy import create_engine, inspect

from gis_service.db import admin, migrate
from gis_service.db.engine import with_database
from gis_service.db.models import Base


@pytest.fixture
def scratch_url(server_url):
    url = with_database(server_url, f"gis_service_test_migrations_{os.getpid()}")
    admin.ensure_database(url, fresh=True)
    yield url
    admin.drop_database(url)


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"spatial_ref_sys"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_round_trip(scratch_url):
    migrate.upgrade(scratch_url)
    expected = set(Base.metadata.tables) | {"alembic_version"}
    assert _tables(scratch_url) == expected
    migrate.downgrade(scratch_url, "base")
    assert _tables(scratch_url) == {"alembic_version"}
    migrate.upgrade(scratch_url)
    assert _tables(scratch_url) == expected


def test_models_match_migrations(scratch_url):
    """Autogenerate finds nothing to do: models and migrations describe the same schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from gis_service.db.migrate import include_object

    migrate.upgrade(scratch_url)
    engine = create_engine(scratch_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == []
