"""Outside the service area (issue 14): a patrol walked in Slovenia and a problem reported
there. The patrol is stored with the verdict ``outside_service_area`` and the distance to the
nearest region; its map renders (API and CLI); the problem is refused with a 4xx."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Geod
from sqlalchemy import text
from typer.testing import CliRunner

from gis_service.api.app import create_app
from gis_service.cli import app as cli_app
from tests.conftest import bearer

CHIEF = "P0203"
LJUBLJANA = (14.5058, 46.0569)


def _slovenian_walk(pid: str) -> dict:
    """A 25-minute walk along the Ljubljanica, 5 m every 5 s, as the phone app sends it."""
    rng = np.random.default_rng(14)
    t0 = 1782867600  # 2026-07-01T01:00:00Z
    return {
        "patrol_uuid": pid,
        "chief_id": CHIEF,
        "coord_system": "wgs84",
        "mode": "walk",
        "points": [
            {
                "lon": LJUBLJANA[0] + i * 6.5e-5 + rng.normal(0, 2e-5),
                "lat": LJUBLJANA[1] + rng.normal(0, 2e-5),
                "time": t0 + i * 5,
                "accuracy": 6,
            }
            for i in range(300)
        ],
    }


@pytest.fixture(scope="module")
def client(engine, sample_loaded, tokens):
    with TestClient(create_app(engine), headers=bearer(tokens["office"])) as c:
        yield c


@pytest.fixture
def europe_patrol(client, engine):
    pid = str(uuid.uuid4())
    res = client.post("/patrols", json=_slovenian_walk(pid))
    assert res.status_code in (200, 201), res.text
    yield res.json()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM patrol WHERE id = CAST(:i AS uuid)"), {"i": pid})


def test_a_patrol_in_europe_is_outside_the_service_area(europe_patrol, engine):
    assert europe_patrol["status"] == "invalid"
    reason = next(r for r in europe_patrol["reasons"] if r["code"] == "outside_service_area")
    # hand reference: the ellipsoidal distance from the walk's first point to the nearest
    # boundary vertex of any region (the sample holds 广西, west edge near 104.4E)
    with engine.connect() as conn:
        wkb = conn.execute(text("SELECT ST_AsBinary(ST_Collect(geom)) FROM admin_region")).scalar()
    xy = shapely.get_coordinates(shapely.from_wkb(bytes(wkb)))
    start = _slovenian_walk("x")["points"][0]
    n = len(xy)
    _, _, d = Geod(ellps="GRS80").inv(
        np.full(n, start["lon"]), np.full(n, start["lat"]), xy[:, 0], xy[:, 1]
    )
    nearest = float(d.min())
    assert 7_500_000 < nearest < 9_000_000
    # the walk (2 km long) and the edge between vertices make it a little shorter
    assert nearest - 3_000 < reason["value"] <= nearest + 1
    assert "km from the nearest" in reason["message"]


def test_its_track_is_measured_where_it_was_walked(europe_patrol):
    """Measured in UTM 33N, not in a Chinese zone: the walked distance is the geodesic one
    (in the 108E zone a track there measured about twice its length)."""
    summary = europe_patrol.get("summary", europe_patrol)
    assert summary["metric_epsg"] == 32633
    points = _slovenian_walk("x")["points"]
    lon = np.array([p["lon"] for p in points])
    lat = np.array([p["lat"] for p in points])
    geodesic = Geod(ellps="GRS80").line_length(lon, lat)
    assert abs(summary["distance_m"] / geodesic - 1) < 0.01


def test_its_patrol_map_renders(client, europe_patrol):
    res = client.get(f"/maps/patrols/{europe_patrol['id']}")
    assert res.status_code == 200, res.text[:500]
    assert "leaflet" in res.text.lower()


def test_its_patrol_map_exports_from_the_cli(europe_patrol, db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db_url)
    from gis_service.config import get_settings

    get_settings.cache_clear()
    out = tmp_path / "p.html"
    try:
        result = CliRunner().invoke(
            cli_app, ["map", "patrol", europe_patrol["id"], "-o", str(out)], catch_exceptions=False
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000


def test_a_problem_reported_outside_is_refused(client, tokens, engine):
    pid = str(uuid.uuid4())
    body = {
        "problem_id": pid,
        "lon": LJUBLJANA[0],
        "lat": LJUBLJANA[1],
        "category": "sand_mining",
        "found_at": "2026-11-20T09:30:00+08:00",
    }
    res = client.post("/problems", json=body, headers=bearer(tokens[CHIEF]))
    assert res.status_code == 400, res.text
    assert "outside_service_area" in res.json()["detail"]
    assert "km from the nearest" in res.json()["detail"]
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT count(*) FROM problem WHERE id = CAST(:i AS uuid)"), {"i": pid}
        )
        assert stored.scalar() == 0


def test_nothing_is_covered_far_from_the_water(europe_patrol):
    assert europe_patrol["summary"]["targets"] == []
    assert "off_assignment" in [r["code"] for r in europe_patrol["reasons"]]
