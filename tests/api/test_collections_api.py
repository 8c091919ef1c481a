"""OGC API - Features style collections against the sample in PostGIS: paging, bbox, filters."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_service.api.app import create_app

BOX = (109.0, 21.4, 109.4, 21.7)


@pytest.fixture(scope="module")
def api(engine, sample_loaded):
    with TestClient(create_app(engine)) as c:
        yield c


def _count(engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def test_landing_conformance_and_collections(api):
    links = {link["rel"] for link in api.get("/").json()["links"]}
    assert {"data", "conformance", "service-desc"} <= links
    conf = api.get("/conformance").json()["conformsTo"]
    assert any(c.endswith("/conf/core") for c in conf)
    ids = [c["id"] for c in api.get("/collections").json()["collections"]]
    assert ids == ["regions", "water-bodies", "segments", "zones", "joint-sections", "problems"]
    seg = api.get("/collections/segments").json()
    minx, miny, maxx, maxy = seg["extent"]["spatial"]["bbox"][0]
    assert 108 < minx < maxx < 110.5 and 20.5 < miny < maxy < 22.5  # lon/lat, Beihai
    assert api.get("/collections/rivers").status_code == 404


def test_paging_with_next_links_returns_every_feature_once(api, engine):
    total = _count(engine, "SELECT count(*) FROM river_segment WHERE level = 'village'")
    url, seen = "/collections/segments/items?level=village&limit=40", []
    while url:
        page = api.get(url)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("application/geo+json")
        body = page.json()
        assert body["numberMatched"] == total and body["numberReturned"] == len(body["features"])
        seen += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == total > 40


def test_bbox_region_and_water_filters_match_postgis(api, engine):
    body = api.get(
        "/collections/segments/items", params={"bbox": ",".join(map(str, BOX)), "limit": 10000}
    ).json()
    expected = _count(
        engine,
        "SELECT count(*) FROM river_segment WHERE geom && ST_MakeEnvelope(:a, :b, :c, :d, 4326)",
        a=BOX[0],
        b=BOX[1],
        c=BOX[2],
        d=BOX[3],
    )
    assert body["numberMatched"] == expected > 0
    county = api.get(
        "/collections/segments/items",
        params={"region": "450521", "level": "village", "water_body": "R4505-04"},
    ).json()
    assert county["features"]
    for f in county["features"]:
        p = f["properties"]
        assert p["level"] == "village" and p["water_body_code"] == "R4505-04"
        codes = [p["region_code"], p["left_region_code"], p["right_region_code"]]
        assert any(c and c.startswith("450521") for c in codes)
    villages = api.get(
        "/collections/regions/items", params={"region": "450521", "level": "village"}
    ).json()
    assert villages["numberMatched"] == _count(
        engine, "SELECT count(*) FROM admin_region WHERE level = 'village' AND code LIKE '450521%'"
    )


def test_single_features_and_geojson_shape(api):
    one = api.get("/collections/water-bodies/items/R4505-01")
    assert one.status_code == 200
    feature = one.json()
    assert feature["type"] == "Feature" and feature["id"] == "R4505-01"
    assert feature["geometry"]["type"] in ("LineString", "MultiLineString")
    lon, lat = (
        feature["geometry"]["coordinates"][0][0][:2]
        if feature["geometry"]["type"] == "MultiLineString"
        else feature["geometry"]["coordinates"][0][:2]
    )
    assert 108 < lon < 110.5 and 20.5 < lat < 22.5
    assert api.get("/collections/water-bodies/items/nope").status_code == 404
    assert api.get("/collections/problems/items/not-a-uuid").status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "1,2,3"},
        {"bbox": "a,b,c,d"},
        {"bbox": "10,10,5,5"},
        {"bbox": "nan,1,2,3"},
        {"limit": "0"},
        {"limit": "100001"},
        {"datetime": "2026-13-01"},
        {"datetime": "2026-10-01/2026-09-01"},
    ],
)
def test_bad_parameters_are_4xx_with_a_message(api, params):
    res = api.get("/collections/segments/items", params=params)
    assert 400 <= res.status_code < 500 and res.json()["detail"]


def test_filters_a_collection_lacks_are_refused(api):
    res = api.get("/collections/segments/items", params={"datetime": "2026-10-01"})
    assert res.status_code == 400 and "datetime" in res.json()["detail"]


def _read_download(content: bytes, fmt: str, stem: str, folder):
    import io
    import zipfile

    import pyogrio

    if fmt == "shp":
        archive = zipfile.ZipFile(io.BytesIO(content))
        cpgs = [n for n in archive.namelist() if n.endswith(".cpg")]
        assert cpgs and all(archive.read(n).strip() == b"UTF-8" for n in cpgs)
        archive.extractall(folder)
        shps = sorted(n for n in archive.namelist() if n.endswith(".shp"))
        return [pyogrio.read_dataframe(folder / n) for n in shps], shps
    path = folder / f"{stem}.{fmt}"
    path.write_bytes(content)
    return [pyogrio.read_dataframe(path)], [path.name]


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "kml"])
def test_items_download_for_arcgis_and_qgis(api, tmp_path, fmt):
    """f=gpkg|shp|kml: the same page of features, read back by GDAL, Chinese names intact."""
    query = "/collections/regions/items?level=township&limit=20"
    page = api.get(query).json()["features"]
    response = api.get(query + f"&f={fmt}")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    frames, _ = _read_download(response.content, fmt, "regions", tmp_path)
    frame = frames[0]
    assert len(frame) == len(page) == 20
    values = {str(v) for c in frame.columns if c != "geometry" for v in frame[c]}
    names = {f["properties"]["name"] for f in page}
    assert names and all("镇" in n or "乡" in n or "街道" in n for n in names)
    assert names <= values, names - values
    assert frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()


def test_shapefile_download_splits_lines_and_polygons(api, tmp_path):
    """Water bodies are lines (rivers, canals) and polygons (reservoirs...): one file each."""
    query = "/collections/water-bodies/items?limit=100"
    page = api.get(query).json()["features"]
    response = api.get(query + "&f=shp")
    assert response.status_code == 200
    frames, names = _read_download(response.content, "shp", "water-bodies", tmp_path)
    assert names == ["water-bodies_lines.shp", "water-bodies_polygons.shp"]
    lines = sum(f["geometry"]["type"].endswith("LineString") for f in page)
    assert [len(f) for f in frames] == [lines, len(page) - lines]
    assert {f["properties"]["name"] for f in page} == {
        str(v) for frame in frames for v in frame["name"]
    }


def test_items_download_refuses_other_formats(api):
    assert api.get("/collections/segments/items?f=dxf").status_code == 422
