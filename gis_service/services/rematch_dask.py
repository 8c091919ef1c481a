"""The re-match jobs on Dask's distributed scheduler: one task per partition.

Without a scheduler address the jobs run on a local cluster of this machine's cores (one
single-threaded worker process per core: shapely and the pipeline's Python hold the GIL).
With ``GIS_DASK_SCHEDULER=tcp://host:8786`` (or ``scheduler=``) the same tasks go to a real
cluster, whose workers (``gis-service worker --scheduler …``) have the project's code and
reach the same database. A task commits its partition together with the job row; a worker
that dies takes an uncommitted transaction with it, and the job is run again.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

from sqlalchemy import create_engine

from gis_service.db import rematch_store as store
from gis_service.services.dask_cluster import dask_client
from gis_service.services.patrols import PatrolSettings
from gis_service.services.rematch import run_job


def plan(db_url: str, timezone: str) -> list[store.Job]:
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            return store.plan(conn, timezone)
    finally:
        engine.dispose()


def run_on_dask(
    db_url: str,
    settings: PatrolSettings,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    chunk: int = 200,
    on_done: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Plan, then run every unfinished job as a Dask task; returns the tasks' results in
    the order they finished. ``workers`` sizes the local cluster (default: the cores). A
    real cluster's workers connect with their own database settings; a local cluster's are
    given ``db_url``."""
    from distributed import as_completed

    pending = plan(db_url, settings.timezone)
    if not pending:
        return []
    task_url = None if scheduler else db_url
    # the run's own folder of built assignments on each worker machine (run_job), removed
    # at the end: a chief's lines are built once per machine, not once per worker process
    shared = str(Path(tempfile.gettempdir()) / f"gis-service-rematch-{uuid4().hex}")
    with dask_client(scheduler, workers=workers) as client:
        try:
            futures = [
                # retries: a task whose worker died is run again elsewhere (job rolled back)
                client.submit(
                    run_job,
                    task_url,
                    job.id,
                    settings,
                    chunk,
                    shared=shared,
                    key=f"rematch-{job.id}-{uuid4().hex[:8]}",
                    retries=2,
                )
                for job in pending
            ]
            results = []
            for future in as_completed(futures):
                result = future.result()
                results.append(result)
                if on_done:
                    on_done(result)
            return results
        finally:
            # a worker gone leaves its machine's folder in its temporary directory
            with contextlib.suppress(Exception):
                client.run(_remove, shared)
            _remove(shared)


def _remove(folder: str) -> None:
    shutil.rmtree(folder, ignore_errors=True)
