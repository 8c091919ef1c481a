"""GDAL as a real client: its OAPIF driver reads every collection (paging through the ``next``
links) and its MVT driver reads the vector tiles, over HTTP from the running app.

Offices open the service in QGIS and ArcGIS, which read it through GDAL: what GDAL's drivers
make of the answers is what an office sees. GDAL comes with pyogrio's wheel (its drivers are
checked first: a missing driver fails the test with how to get it, it is never skipped).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import numpy as np
import pyogrio
import pytest
from sqlalchemy import text

from gis_service.db import tiles

PAGE_SIZE = 50  # small pages: GDAL must follow the ``next`` links several times


def _driver(name: str) -> None:
    drivers = pyogrio.list_drivers()
    assert name in drivers, (
        f"the GDAL {pyogrio.__gdal_version_string__} bundled with pyogrio has no {name} driver: "
        "install a pyogrio wheel whose GDAL has it (pip install -c constraints.txt pyogrio), or "
        "Debian's GDAL (apt-get install gdal-bin) and read with ogrinfo"
    )


@pytest.fixture(scope="module")
def origin(db_url, sample_loaded) -> Iterator[str]:
    """The app in its own process (GDAL holds the interpreter while it reads, so a server
    thread of this one would never answer), on a free port, reading the test database; links
    (``next``, ``items``) point at it (GIS_BASE_URL)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": db_url, "GIS_BASE_URL": url}
    command = [sys.executable, "-m", "uvicorn", "gis_service.api.app:create_app", "--factory"]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/conformance", timeout=5).close()
                break
            except OSError:
                assert server.poll() is None, "the app did not start"
                assert time.monotonic() < deadline, "the app did not answer within 60 s"
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(10)


# the app hardens GDAL for imports, process-wide (no network, 1 s): the client needs both
CLIENT_OPTIONS = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": None,
    "GDAL_HTTP_TIMEOUT": "60",
    "GDAL_HTTP_MAX_RETRY": "0",
}


@pytest.fixture
def gdal_client() -> Iterator[None]:
    """GDAL configured as a desktop client would be, restored afterwards."""
    saved = {k: pyogrio.get_gdal_config_option(k) for k in CLIENT_OPTIONS}
    pyogrio.set_gdal_config_options(CLIENT_OPTIONS)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(saved)


def _json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


def test_gdal_oapif_reads_every_collection(origin, gdal_client):
    _driver("OAPIF")
    listed = [c["id"] for c in _json(f"{origin}/collections")["collections"]]
    layers = pyogrio.list_layers(f"OAPIF:{origin}")
    assert [name for name, _ in layers] == listed
    for cid in listed:
        answer = _json(f"{origin}/collections/{cid}/items?limit=10000")
        frame = pyogrio.read_dataframe(f"OAPIF:{origin}", layer=cid, PAGE_SIZE=PAGE_SIZE)
        assert len(frame) == answer["numberMatched"] == len(answer["features"]) > 0, cid
        assert frame.crs.to_epsg() == 4326, cid
        assert sorted(map(str, frame["id"])) == sorted(str(f["id"]) for f in answer["features"])
        # the geometry as the API gives it, coordinates and all
        coords = np.array(
            [
                xy
                for f in answer["features"]
                for xy in np.reshape(_flat(f["geometry"]["coordinates"]), (-1, 2))
            ]
        )
        box = frame.total_bounds
        assert np.allclose(box, [*coords.min(axis=0), *coords.max(axis=0)], atol=1e-7), cid
        if len(answer["features"]) > PAGE_SIZE:
            assert len(frame) > PAGE_SIZE  # more than one page was followed


def _flat(coordinates) -> list[float]:
    if isinstance(coordinates[0], (int, float)):
        return list(coordinates[:2])
    return [v for c in coordinates for v in _flat(c)]


def test_gdal_mvt_reads_the_tiles(origin, engine, gdal_client):
    _driver("MVT")
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_LineInterpolatePoint("
                "ST_GeometryN(geom, 1), 0.5) AS p FROM river_segment "
                "WHERE id = 'R4505-01/county/450521/3') s"
            )
        ).one()
    z = 12
    x, y = tiles.tile_of(lon, lat, z)
    url = f"/vsicurl/{origin}/tiles/segments/{z}/{x}/{y}.pbf"
    assert [name for name, _ in pyogrio.list_layers(url)] == ["segments"]
    frame = pyogrio.read_dataframe(url, layer="segments")
    with engine.connect() as conn:
        # every segment inside the tile is in it, and nothing far from it
        inside = set(
            conn.execute(
                text(
                    "SELECT id FROM river_segment WHERE ST_Within(ST_Transform(geom, 3857), "
                    "ST_TileEnvelope(:z, :x, :y)) AND level = ANY(:levels)"
                ),
                {"z": z, "x": x, "y": y, "levels": tiles.levels_at(z)},
            ).scalars()
        )
        near = set(
            conn.execute(
                text(
                    "SELECT id FROM river_segment WHERE ST_Intersects(ST_Transform(geom, 3857), "
                    "ST_TileEnvelope(:z, :x, :y, margin => 0.1))"
                ),
                {"z": z, "x": x, "y": y},
            ).scalars()
        )
        envelope = conn.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                "FROM ST_TileEnvelope(:z, :x, :y) e"
            ),
            {"z": z, "x": x, "y": y},
        ).one()
    got = set(frame["id"])
    assert inside and inside <= got <= near
    # GDAL places the features in web mercator, on the tile (its buffer at most)
    width = envelope[2] - envelope[0]
    box = frame.total_bounds
    assert box[0] >= envelope[0] - 0.1 * width and box[2] <= envelope[2] + 0.1 * width
    assert box[1] >= envelope[1] - 0.1 * width and box[3] <= envelope[3] + 0.1 * width
    regions = f"/vsicurl/{origin}/tiles/regions/{z}/{x}/{y}.pbf"
    named = pyogrio.read_dataframe(regions, layer="regions")
    assert len(named) > 0 and named["name"].notna().all()
