"""The app's start-up warms every ingest thread (its PROJ transformers for the zoning's
zones) before the first upload, and a server whose database is away still starts."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from gis_service.api import ingest
from gis_service.api.app import create_app
from gis_service.db.assignment_store import newest_metric_zones
from gis_service.domain import crs


def _each_ingest_thread(func):
    """Run ``func`` once on every ingest thread (a barrier keeps one task per thread)."""
    meet = threading.Barrier(ingest.THREADS_PER_PROCESS, timeout=30)

    def task():
        meet.wait()
        return threading.get_ident(), func()

    futures = [ingest.INGEST_THREADS.submit(task) for _ in range(ingest.THREADS_PER_PROCESS)]
    return dict(f.result(timeout=60) for f in futures)


def _forget() -> None:
    crs._LOCAL.transformers = {}


def _held() -> set[tuple[str, str]]:
    return set(getattr(crs._LOCAL, "transformers", {}))


def test_start_up_builds_every_ingest_threads_transformers(engine, sample_loaded):
    with engine.connect() as conn:
        zones = newest_metric_zones(conn)
    assert zones  # the sample's zoning is measured in a GK zone
    wanted = {(crs.STORAGE_CRS, f"EPSG:{z}") for z in zones} | {
        (f"EPSG:{z}", crs.STORAGE_CRS) for z in zones
    }
    before = _each_ingest_thread(lambda: (_forget(), _held())[1])
    assert len(before) == ingest.THREADS_PER_PROCESS and not any(before.values())
    with TestClient(create_app(engine)):
        after = _each_ingest_thread(_held)
    assert len(after) == ingest.THREADS_PER_PROCESS
    for held in after.values():
        assert wanted <= held, held


def test_a_server_without_its_database_still_starts(engine):
    away = create_engine("postgresql+psycopg2://nobody@127.0.0.1:9/none")
    with TestClient(create_app(away)) as client:
        assert client.get("/health").status_code in (200, 503)
