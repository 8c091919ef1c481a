"""Issue 16 items 3, 4 and 9: an import never reads the server's files, never fetches a
URL, never exhausts memory or time, and a file without geometry is a 4xx.

Each hostile file is refused before GDAL sees it (archives are unpacked by us, with an
allow-list) or before its data is loaded (limits named in the error), in bounded time and
memory (the peak resident size is sampled while the import runs).
"""

from __future__ import annotations

import json
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from gis_service.errors import InputError
from gis_service.fileio.archive import ImportLimits
from gis_service.services.importing import import_regions
from tests.db.builders import regions_frame, write
from tests.db.snapshots import snapshot

VRT = (
    '<OGRVRTDataSource><OGRVRTLayer name="passwd">'
    "<SrcDataSource>CSV:/etc/passwd</SrcDataSource>"
    "</OGRVRTLayer></OGRVRTDataSource>"
)


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _bounded(func, *, seconds: float, megabytes: float):
    """Run ``func``; assert it took < seconds and the peak RSS grew < megabytes."""
    base = _rss_mb()
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mb())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        with pytest.raises(InputError) as info:
            func()
    finally:
        elapsed = time.perf_counter() - start
        done.set()
        sampler.join()
    assert elapsed < seconds, f"took {elapsed:.2f} s"
    assert peak[0] - base < megabytes, f"memory grew by {peak[0] - base:.0f} MB"
    return info.value


def _zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_zipped_vrt_reading_etc_passwd_is_refused_and_leaks_nothing(conn, tmp_path):
    before = snapshot(conn)
    for members in (
        {"regions.vrt": VRT},
        {"regions.geojson": VRT},  # a VRT in GeoJSON's clothes
        {"a.shp": b"x", "a.vrt": VRT},
    ):
        path = _zip(tmp_path / "evil.zip", members)
        with pytest.raises(InputError) as info:
            import_regions(conn, path)
        assert "root:" not in str(info.value) and "/bin/" not in str(info.value)
    plain = tmp_path / "evil.geojson"
    plain.write_text(VRT, encoding="utf-8")
    with pytest.raises(InputError, match="not a GeoJSON") as info:
        import_regions(conn, plain)
    assert "root:" not in str(info.value)
    assert snapshot(conn) == before


def test_vsicurl_paths_are_refused_at_once(conn, tmp_path):
    start = time.perf_counter()
    with pytest.raises(InputError, match="/vsi"):
        import_regions(conn, "/vsicurl/http://127.0.0.1:9/regions.geojson")
    path = _zip(tmp_path / "url.zip", {"/vsicurl/http:/127.0.0.1:9/x.geojson": "{}"})
    with pytest.raises(InputError, match="/vsi"):
        import_regions(conn, path)
    assert time.perf_counter() - start < 2


def test_links_and_paths_outside_the_archive_are_refused(conn, tmp_path):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("regions.geojson")
        info.external_attr = 0o120777 << 16  # a symbolic link
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(InputError, match="links inside archives"):
        import_regions(conn, path)
    path = _zip(tmp_path / "slip.zip", {"../regions.geojson": "{}"})
    with pytest.raises(InputError, match="outside the archive"):
        import_regions(conn, path)


def test_a_zipped_shapefile_with_its_sidecars_still_imports(conn, tmp_path):
    frame = regions_frame()
    path = write(frame, tmp_path / "regions.zip")
    report = import_regions(conn, path, mapping={"parent_code": "parent_cod"})
    assert report.inserted == 4


def test_zip_bomb_is_refused_within_two_seconds(conn, tmp_path):
    path = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("regions.shp", "w", force_zip64=True) as member,
    ):
        block = b"\0" * (1 << 20)
        for _ in range(400):  # 400 MB of zeros in a zip of about 400 KB
            member.write(block)
    assert path.stat().st_size < 2_000_000
    error = _bounded(lambda: import_regions(conn, path), seconds=2, megabytes=200)
    assert "max_unpacked_bytes" in str(error)


def test_zip_bomb_with_lying_sizes_stops_at_the_limit(conn, tmp_path):
    """Headers may lie about sizes: the unpacked bytes are counted while copying."""
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("regions.geojson", b" " * 5_000_000)
    data = bytearray(path.read_bytes())
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    data[local + 22 : local + 26] = (100).to_bytes(4, "little")  # uncompressed size
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as info:
        import_regions(conn, path, limits=ImportLimits(max_unpacked_bytes=1_000_000))
    assert "max_unpacked_bytes" in str(info.value) or "liar.zip" in str(info.value)


