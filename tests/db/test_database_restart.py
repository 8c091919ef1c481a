"""Database down: requests get 503 with a clear message; when PostGIS is back the running app
recovers by itself (pre-ping drops dead pooled connections). Uses a throw-away local cluster,
stopped and started for real, so the shared test database is not disturbed."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from gis_service.api.app import create_app
from gis_service.api.routes.meta import HEALTH_CACHE_S
from gis_service.db import admin, migrate
from gis_service.db.engine import make_engine
from gis_service.services.users import create_user, issue_token


def test_503_while_the_database_is_down_then_recovery_without_restart(cluster):
    cluster.start()
    url = cluster.url("restart_check")
    admin.ensure_database(url)
    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        create_user(conn, "office", "office")
        token = issue_token(conn, "office")
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(engine), raise_server_exceptions=False) as api:
        assert api.get("/health").status_code == 200
        assert api.get("/collections/regions/items", headers=auth).status_code == 200

        cluster.stop()
        # /health keeps its answer for HEALTH_CACHE_S (cheap under load): wait that out
        time.sleep(HEALTH_CACHE_S + 0.1)
        for path, headers in (
            ("/health", {}),
            ("/collections/regions/items", auth),
            ("/summary", auth),
        ):
            down = api.get(path, headers=headers)
            assert down.status_code == 503, (path, down.text)
            assert "database is unavailable" in down.json()["detail"]
            assert down.headers["retry-after"]
        problem = api.post(
            "/problems", json={"lon": 109.1, "lat": 21.5, "category": "dumping"}, headers=auth
        )
        assert problem.status_code == 503

        cluster.start()
        deadline = time.monotonic() + 20
        while (status := api.get("/health").status_code) != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status == 200
        assert api.get("/collections/regions/items", headers=auth).status_code == 200
    engine.dispose()
