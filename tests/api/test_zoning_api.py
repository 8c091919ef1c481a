"""Zoning over HTTP: GeoJSON layers, neighbours, reports, unassigned stretches."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gis_service.api.app import create_app


@pytest.fixture(scope="module")
def client(engine, sample_loaded):
    with TestClient(create_app(engine)) as c:
        yield c


def test_segments_filtered_by_region_level_and_water(client):
    res = client.get("/segments", params={"region": "450512", "level": "village"})
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("application/geo+json")
    body = res.json()
    assert body["type"] == "FeatureCollection" and body["numberReturned"] > 0
    for f in body["features"]:
        props = f["properties"]
        codes = [props["region_code"], props["left_region_code"], props["right_region_code"]]
        assert any(c and c.startswith("450512") for c in codes)
        assert f["geometry"]["type"] == "MultiLineString"
        lon, lat = f["geometry"]["coordinates"][0][0]
        assert 108 < lon < 110.5 and 20.5 < lat < 23  # lon/lat order (RFC 7946)
    one = client.get("/segments", params={"water_body": "R4505-04", "level": "county"}).json()
    assert [f["properties"]["region_code"] for f in one["features"]] == ["450521", "450512"]


def test_segment_polygons_zones_and_joint_sections(client):
    polys = client.get("/segments", params={"water_body": "R4505-04", "polygons": True}).json()
    assert {f["geometry"]["type"] for f in polys["features"]} == {"MultiPolygon"}
    shore = client.get("/zones", params={"water_body": "K4505-01", "kind": "shoreline"}).json()
    assert shore["numberReturned"] >= 2
    points = client.get("/joint-sections", params={"water_body": "R4505-04", "points": True}).json()
    assert {f["geometry"]["type"] for f in points["features"]} == {"Point"}


def test_neighbours_and_report(client):
    seg_id = "R4505-04/county/450521/1"
    down = client.get(f"/segments/{seg_id}/downstream", params={"date": "2026-07-15"}).json()
    assert down[0]["segment_id"] == "R4505-04/county/450512/1"
    assert down[0]["chiefs"], "the downstream county's segment chief is named"
    report = client.get("/rivers/R4505-04/report", params={"date": "2026-07-15"}).json()
    assert report["convener"]["county"]["code"] == "450521"
    assert set(report["levels"]) == {"city", "county", "township", "village"}
    run = report["zoning_run"]  # the run in force on the date, whose stretches these are
    assert run["id"] >= 1 and run["effective_from"] <= "2026-07-15"
    page = client.get("/rivers/R4505-04/report.html", params={"date": "2026-07-15"})
    assert page.status_code == 200 and "马江" in page.text and "联席会议" in page.text
    assert f"zoning run {run['id']}" in page.text


def test_unknown_things_are_404_and_bad_input_422(client):
    assert client.get("/rivers/NOPE/report").status_code == 404
    assert client.get("/segments/NOPE/1/upstream").status_code == 404
    assert client.get("/segments", params={"region": "abc"}).status_code == 422
    assert client.get("/segments", params={"level": "galaxy"}).status_code == 422


def test_unassigned_endpoint(client):
    gaps = client.get("/zoning/unassigned", params={"date": "2026-07-15"}).json()
    assert any(g["target_id"] == "R4505-04/village/450512102205/1" for g in gaps)
