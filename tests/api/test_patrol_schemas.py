"""The patrol routes document their responses (/openapi.json) with models that match what they
send: real responses validate against them with extra keys forbidden. And the office's time
zone reaches the upload through the app's settings, not the environment read deep inside."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_service.api.app import create_app
from gis_service.api.schemas.patrols import (
    BatchOut,
    DuplicateOut,
    PatrolListingOut,
    PatrolResultOut,
    StoredPatrolOut,
)
from gis_service.config import Settings
from tests.api.bodies import app_body
from tests.conftest import bearer

PACKAGE = Path(__file__).resolve().parents[2] / "gis_service"


@pytest.fixture
def created(engine):
    ids: list[str] = []
    yield ids
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM patrol WHERE id::text = ANY(:i)"), {"i": ids})


@pytest.fixture(scope="module")
def client(engine, sample_loaded, tokens):
    with TestClient(create_app(engine), headers=bearer(tokens["office"])) as c:
        yield c


def test_responses_match_their_documented_models(client, sample_tracks, created):
    path = sample_tracks / "P0145_0001.gpx"
    sent = {"files": {"file": (path.name, path.read_bytes())}, "data": {"chief_id": "P0145"}}
    first = client.post("/patrols", **sent)
    assert first.status_code == 201, first.text
    created.append(first.json()["id"])
    fresh = PatrolResultOut.model_validate(first.json())
    assert fresh.summary.targets and not fresh.duplicate
    again = client.post("/patrols", **sent)
    assert again.status_code == 200
    assert DuplicateOut.model_validate(again.json()).id == fresh.id
    stored = StoredPatrolOut.model_validate(client.get(f"/patrols/{fresh.id}").json())
    assert stored.coverage and stored.track is not None
    listed = client.get("/patrols", params={"chief": "P0145", "limit": 1000}).json()
    assert fresh.id in {PatrolListingOut.model_validate(p).id for p in listed}
    pid = str(uuid.uuid4())
    batch = client.post(
        "/patrols/batch",
        json={"patrols": [app_body(pid), app_body(pid), {"chief_id": "P0203", "points": []}]},
    )
    assert batch.status_code == 200, batch.text
    results = BatchOut.model_validate(batch.json()).results
    created.append(pid)
    assert [type(r).__name__ for r in results] == [
        "PatrolResultOut",
        "PatrolResultOut",
        "UploadErrorOut",
    ]
    assert batch.json()["results"][1]["duplicate"] is True
    assert batch.json()["results"][2]["status"] == 400


def test_openapi_documents_the_patrol_responses(client):
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]

    def schema(path: str, method: str, status: str) -> str:
        content = paths[path][method]["responses"][status]["content"]["application/json"]
        return str(content["schema"])

    assert "PatrolResultOut" in schema("/patrols", "post", "201")
    assert "DuplicateOut" in schema("/patrols", "post", "200")
    assert "BatchOut" in schema("/patrols/batch", "post", "200")
    assert "StoredPatrolOut" in schema("/patrols/{patrol_id}", "get", "200")
    assert "PatrolListingOut" in schema("/patrols", "get", "200")
    assert "PatrolSummaryOut" in doc["components"]["schemas"]


def test_the_apps_time_zone_reads_a_naive_upload_time(engine, sample_loaded, tokens, created):
    """GIS_TIMEZONE=UTC as the app's settings (no environment): a naive 23:30 is 23:30 UTC;
    with the default zone it is Beijing's 23:30, 15:30 UTC."""
    csv = "lon,lat,time\n" + "".join(
        f"{109.2 + 1e-4 * k},21.6,2026-07-20T23:30:{k:02d}\n" for k in range(0, 20, 2)
    )
    started = {}
    for zone in ("UTC", "Asia/Shanghai"):
        app = create_app(engine, settings=Settings(timezone=zone))
        with TestClient(app, headers=bearer(tokens["office"])) as c:
            res = c.post(
                "/patrols", files={"file": ("naive.csv", csv.encode())}, data={"chief_id": "P0145"}
            )
        assert res.status_code == 201, res.text
        created.append(res.json()["id"])
        started[zone] = res.json()["started_at"]
        with engine.begin() as conn:  # the second upload is not a duplicate of the first
            conn.execute(text("DELETE FROM patrol WHERE id = :i"), {"i": res.json()["id"]})
    assert started["UTC"].startswith("2026-07-20T23:30:00")
    assert started["Asia/Shanghai"].startswith("2026-07-20T15:30:00")


@pytest.mark.parametrize("module", ["services/patrols.py", "services/bulk.py"])
def test_the_patrol_services_take_their_settings_and_hold_no_sql(module):
    source = (PACKAGE / module).read_text(encoding="utf-8")
    assert "get_settings" not in source
    assert not re.search(r"\b(text|pg_insert)\(|\bSELECT\b|\bINSERT\b", source)
