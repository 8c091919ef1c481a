"""Prepare everything the service needs: database server, database, schema, sample data.

Called by ``gis-service setup`` (and so by ``./manage.sh run|test``). Idempotent: a second
run finds the cluster running, the schema at head and the sample loaded, and returns fast.
"""

from __future__ import annotations

from gis_service.config import Settings
from gis_service.db import admin, migrate
from gis_service.db.engine import database_url
from gis_service.devtools.localdb import local_cluster


def prepare_database(settings: Settings, *, install: bool = True) -> str:
    """Start (or reuse) the server and bring the main database to the newest schema."""
    if not settings.database_url:
        cluster = local_cluster(
            settings.home,
            port=settings.local_db_port,
            db_user=settings.local_db_user,
            install=install,
        )
        cluster.start()
    url = database_url(settings)
    admin.ensure_database(url)
    admin.postgis_version(url)
    migrate.upgrade(url)
    return url
