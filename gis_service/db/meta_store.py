"""What the service's own health check asks the database."""

from __future__ import annotations

from sqlalchemy import Engine, text


def postgis_version(engine: Engine) -> str:
    """The PostGIS library version, on a connection of its own (``engine``: the health
    check's unpooled one, so a full request pool does not make the service look dead)."""
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT postgis_lib_version()")).scalar_one())