def _ring(vertices: int) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, vertices)
    ring = np.column_stack([108.5 + 0.1 * np.cos(t), 21.5 + 0.1 * np.sin(t)])
    ring[-1] = ring[0]
    return ring


def _polygon_geojson(path: Path, vertices: int) -> Path:
    feature = {
        "type": "Feature",
        "properties": {"code": "990100", "name": "大", "level": "city"},
        "geometry": {"type": "Polygon", "coordinates": [_ring(vertices).round(7).tolist()]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return path


def test_million_vertex_polygon_is_refused_within_two_seconds(conn, tmp_path):
    path = _polygon_geojson(tmp_path / "big.geojson", 1_000_000)
    error = _bounded(lambda: import_regions(conn, path), seconds=2, megabytes=200)
    assert "max_geojson_feature_mb" in str(error)
    # the same polygon as a Shapefile (no GeoJSON streaming limit): the vertex limit
    import geopandas as gpd
    import shapely

    frame = gpd.GeoDataFrame(
        {"code": ["990100"], "name": ["大"], "level": ["city"]},
        geometry=[shapely.Polygon(_ring(1_000_000))],
        crs="EPSG:4326",
    )
    (tmp_path / "shp").mkdir()
    zipped = write(frame, tmp_path / "shp" / "big.zip")
    error = _bounded(lambda: import_regions(conn, zipped), seconds=2, megabytes=200)
    assert "1,000,000 vertices" in str(error) and "max_feature_vertices" in str(error)


def test_feature_and_vertex_limits_are_named(conn, tmp_path):
    path = write(regions_frame(), tmp_path / "r.gpkg")
    with pytest.raises(InputError, match=r"4 features, over the limit of 3 \(max_features\)"):
        import_regions(conn, path, limits=ImportLimits(max_features=3))
    with pytest.raises(InputError, match=r"over the limit of 10 \(max_vertices\)"):
        import_regions(conn, path, limits=ImportLimits(max_vertices=10))


def test_import_route_runs_off_the_event_loop():
    """A blocking import must not freeze the server: the route is a plain def (threadpool)."""
    import inspect

    from gis_service.api.routes.roster import import_file

    assert not inspect.iscoroutinefunction(import_file)


@pytest.fixture(scope="module")
def api(engine, sample_loaded):
    from fastapi.testclient import TestClient

    from gis_service.api.app import create_app

    with TestClient(create_app(engine)) as c:
        yield c


def test_http_import_without_geometry_is_a_400(api, tokens):
    from tests.conftest import bearer

    body = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {"code": "1"}, "geometry": None}],
        }
    ).encode()
    res = api.post(
        "/imports/regions",
        files={"file": ("nogeom.geojson", body, "application/geo+json")},
        headers=bearer(tokens["office"]),
    )
    assert res.status_code == 400 and "geometry" in res.json()["detail"]
    evil = _zip_bytes({"regions.vrt": VRT})
    res = api.post(
        "/imports/regions",
        files={"file": ("evil.zip", evil, "application/zip")},
        headers=bearer(tokens["office"]),
    )
    assert res.status_code == 400 and "root:" not in res.text


def test_a_cheap_request_is_answered_while_an_import_runs(api, tokens, monkeypatch):
    """The import holds its worker thread, not the event loop: /health is answered while the
    import is still inside ``run_import`` (held there until the answer came, or 20 s)."""
    import threading

    from gis_service.api.routes import roster
    from tests.conftest import bearer

    inside, answered = threading.Event(), threading.Event()
    real = roster.run_import

    def held(*args, **kwargs):
        inside.set()
        answered.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(roster, "run_import", held)
    body = json.dumps({"type": "FeatureCollection", "features": []}).encode()
    result: dict = {}

    def upload() -> None:
        result["import"] = api.post(
            "/imports/regions",
            files={"file": ("empty.geojson", body, "application/geo+json")},
            headers=bearer(tokens["office"]),
        )

    worker = threading.Thread(target=upload)
    worker.start()
    try:
        assert inside.wait(20), "the import never reached run_import"
        health = api.get("/health")
        answered_during_import = worker.is_alive()
    finally:
        answered.set()
        worker.join(30)
    assert health.status_code == 200, health.text
    assert answered_during_import
    assert result["import"].status_code == 400  # an empty file changes nothing


def _zip_bytes(members: dict[str, str]) -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()
