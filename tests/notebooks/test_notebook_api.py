"""The notebook API (``import gis_service as gis``) against the real test database.

Reads are compared with direct SQL; writes run inside a connection-level transaction that is
rolled back, so the shared test database is left as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import zoneinfo

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import text

import gis_service
import gis_service as gis
from gis_service.db.queries import posts_on
from gis_service.notebook import _connection

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
DAY = dt.date(2026, 8, 1)
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
CHIEFS = ("P0145", "P0210")

DESCENDANTS = """
WITH RECURSIVE sub(code) AS (
    SELECT code FROM admin_region WHERE code = :r
    UNION ALL SELECT a.code FROM admin_region a JOIN sub ON a.parent_code = sub.code)
"""


def _scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


# -- the package ---------------------------------------------------------------------------------


def test_package_exports_the_api_lazily():
    from gis_service import notebook

    assert set(notebook.__all__) <= set(gis_service.__all__)
    # one list of names serves both; every name on it must exist
    assert [n for n in notebook.__all__ if not hasattr(notebook, n)] == []
    assert gis.segments is notebook.segments and gis.LEVELS[0] == "province"
    with pytest.raises(AttributeError):
        gis_service.no_such_function  # noqa: B018
    code = "import sys, gis_service, gis_service.cli; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # the CLI stays cheap to start


def test_connect_takes_a_url_or_a_database_name():
    main = _connection.configured_url()
    other = _connection.resolve_url("some_scratch")
    assert (
        other.rsplit("/", 1)[1] == "some_scratch"
        and other.rsplit("/", 1)[0] == main.rsplit("/", 1)[0]
    )
    assert _connection.resolve_url("postgresql://u@h:5/db") == "postgresql+psycopg2://u@h:5/db"
    before = _connection._default
    engine = gis.connect(other, default=False)
    assert engine.url.database == "some_scratch" and _connection._default is before


def test_the_main_database_is_never_emptied_or_dropped(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("must not be called for the main database")

    monkeypatch.setattr(_connection.admin, "ensure_database", forbidden)
    monkeypatch.setattr(_connection.admin, "drop_database", forbidden)
    main = _connection.configured_url()
    for target in (main, main.rsplit("/", 1)[1]):
        with pytest.raises(gis.GisServiceError, match="main database"):
            gis.create_database(target, fresh=True)
        with pytest.raises(gis.GisServiceError, match="main database"):
            gis.drop_database(target)


# -- reads ---------------------------------------------------------------------------------------


def test_regions_per_level_and_within(engine, sample_loaded):
    everything = gis.regions(engine=engine)
    assert str(everything.crs) == "EPSG:4326"
    with engine.connect() as conn:
        expected = dict(
            conn.execute(text("SELECT level, count(*) FROM admin_region GROUP BY 1")).all()
        )
        inside = conn.execute(
            text(
                f"{DESCENDANTS} SELECT count(*) FROM admin_region WHERE level = 'village' "
                "AND code IN (SELECT code FROM sub)"
            ),
            {"r": "450521"},
        ).scalar()
    assert everything.groupby("level").size().to_dict() == expected
    villages = gis.regions(level="village", within="450521", engine=engine)
    assert len(villages) == inside > 0
    assert set(villages["level_label"]) == {"村级"}


def test_segment_counts_per_level_equal_sql(engine, sample_loaded):
    segs = gis.segments(engine=engine)
    with engine.connect() as conn:
        expected = dict(
            conn.execute(text("SELECT level, count(*) FROM river_segment GROUP BY 1")).all()
        )
        in_county = {
            r[0]
            for r in conn.execute(
                text(
                    f"{DESCENDANTS} SELECT id FROM river_segment WHERE level = 'village' AND "
                    "(region_code IN (SELECT code FROM sub) OR left_region_code IN "
                    "(SELECT code FROM sub) OR right_region_code IN (SELECT code FROM sub))"
                ),
                {"r": "450521"},
            )
        }
    assert segs.groupby("level").size().to_dict() == expected
    county = gis.segments(region="450521", level="village", engine=engine)
    assert set(county["id"]) == in_county
    boundary = county[county["kind"] == "boundary"]
    assert len(boundary) and boundary["left_region_name"].notna().all()
    polygons = gis.segments(region="450521", level="village", polygons=True, engine=engine)
    assert set(polygons.geom_type) == {"MultiPolygon"}


def test_metric_helpers_measure_in_metres(engine, sample_loaded):
    segs = gis.segments(engine=engine)
    assert gis.metric_crs(segs).to_epsg() == 4545  # CGCS2000 GK CM 108E (Beihai)
    lengths = gis.to_metric(segs).length
    assert (lengths - segs["length_m"]).abs().max() < 0.5


def test_zones_and_joint_sections_equal_sql(engine, sample_loaded):
    zones = gis.zones(water_body="K4505-01", engine=engine)
    assert set(zones["kind"]) == {"water_area", "shoreline", "water_share"}
    assert len(zones) == _scalar(
        engine, "SELECT count(*) FROM still_water_zone WHERE water_body_code = 'K4505-01'"
    )
    shore = zones[zones["kind"] == "shoreline"]
    assert shore["region_name"].notna().all() and (shore["shore_length_m"] > 0).all()
    points = gis.joint_sections(points=True, engine=engine)
    assert set(points.geom_type) == {"Point"}
    assert len(points) == _scalar(engine, "SELECT count(*) FROM joint_section")
    county = gis.joint_sections(region="450521", level="county", engine=engine)
    assert len(county) and county["upstream_region_name"].notna().all()


def test_chiefs_are_the_posts_held_that_day(engine, sample_loaded):
    frame = gis.chiefs(DAY, engine=engine)
    with engine.connect() as conn:
        expected = posts_on(conn, DAY)
    assert sorted(frame["post_id"]) == sorted(p["id"] for p in expected)
    river = gis.chiefs("2026-08-01", water_body="R4505-04-02", engine=engine)
    assert set(river["role_label"]) == {"河段长"} and river["water_body_name"].eq("界河").all()


def test_coordination_tables(engine, sample_loaded):
    report = gis.coordination("R4505-04-02", DAY, engine=engine)
    assert len(report.stretches) == _scalar(
        engine, "SELECT count(*) FROM river_segment WHERE water_body_code = 'R4505-04-02'"
    )
    assert report.stretches.geometry.notna().all()
    assert report.convener["county"]["code"] == report.convener_lengths["code"].iloc[0]
    per_level = report.stretches_per_level()
    assert per_level.loc["county", "boundary"] == 1
    tables = report.by_region("county")
    assert set(tables) == {"合浦县 (450521)", "铁山港区 (450512)"}
    shared = report.stretches[report.stretches["kind"] == "boundary"]
    for table in tables.values():  # a boundary stretch belongs to both banks' tables
        assert (table["kind"] == "boundary").sum() == len(shared)
    assert len(report.joint_sections) == _scalar(
        engine, "SELECT count(*) FROM joint_section WHERE water_body_code = 'R4505-04-02'"
    )
    assert set(report.unassigned["bank"]) == {"right"}


def test_neighbours_walk_into_the_main_stem(engine, sample_loaded):
    last = "R4505-04-02/county/450512/1"
    near = gis.neighbours(last, distance_m=10_000, on=DAY, engine=engine)
    down = near[near["direction"] == "downstream"]
    assert down["water_body_code"].eq("R4505-04").any()
    assert (near[near["direction"] == "upstream"]["water_body_code"] == "R4505-04-02").all()
    assert near.geometry.notna().all() and near["chief_names"].str.len().gt(0).any()
    with pytest.raises(gis.GisServiceError):
        gis.neighbours("no/such/segment", engine=engine)


# -- writes and the audit (inside a rolled-back transaction) -------------------------------------


@pytest.fixture(scope="module")
def uploaded(engine, sample_loaded, sample_tracks):
    """Two chiefs' tracks and the GCJ-02 ones uploaded through the API, rolled back after."""
    manifest = pd.read_csv(sample_tracks / "manifest.csv", dtype=str)
    chosen = manifest[manifest["person_id"].isin(CHIEFS) | (manifest["coord_system"] != "wgs84")]
    files = [sample_tracks / f for f in chosen["file"]]
    with engine.connect() as conn:
        transaction = conn.begin()
        results = gis.upload_tracks(
            [*files, sample_tracks / "manifest.csv"],
            chief_id=dict(zip(chosen["file"], chosen["person_id"], strict=True)),
            coord_system=dict(zip(chosen["file"], chosen["coord_system"], strict=True)),
            now=NOW,
            engine=conn,
        )
        yield conn, results, chosen
        transaction.rollback()


