"""Dask preload for the batch workers: ``dask worker --preload gis_service.cli_worker``.

A worker is a front end like the CLI: it reads its own settings (DATABASE_URL / GIS_*) and
hands the database URL to the re-match tasks, which a real cluster sends without one (no
password travels with the tasks). ``gis-service worker`` does the same in its own process.
"""

from __future__ import annotations

from typing import Any

from gis_service.config import get_settings
from gis_service.db.engine import database_url
from gis_service.services.rematch import set_worker_database


def dask_setup(worker: Any = None) -> None:
    """Called by Dask once the worker starts (``--preload``)."""
    set_worker_database(database_url(get_settings()))
