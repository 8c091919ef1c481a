"""The maps served by the app: contents checked against the database and the audit."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from typer.testing import CliRunner

from gis_service.api.app import create_app
from gis_service.api.deps import get_connection
from gis_service.maps import assets
from gis_service.services.audit import run_audit
from gis_service.services.patrols import Upload, ingest_patrols
from tests.conftest import bearer
from tests.maps.test_map_builders import feature_counts

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
AS_OF = dt.date(2026, 10, 15)
REGION = "450521"  # 合浦县
COVERAGE = f"/maps/coverage?region={REGION}&period=2026-Q3&as_of=2026-10-15&basemap=none"


def ingest_tracks(conn: Connection, tracks: Path, region_prefix: str | None = None) -> int:
    """The sample GPX tracks (of one region's chiefs, or all), ingested on ``conn``."""
    manifest = pd.read_csv(tracks / "manifest.csv", dtype={"region_code": str})
    if region_prefix:
        manifest = manifest[manifest["region_code"].str.startswith(region_prefix)]
    uploads = [
        Upload((tracks / r.file).read_bytes(), r.file, r.person_id, r.coord_system)
        for r in manifest.itertuples()
    ]
    for k in range(0, len(uploads), 50):
        ingest_patrols(conn, uploads[k : k + 50], now=NOW)
    return len(uploads)


def patrol_with_dropped_points(conn: Connection) -> tuple[uuid.UUID, int]:
    """The first stored patrol whose cleaning dropped points, and how many it dropped."""
    patrol_id, dropped = conn.execute(
        text(
            "SELECT id, jsonb_array_length(dropped) FROM patrol "
            "WHERE jsonb_array_length(dropped) > 0 ORDER BY started_at LIMIT 1"
        )
    ).one()
    return patrol_id, dropped


def client_on(conn: Connection, engine: Engine, token: str | None = None) -> TestClient:
    """The app reading through ``conn`` (its uncommitted patrols included)."""
    app = create_app(engine)

    def same_connection() -> Iterator[Connection]:
        yield conn

    app.dependency_overrides[get_connection] = same_connection
    return TestClient(app, headers=bearer(token) if token else None)


@pytest.fixture(scope="module")
def served(engine, sample_loaded, sample_tracks, tokens):
    """The sample with 合浦县's tracks ingested, rolled back afterwards, and the office's
    client (tracks are the office's and their chief's to see)."""
    with engine.connect() as conn:
        transaction = conn.begin()
        ingest_tracks(conn, sample_tracks, REGION)
        with client_on(conn, engine, tokens["office"]) as client:
            yield conn, client
        transaction.rollback()


def _village_segments(conn: Connection, region: str) -> int:
    return (
        conn.scalar(
            text(
                "SELECT count(*) FROM river_segment WHERE level = 'village' AND kind <> 'outside' "
                "AND (region_code LIKE :p OR left_region_code LIKE :p OR right_region_code LIKE :p)"
            ),
            {"p": f"{region}%"},
        )
        or 0
    )


def test_coverage_map_offline_counts_and_popups(served):
    conn, client = served
    response = client.get(COVERAGE + "&offline=true")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    report = run_audit(conn, REGION, "2026-Q3", as_of=AS_OF, timezone="Asia/Shanghai")
    village = [
        t for t in report["targets"] if t["target_type"] == "segment" and t["level"] == "village"
    ]
    assert len(village) == _village_segments(conn, REGION)
    assert feature_counts(html, "gis-segment", "gis-village") == len(village)
    gaps = sum(len(t["gaps"]) for t in village)
    assert feature_counts(html, "gis-gap", "gis-village") == gaps > 0
    assert "河段覆盖率" in html and "合浦县 巡河覆盖图" in html
    # popups: a village chief's name, the level, a coverage share and counted/required
    post = next(
        p
        for p in report["posts"]
        if p["level"] == "village" and p["counted"] > 0 and p["role"] != "general_chief"
    )
    assert json.dumps(post["chief_name"]) in html
    assert f'"{post["counted"]}/{post["required"]}"' in html
    assert json.dumps("村级") in html and json.dumps("覆盖率") in html
    # offline: every asset from the app itself, and it serves them
    assert assets.remote_references(html) == []
    for src in re.findall(r'(?:src|href)="(/static/vendor/[^"]+)"', html):
        asset = client.get(src)
        assert asset.status_code == 200, src
        assert ("javascript" if src.endswith(".js") else "css") in asset.headers["content-type"]


def test_coverage_map_tracks_only_when_asked(served):
    conn, client = served
    assert feature_counts(client.get(COVERAGE).text, "gis-track") == 0
    html = client.get(COVERAGE + "&include_tracks=true").text
    expected = conn.execute(
        text(
            "SELECT count(*) FROM patrol WHERE track IS NOT NULL "
            "AND started_at >= '2026-06-30T16:00:00Z' AND started_at < '2026-09-30T16:00:00Z' "
            "AND ST_Intersects(track, (SELECT geom FROM admin_region WHERE code = :r))"
        ),
        {"r": REGION},
    ).scalar()
    assert feature_counts(html, "gis-track") == expected > 0


def test_coverage_map_vector_tiles_and_english(served):
    _, client = served
    html = client.get(COVERAGE + "&tiles=true&lang=en&offline=true").text
    assert "L.vectorGrid.protobuf" in html and "/tiles/segments/{z}/{x}/{y}.pbf" in html
    assert feature_counts(html, "gis-segment") == 0
    assert "Segment coverage" in html
    assert assets.remote_references(html) == []


def test_coverage_map_errors(served):
    _, client = served
    bad_period = client.get(f"/maps/coverage?region={REGION}&period=2026-Q5")
    assert bad_period.status_code == 400
    assert client.get("/maps/coverage?region=999999&period=2026-Q3").status_code == 404
    assert client.get(COVERAGE + "&lang=fr").status_code == 422
    tianditu = client.get(f"/maps/coverage?region={REGION}&period=2026-Q3&basemap=tianditu")
    assert tianditu.status_code == 400 and "key" in tianditu.json()["detail"]


def test_patrol_map_shows_every_dropped_point(served):
    conn, client = served
    patrol_id, dropped = patrol_with_dropped_points(conn)
    html = client.get(f"/maps/patrols/{patrol_id}?basemap=none&offline=true").text
    assert feature_counts(html, "gis-dropped") == dropped
    assert "L.timeDimension" in html and feature_counts(html, "gis-target") > 0
    assert assets.remote_references(html) == []
    assert client.get(f"/maps/patrols/{uuid.uuid4()}").status_code == 404
    assert client.get("/maps/patrols/not-a-uuid").status_code == 422


def test_tracks_are_for_the_office_and_their_chief(served, engine, tokens):
    conn, _ = served
    patrol_id, chief = conn.execute(
        text("SELECT id, chief_id FROM patrol ORDER BY started_at LIMIT 1")
    ).one()
    other = "P0145" if chief != "P0145" else "P0210"
    with client_on(conn, engine) as anonymous:
        assert anonymous.get(COVERAGE).status_code == 200  # the map itself is public
        assert anonymous.get(COVERAGE + "&include_tracks=true").status_code == 401
        assert anonymous.get(f"/maps/patrols/{patrol_id}").status_code == 401
        own = anonymous.get(f"/maps/patrols/{patrol_id}?access_token={tokens[chief]}")
        assert own.status_code == 200 and "gis-track" in own.text
    with client_on(conn, engine, tokens[other]) as someone_else:
        assert someone_else.get(f"/maps/patrols/{patrol_id}").status_code == 403
        assert someone_else.get(COVERAGE + "&include_tracks=true").status_code == 403


def test_river_map(served):
    conn, client = served
    html = client.get("/maps/rivers/R4505-01-01?date=2026-10-15&basemap=none").text
    expected = conn.execute(
        text(
            "SELECT count(*) FROM river_segment WHERE water_body_code = 'R4505-01-01' "
            "AND kind <> 'outside'"
        )
    ).scalar()
    assert feature_counts(html, "gis-river-segment") == expected > 0
    assert feature_counts(html, "gis-downstream") >= 1  # the main stem below its mouth
    assert "河流协调图" in html
    assert client.get("/maps/rivers/NOPE").status_code == 404


def test_cli_exports_a_standalone_file(tmp_path, monkeypatch, db_url, sample_loaded):
    monkeypatch.setenv("DATABASE_URL", db_url)
    from gis_service.cli import app
    from gis_service.config import get_settings
    from gis_service.db.engine import get_engine

    get_settings.cache_clear()
    get_engine.cache_clear()
    out = tmp_path / "river.html"
    try:
        result = CliRunner().invoke(
            app,
            ["map", "river", "R4505-01", "--date", "2026-10-15", "--basemap", "none", "-o", out],
        )
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<script src=" not in html and "L.Control.Measure" in html
    assert assets.remote_references(html) == []
    assert feature_counts(html, "gis-river-segment") > 0


def _vendored_sources(client: TestClient, html: str) -> list[str]:
    """The /static/vendor (maps) and /static/docs (API docs) files a page loads, each checked
    to be served (200)."""
    sources = re.findall(r'(?:src|href)="(/static/(?:vendor|docs)/[^"]+)"', html)
    for src in sources:
        assert client.get(src).status_code == 200, src
    return sources


def test_served_maps_use_the_apps_assets_without_being_asked(served):
    """No ``offline=true`` and no setting: the page still loads nothing from a CDN."""
    _, client = served
    for url in (COVERAGE, "/maps/rivers/R4505-01?basemap=none"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert assets.remote_references(response.text) == [], url
        assert any("leaflet.js" in s for s in _vendored_sources(client, response.text)), url


def test_served_maps_refuse_offline_false(served):
    _, client = served
    response = client.get(COVERAGE + "&offline=false")
    assert response.status_code == 400
    assert "offline=false" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "script"),
    [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")],
)
def test_api_docs_pages_use_the_apps_assets(served, path, script):
    _, client = served
    response = client.get(path)
    assert response.status_code == 200
    assert assets.remote_references(response.text) == []
    assert "fonts.googleapis" not in response.text
    sources = _vendored_sources(client, response.text)
    assert any(s.endswith(script) for s in sources), sources


def test_gap_popups_name_chiefs_and_region_and_phones_only_for_the_office(served, engine):
    conn, office = served
    report = run_audit(conn, REGION, "2026-Q3", as_of=AS_OF, timezone="Asia/Shanghai")
    gap = next(t for t in report["targets"] if t["gaps"] and t["chief_names"])
    phone = conn.execute(
        text("SELECT phone FROM chief WHERE id = :c"), {"c": gap["chiefs"][0]}
    ).scalar_one()
    html = office.get(COVERAGE).text
    # the gap layers' popups carry the chiefs, their region and (office) the phone numbers
    assert 'let fields = ["river", "level_label", "region", "chiefs", "contacts"' in html
    assert json.dumps(f"{gap['chief_names'][0]} {phone}")[1:-1] in html
    with client_on(conn, engine) as public:
        public_html = public.get(COVERAGE).text
    assert 'let fields = ["river", "level_label", "region", "chiefs", "last_patrol"' in public_html
    assert phone not in public_html and "199-0000-" not in public_html
    assert json.dumps(gap["chief_names"][0])[1:-1] in public_html


def test_popups_label_the_water_by_its_kind(served):
    conn, client = served
    html = client.get(COVERAGE).text
    kinds = {
        k
        for (k,) in conn.execute(
            text(
                "SELECT DISTINCT w.kind FROM still_water_zone z JOIN water_body w "
                "ON w.code = z.water_body_code"
            )
        ).all()
    }
    assert kinds and kinds <= {"reservoir", "lake", "pond"}
    # the zones' popup says 水库 (or 湖泊...), never 河流, for a reservoir
    zone_part = html[html.index("gis-zone") :]
    aliases = re.search(r"let aliases = (\[[^\]]*\])", zone_part)
    assert aliases is not None
    zone_alias = json.loads(aliases.group(1))[0]
    assert "河流" not in zone_alias and ("水库" in zone_alias or "湖泊" in zone_alias), zone_alias
    # the canal among the segments makes their label 河流/渠道
    assert json.dumps("河流/渠道") in html


def test_audit_gaps_download_as_geopackage(served, tmp_path):
    import pyogrio

    _, client = served
    url = f"/audits/gaps?region={REGION}&period=2026-Q3&as_of=2026-10-15"
    gaps = client.get(url).json()["features"]
    response = client.get(url + "&f=gpkg")
    assert response.status_code == 200
    assert f"gaps_{REGION}_2026-Q3.gpkg" in response.headers["content-disposition"]
    path = tmp_path / "gaps.gpkg"
    path.write_bytes(response.content)
    frame = pyogrio.read_dataframe(path)
    assert len(frame) == len(gaps) > 0
    assert sorted(frame["target_id"]) == sorted(g["properties"]["target_id"] for g in gaps)


def test_river_map_without_tiles_draws_its_own_base(served):
    """basemap=none: county and township boundaries around the river, their names, and the
    water polygons, so an intranet map without a tile server is readable."""
    conn, client = served
    expected = (
        conn.execute(
            text(
                "WITH box AS (SELECT ST_Envelope(ST_Collect(geom)) AS g FROM river_segment "
                "WHERE water_body_code = 'R4505-01' AND kind <> 'outside') "
                "SELECT a.name FROM admin_region a, box WHERE a.level IN ('county', 'township') "
                "AND ST_Intersects(a.geom, box.g)"
            )
        )
        .scalars()
        .all()
    )
    assert "合浦县" in expected
    html = client.get("/maps/rivers/R4505-01?basemap=none").text
    assert feature_counts(html, "gis-base-region") == len(expected)
    assert html.count("gis-region-label") == len(expected)
    for name in expected:
        assert json.dumps(name)[1:-1] in html or name in html, name
    assert feature_counts(html, "gis-base-water") > 0
    # a configured tile service is the base instead: ours stays off the map, ready for the
    # browser to switch on when the tiles fail (tile_fallback.py; tests/maps/test_browser.py)
    with_tiles = client.get("/maps/rivers/R4505-01?basemap=osm").text
    found = re.search(r"var fallback = \[([^\]]*)\]", with_tiles)
    assert found is not None
    hidden = found.group(1).split(", ")
    assert len(hidden) >= 3 and all(f"{name}.addTo(" not in with_tiles for name in hidden)
    assert feature_counts(with_tiles, "gis-base-region") == len(expected)
