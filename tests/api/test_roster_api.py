"""The public roster and office imports over HTTP."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_service.api.app import create_app
from tests.conftest import bearer


@pytest.fixture(scope="module")
def api(engine, sample_loaded):
    with TestClient(create_app(engine)) as c:
        yield c


def test_roster_is_public_without_phone_numbers(api, tokens, engine):
    public = api.get("/posts", params={"on": "2026-09-01", "region": "450500"}).json()
    with engine.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT count(*) FROM chief_post WHERE region_code = '450500' "
                "AND validity @> DATE '2026-09-01'"
            )
        ).scalar_one()
    assert len(public) == expected > 0
    assert all("phone" not in p and p["chief_name"] for p in public)
    office = api.get(
        "/posts", params={"on": "2026-09-01", "region": "450500"}, headers=bearer(tokens["office"])
    ).json()
    assert len(office) == len(public)
    assert all(p["phone"].startswith("199-") for p in office)


def test_chief_change_shows_on_the_right_dates(api):
    def holders(day: str) -> set[str]:
        rows = api.get("/posts", params={"on": day, "water_body": "R4505-02-02"}).json()
        return {p["chief_id"] for p in rows if p["role"] == "segment_chief"}

    assert "P0176" in holders("2026-08-15") and "P0251" not in holders("2026-08-15")
    assert "P0251" in holders("2026-08-16") and "P0176" not in holders("2026-08-16")


def test_import_is_for_the_office_and_a_bad_file_changes_nothing(api, tokens, engine):
    bad = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": "450521999999", "name": "x"},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
                    },
                }
            ],
        }
    ).encode()
    files = {"file": ("regions.geojson", bad, "application/geo+json")}
    assert api.post("/imports/regions", files=files).status_code == 401
    assert (
        api.post("/imports/regions", files=files, headers=bearer(tokens["P0203"])).status_code
        == 403
    )
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM admin_region")).scalar_one()
    res = api.post("/imports/regions", files=files, headers=bearer(tokens["office"]))
    assert res.status_code == 400 and "regions.geojson" in res.json()["detail"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM admin_region")).scalar_one() == before


def test_reimporting_the_roster_is_a_no_op_update(api, tokens, sample_dir):
    csv = (sample_dir / "chiefs.csv").read_bytes()
    res = api.post(
        "/imports/chiefs",
        files={"file": ("chiefs.csv", csv, "text/csv")},
        headers=bearer(tokens["office"]),
    )
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["import"]["inserted"] == 0 or body["import"]["skipped_unchanged"]