def test_upload_tracks_reports_each_file(uploaded):
    conn, results, chosen = uploaded
    rows = results.merge(chosen[["file", "kind"]], on="file", how="left")
    rejected = rows[rows["file"] == "manifest.csv"].iloc[0]
    assert rejected["status"] == "rejected" and "missing columns" in rejected["error"]
    assert rows[rows["kind"].isin(["good", "gcj02"])]["status"].eq("valid").all()
    assert rows[rows["kind"] == "too_short"]["status"].eq("invalid").all()
    # a re-upload is the stored patrol again (counted once), or the same track on another day
    reuploads = rows[rows["kind"] == "reupload"]
    assert reuploads["duplicate"].any()
    assert all(r.duplicate or "reused_geometry" in r.reasons for r in reuploads.itertuples())
    stored = conn.execute(text("SELECT count(*) FROM patrol")).scalar()
    assert stored == results["patrol_id"].dropna().nunique()
    assert gis.upload_tracks([], engine=conn).empty


def test_patrols_table_and_tracks(uploaded):
    conn, results, _ = uploaded
    trips = gis.patrols(chief="P0145", engine=conn)
    assert len(trips) == results[results["chief_id"] == "P0145"]["patrol_id"].nunique()
    assert str(trips["started_at"].dt.tz) == "Asia/Shanghai"
    assert trips.geometry.notna().all() and str(trips.crs) == "EPSG:4326"
    july = gis.patrols(start="2026-07-01", end="2026-07-31", track=False, engine=conn)
    assert "geometry" not in july and july["started_at"].dt.month.eq(7).all()


