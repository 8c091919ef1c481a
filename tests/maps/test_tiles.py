"""Vector tiles (/tiles/{layer}/{z}/{x}/{y}.pbf) decoded and checked against PostGIS."""

from __future__ import annotations

import statistics
import time

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_service.api.app import create_app
from gis_service.db import tiles

MVT = "application/vnd.mapbox-vector-tile"


@pytest.fixture(scope="module")
def client(engine, sample_loaded):
    with TestClient(create_app(engine)) as c:
        yield c


@pytest.fixture(scope="module")
def centre(engine, sample_loaded) -> tuple[float, float]:
    """A point on 南流江 in 合浦县."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_LineInterpolatePoint("
                "ST_GeometryN(geom, 1), 0.5) AS p FROM river_segment "
                "WHERE id = 'R4505-01/county/450521/3') s"
            )
        ).one()


def _ids(engine, sql: str, z: int, x: int, y: int) -> set[str]:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(text(sql), {"z": z, "x": x, "y": y})}


def test_segments_tile_matches_postgis(client, engine, centre):
    z = 12
    x, y = tiles.tile_of(*centre, z)
    response = client.get(f"/tiles/segments/{z}/{x}/{y}.pbf")
    assert response.status_code == 200
    assert response.headers["content-type"] == MVT
    decoded = mapbox_vector_tile.decode(response.content)
    assert set(decoded) == {"segments"}
    features = decoded["segments"]["features"]
    got = {f["properties"]["id"] for f in features}
    inside = _ids(
        engine,
        "SELECT id FROM river_segment WHERE ST_Within(ST_Transform(geom, 3857), "
        "ST_TileEnvelope(:z, :x, :y))",
        z,
        x,
        y,
    )
    touching = _ids(
        engine,
        "SELECT id FROM river_segment WHERE ST_Intersects(ST_Transform(geom, 3857), "
        "ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096))",
        z,
        x,
        y,
    )
    assert got, "the tile at the river's middle has segments"
    assert inside <= got <= touching
    assert {f["properties"]["level"] for f in features} <= set(tiles.levels_at(z))
    assert "village" in {f["properties"]["level"] for f in features}
    for f in features:
        assert {"water_body_code", "level", "kind"} <= set(f["properties"])
        assert f["geometry"]["type"] in ("LineString", "MultiLineString")


def test_every_layer_and_zoom_filtering(client, centre):
    x, y = tiles.tile_of(*centre, 9)
    for layer, key in (("regions", "name"), ("zones", "kind"), ("joint_sections", "level")):
        decoded = mapbox_vector_tile.decode(client.get(f"/tiles/{layer}/9/{x}/{y}.pbf").content)
        assert layer in decoded, layer
        assert all(key in f["properties"] for f in decoded[layer]["features"])
    x6, y6 = tiles.tile_of(*centre, 6)
    coarse = mapbox_vector_tile.decode(client.get(f"/tiles/segments/6/{x6}/{y6}.pbf").content)
    levels = {f["properties"]["level"] for f in coarse["segments"]["features"]}
    assert levels and levels <= {"province", "city"}


def test_empty_tile_outside_the_data(client):
    response = client.get("/tiles/segments/10/0/0.pbf")
    assert response.status_code == 200 and response.headers["content-type"] == MVT
    assert mapbox_vector_tile.decode(response.content) == {}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/tiles/segments/23/0/0.pbf", 422),
        ("/tiles/segments/-1/0/0.pbf", 422),
        ("/tiles/segments/3/8/0.pbf", 400),
        ("/tiles/segments/3/0/8.pbf", 400),
        ("/tiles/segments/3/x/0.pbf", 422),
        ("/tiles/rivers/3/0/0.pbf", 404),
        ("/tiles/segments;drop table river_segment/3/0/0.pbf", 404),
    ],
)
def test_bad_requests_are_4xx(client, path, status):
    assert client.get(path).status_code == status


def test_tile_sql_binds_parameters():
    for layer in tiles.LAYERS:
        sql = tiles.tile_sql(layer)
        assert ":z" in sql and ":x" in sql and ":y" in sql and ":name" in sql
    with pytest.raises(tiles.TileRequestError):
        tiles.check_tile("segments", 2, 4, 0)


def test_tiles_are_fast(engine, centre):
    z = 11
    x0, y0 = tiles.tile_of(*centre, z)
    times = []
    with engine.connect() as conn:
        for layer in tiles.LAYERS:
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    t = time.perf_counter()
                    tiles.tile(conn, layer, z, x0 + dx, y0 + dy)
                    times.append(time.perf_counter() - t)
    assert statistics.median(times) < 0.15


def test_region_filter_keeps_only_the_regions_features(client, engine):
    """A tile straddling the 合浦县/海城区 boundary: with ``region`` only 合浦县's rows."""
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(ST_Intersection("
                "ST_Boundary(a.geom), ST_Boundary(b.geom))) AS p FROM admin_region a, "
                "admin_region b WHERE a.code = '450521' AND b.code = '450502') s"
            )
        ).one()
    z = 9
    x, y = tiles.tile_of(lon, lat, z)
    everything = mapbox_vector_tile.decode(client.get(f"/tiles/regions/{z}/{x}/{y}.pbf").content)
    codes = {f["properties"]["code"] for f in everything["regions"]["features"]}
    assert any(c.startswith("450521") for c in codes) and any(c.startswith("450502") for c in codes)
    only = client.get(f"/tiles/regions/{z}/{x}/{y}.pbf", params={"region": "450521"})
    kept = {
        f["properties"]["code"]
        for f in mapbox_vector_tile.decode(only.content)["regions"]["features"]
    }
    assert kept and all(c.startswith("450521") for c in kept)
    assert kept == {c for c in codes if c.startswith("450521")}
    assert client.get(f"/tiles/regions/{z}/{x}/{y}.pbf?region=45x").status_code == 422


def test_head_of_a_tile_or_a_collection_is_its_get_without_the_body(client, centre):
    """Tile caches and link checkers ask HEAD first; FastAPI's routes answered it 405."""
    z = 12
    x, y = tiles.tile_of(*centre, z)
    for path in (f"/tiles/segments/{z}/{x}/{y}.pbf", "/collections/regions/items?limit=2"):
        got = client.get(path)
        head = client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert int(head.headers["content-length"]) == len(got.content) > 0
    assert client.head("/tiles/nowhere/1/1/1.pbf").status_code == 404
    assert client.head("/imports/regions").status_code == 405  # a write route stays a write
