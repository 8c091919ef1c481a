"""Writes refused during an outage stay accounted for (issue 16, minor): before the fix the
write log simply lost them. Their lines wait in a spill file (one per database) and reach
``write_log`` with their own time once the database is back."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_service.api.app import create_app
from gis_service.api.middleware import spill_path
from gis_service.config import get_settings
from gis_service.db import admin, migrate
from gis_service.db.engine import make_engine
from gis_service.services.users import create_user, issue_token


def test_writes_refused_while_the_database_is_down_reach_the_write_log(
    cluster, tmp_path, monkeypatch
):
    monkeypatch.setenv("GIS_HOME", str(tmp_path))
    get_settings.cache_clear()
    cluster.start()
    url = cluster.url("spill_check")
    admin.ensure_database(url)
    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        create_user(conn, "office", "office")
        token = issue_token(conn, "office")
    auth = {"Authorization": f"Bearer {token}"}
    body = {"lon": 109.1, "lat": 21.5, "category": "dumping"}
    try:
        with TestClient(create_app(engine), raise_server_exceptions=False) as api:
            cluster.stop()
            assert api.post("/problems", json=body, headers=auth).status_code == 503
            spilled = spill_path(engine)
            assert spilled.exists() and '"status": 503' in spilled.read_text()
            cluster.start()
            deadline = time.monotonic() + 20
            while api.get("/health").status_code != 200 and time.monotonic() < deadline:
                time.sleep(0.3)
            api.post("/problems", json=body, headers=auth)  # any write, logged as usual
            assert not spilled.exists()
        with engine.connect() as conn:
            statuses = (
                conn.execute(
                    text("SELECT status FROM write_log WHERE path = '/problems' ORDER BY at")
                )
                .scalars()
                .all()
            )
        assert statuses[0] == 503 and len(statuses) == 2
    finally:
        engine.dispose()
        get_settings.cache_clear()