def test_audit_counts_match_the_manifest(uploaded, tmp_path):
    conn, _, chosen = uploaded
    report = gis.audit("450500", "2026-Q3", as_of="2026-10-15", engine=conn)
    # counted: good or GCJ-02 tracks in Q3 (the re-upload counts once, deficient ones never)
    good = chosen[chosen["kind"].isin(["good", "gcj02"])]
    days = pd.to_datetime(good["start_time"]).dt.tz_convert(TZ).dt.date
    in_q3 = good[(days >= dt.date(2026, 7, 1)) & (days <= dt.date(2026, 9, 30))]
    assert report.raw["counted_patrols"] == len(in_q3)
    for chief in CHIEFS:
        # each good track walks the chief's own village stretch: it counts for that post
        posts = report.posts[
            (report.posts["chief_id"] == chief)
            & (report.posts["role"] == "segment_chief")
            & (report.posts["level"] == "village")
        ]
        assert len(posts) and posts["counted"].eq(int((in_q3["person_id"] == chief).sum())).all()
    by_level = report.compliance_by_level()
    assert by_level["posts"].sum() == len(report.posts)
    assert (
        len(report.targets) == len(report.raw["targets"]) and report.targets.geometry.notna().all()
    )
    assert len(report.gaps) and str(report.gaps.crs) == "EPSG:4326"
    lon, lat = report.gaps.geometry.iloc[0].centroid.coords[0]
    assert 108 < lon < 111 and 20 < lat < 23
    assert set(report.regions["level"]) >= {"city", "county"}

    files = gis.export_audit(report, tmp_path)
    book = openpyxl.load_workbook(next(f for f in files if f.suffix == ".xlsx"))
    assert book.sheetnames == [
        "概要", "河长履职", "分期明细", "河段覆盖", "区域排名", "待巡提示", "点位履职",
    ]  # fmt: skip
    assert book["河长履职"].max_row == len(report.posts) + 1
    gaps = json.loads(next(f for f in files if f.suffix == ".geojson").read_text("utf-8"))
    assert len(gaps["features"]) == len(report.gaps)


def test_a_bad_file_imports_nothing(uploaded, tmp_path, sample_dir):
    conn, _, _ = uploaded
    broken = json.loads((sample_dir / "water_bodies.geojson").read_text("utf-8"))
    broken["features"][0]["properties"]["kind"] = "溪流"
    path = tmp_path / "broken.geojson"
    path.write_text(json.dumps(broken, ensure_ascii=False), "utf-8")
    before = conn.execute(text("SELECT count(*), max(updated_at) FROM water_body")).one()
    with pytest.raises(gis.GisServiceError, match="溪流"):
        gis.import_water_bodies(path, engine=conn)
    assert conn.execute(text("SELECT count(*), max(updated_at) FROM water_body")).one() == before


def test_the_services_maps_in_a_notebook(engine, sample_loaded, tmp_path):
    """The same builders as /maps/...: a folium Map Jupyter shows, and a standalone file."""
    m = gis.river_map("R4505-01", "2026-08-01", engine=engine)
    html = m.get_root().render()
    assert "南流江" in html and "gis-river-segment" in html and "gis-joint" in html
    coverage = gis.coverage_map("450521", "2026-Q3", as_of="2026-10-15", engine=engine)
    saved = gis.save_map(coverage, tmp_path / "coverage.html")
    text_ = saved.read_text(encoding="utf-8")
    assert "合浦县" in text_ and "巡河覆盖图" in text_
    assert "https://cdn" not in text_ and "unpkg.com" not in text_  # inlined: works offline


def test_a_bad_date_is_named_before_any_query():
    with pytest.raises(gis.GisServiceError, match="on expects YYYY-MM-DD, got '2026-13-01'"):
        gis.chiefs("2026-13-01")
    with pytest.raises(gis.GisServiceError, match="as_of expects YYYY-MM-DD"):
        gis.audit("450521", "2026-Q3", as_of="15.10.2026")
