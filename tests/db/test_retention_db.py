"""Retention (``gis-service patrols archive``): a month of patrols leaves the database as
GeoParquet, verified, readable by Dask and geopandas, and comes back row for row; what must
stay (the retention period, an audit's accountability records, problems, a pending
re-match) is refused by name."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import shapely
from sqlalchemy import text
from typer.testing import CliRunner

from gis_service.db import partitions
from gis_service.db.patrol_store import CoverageRow, insert_coverage
from gis_service.errors import ConflictError, NotFoundError
from gis_service.services.patrols import PatrolResult, Upload, ingest_patrols
from gis_service.services.retention import archive_month, restore_month
from tests.db.test_partitions_db import gpx_at

MAY = dt.date(2019, 5, 1)
TODAY = dt.date(2026, 11, 30)
CHIEF = "P0145"


@pytest.fixture
def stored(sample_loaded, conn) -> list[str]:
    """Three patrols in May 2019 (one at 23:30 on 31 May in Beijing) and one in June, with
    two coverage rows each (geometries, JSON ranges) on the newest zoning run."""
    starts = [
        dt.datetime(2019, 5, 3, 1, 0, tzinfo=dt.UTC),
        dt.datetime(2019, 5, 17, 6, 0, tzinfo=dt.UTC),
        dt.datetime(2019, 5, 31, 15, 30, tzinfo=dt.UTC),
        dt.datetime(2019, 6, 2, 1, 0, tzinfo=dt.UTC),
    ]
    uploads = [
        Upload(gpx_at(s, lon=109.2 + 0.01 * k), f"old-{k}.gpx", CHIEF) for k, s in enumerate(starts)
    ]
    results = ingest_patrols(conn, uploads, now=dt.datetime(2019, 7, 1, tzinfo=dt.UTC))
    ids = [str(r.id) for r in results if isinstance(r, PatrolResult)]
    assert len(ids) == 4, results
    run = conn.execute(text("SELECT max(id) FROM zoning_run")).scalar()
    line = shapely.set_srid(shapely.from_wkt("MULTILINESTRING ((109.2 21.6, 109.21 21.6))"), 4326)
    ewkb = shapely.to_wkb(line, hex=True, include_srid=True)
    conn.execute(
        text("DELETE FROM patrol_coverage WHERE patrol_id = ANY(CAST(:i AS uuid[]))"),
        {"i": [str(i) for i in ids]},
    )
    insert_coverage(
        conn,
        [
            CoverageRow(
                uuid.UUID(pid),
                "segment",
                f"R/test/{k}",
                run,
                "R",
                1000.0,
                250.5,
                0.2505,
                1.25,
                [(0.0, 250.5)],
                [(250.5, 1000.0)],
                ewkb,
                None,
            )
            for pid in ids
            for k in range(2)
        ],
    )
    return [str(i) for i in ids]


def _state(conn, month: dt.date) -> dict:
    lo, hi = partitions.month_bounds(month)
    bounds = {"lo": lo, "hi": hi}
    return {
        "patrol": conn.execute(
            text(
                "SELECT id::text, chief_id, content_sha256, started_at, ended_at, uploaded_at, "
                "status, reasons, summary, dropped, ST_AsEWKT(track), zoning_run_id, file_name "
                "FROM patrol WHERE started_at >= :lo AND started_at < :hi ORDER BY id"
            ),
            bounds,
        ).all(),
        "raw": conn.execute(
            text(
                "SELECT patrol_id::text, data, encoding, sha256 FROM patrol_raw "
                "WHERE started_at >= :lo AND started_at < :hi ORDER BY 1"
            ),
            bounds,
        ).all(),
        "coverage": conn.execute(
            text(
                "SELECT id, patrol_id::text, target_id, run_id, covered_m, covered, "
                "ST_AsEWKT(covered_geom), uncovered_geom IS NULL FROM patrol_coverage "
                "WHERE started_at >= :lo AND started_at < :hi ORDER BY id"
            ),
            bounds,
        ).all(),
    }


def _archive(conn, tmp_path, **kw):
    return archive_month(conn, MAY, tmp_path, today=TODAY, retention_years=5, **kw)


def test_a_month_leaves_as_verified_geoparquet_and_comes_back(stored, conn, tmp_path):
    before = _state(conn, MAY)
    june = _state(conn, dt.date(2019, 6, 1))
    assert (len(before["patrol"]), len(before["raw"]), len(before["coverage"])) == (3, 3, 6)

    result = _archive(conn, tmp_path, by="tester")
    assert {t.table: t.rows for t in result.tables} == {
        "patrol": 3,
        "patrol_raw": 3,
        "patrol_coverage": 6,
    }
    assert _state(conn, MAY) == {"patrol": [], "raw": [], "coverage": []}
    assert _state(conn, dt.date(2019, 6, 1)) == june  # the next month is untouched
    assert not partitions.is_attached(conn, "patrol", MAY)
    assert partitions.exists(conn, "patrol", MAY)  # detached, kept as a table (no --drop)

    # GeoParquet: geopandas reads the patrols with their tracks, in WGS84 lon/lat
    import geopandas as gpd

    frame = gpd.read_parquet(tmp_path / "patrol" / "2019-05.parquet")
    assert frame.crs.to_epsg() == 4326 or frame.crs.to_string() == "OGC:CRS84"
    assert sorted(frame["id"]) == [r[0] for r in before["patrol"]]
    assert frame.geometry.name == "track"
    assert shapely.equals_exact(
        frame.set_index("id").loc[before["patrol"][0][0], "track"],
        shapely.from_wkt(before["patrol"][0][10].split(";", 1)[1]),
        tolerance=0,
    )
    # the Dask jobs read every archived month of a table as one dataset
    import dask.dataframe as dd

    coverage = dd.read_parquet(str(tmp_path / "patrol_coverage")).compute()
    assert len(coverage) == 6 and set(coverage["patrol_id"]) == {r[0] for r in before["patrol"]}
    assert coverage["covered_m"].sum() == pytest.approx(6 * 250.5)

    # an upload into the archived month is refused by name; other months go on
    late = ingest_patrols(
        conn,
        [Upload(gpx_at(dt.datetime(2019, 5, 20, 2, tzinfo=dt.UTC), lon=109.3), "late.gpx", CHIEF)],
    )
    assert isinstance(late[0], ConflictError)
    assert "late.gpx" in str(late[0]) and "2019-05 are archived" in str(late[0])

    with pytest.raises(ConflictError, match="archived already"):
        _archive(conn, tmp_path)

    restored = restore_month(conn, MAY)
    assert not restored.dropped
    assert _state(conn, MAY) == before
    assert partitions.is_attached(conn, "patrol_coverage", MAY)
    # the restored partitions are partitions again: a patrol of May can be stored
    again = ingest_patrols(
        conn,
        [Upload(gpx_at(dt.datetime(2019, 5, 20, 2, tzinfo=dt.UTC), lon=109.3), "late.gpx", CHIEF)],
    )
    assert not isinstance(again[0], Exception)


def test_dropped_partitions_are_rebuilt_from_the_files(stored, conn, tmp_path):
    before = _state(conn, MAY)
    result = _archive(conn, tmp_path / "archive", drop=True)
    assert result.dropped and not partitions.exists(conn, "patrol_raw", MAY)
    (tmp_path / "archive").rename(tmp_path / "moved")  # the files went elsewhere since
    with pytest.raises(NotFoundError, match="missing"):
        restore_month(conn, MAY)
    restore_month(conn, MAY, tmp_path / "moved")
    assert _state(conn, MAY) == before
    # a patrol's coverage and raw upload still go with it (the foreign keys are back)
    pid = before["patrol"][0][0]
    conn.execute(text("DELETE FROM patrol WHERE id = :i"), {"i": pid})
    gone = conn.execute(
        text(
            "SELECT (SELECT count(*) FROM patrol_raw WHERE patrol_id = :i) + "
            "(SELECT count(*) FROM patrol_coverage WHERE patrol_id = :i)"
        ),
        {"i": pid},
    ).scalar()
    assert gone == 0


def test_a_changed_archive_file_is_not_restored(stored, conn, tmp_path):
    result = _archive(conn, tmp_path, drop=True)
    path = next(t.file for t in result.tables if t.table == "patrol_raw")
    with open(path, "ab") as f:
        f.write(b"tampered")
    with pytest.raises(ConflictError, match="differs from what was archived"):
        restore_month(conn, MAY)


def test_what_must_stay_is_refused_by_name(stored, conn, tmp_path):
    # inside the retention period: May 2019 is kept until 1 June 2024 + the years
    with pytest.raises(ConflictError, match=r"retention period of 10 years.*until 2029-06-01"):
        archive_month(conn, MAY, tmp_path, today=TODAY, retention_years=10)
    # an accountability record of an audit period covering the month
    record = conn.execute(
        text(
            "INSERT INTO accountability_record (kind, chief_id, period, reason, issued_by, "
            "issued_on, deadline) VALUES ('reminder', :c, '2019-Q2', '巡河不足', 'office', "
            "'2019-07-10', '2019-07-31') RETURNING id"
        ),
        {"c": CHIEF},
    ).scalar()
    with pytest.raises(ConflictError, match=rf"record {record} \(reminder, chief {CHIEF}, "):
        _archive(conn, tmp_path)
    conn.execute(text("DELETE FROM accountability_record WHERE id = :i"), {"i": record})
    # a problem found on one of its patrols
    conn.execute(
        text(
            "INSERT INTO problem (id, category, source, geom, found_at, chief_id, patrol_id, "
            "patrol_started_at) SELECT 'aaaaaaaa-0000-0000-0000-000000000001', 'dumping', "
            "'patrol', ST_SetSRID(ST_MakePoint(109.2, 21.6), 4326), started_at, chief_id, id, "
            "started_at FROM patrol WHERE id = :i"
        ),
        {"i": stored[1]},
    )
    with pytest.raises(ConflictError, match="aaaaaaaa-0000-0000-0000-000000000001"):
        _archive(conn, tmp_path)
    # nothing was written or detached by the refusals
    assert not any(tmp_path.rglob("*.parquet"))
    assert partitions.is_attached(conn, "patrol", MAY)
    # a month without partitions
    with pytest.raises(NotFoundError, match="no partition of 1999-01"):
        archive_month(conn, dt.date(1999, 1, 1), tmp_path, today=TODAY, retention_years=5)


def test_existing_files_are_never_overwritten(stored, conn, tmp_path):
    (tmp_path / "patrol_raw").mkdir()
    (tmp_path / "patrol_raw" / "2019-05.parquet").write_bytes(b"earlier evidence")
    with pytest.raises(ConflictError, match="exist already"):
        _archive(conn, tmp_path)
    assert (tmp_path / "patrol_raw" / "2019-05.parquet").read_bytes() == b"earlier evidence"
    assert partitions.is_attached(conn, "patrol", MAY)


def test_cli_refuses_a_month_inside_the_retention_period(db_url, monkeypatch, tmp_path):
    from gis_service.cli import app
    from gis_service.config import get_settings
    from gis_service.db.engine import get_engine

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("GIS_PATROL_RETENTION_YEARS", "5")
    get_settings.cache_clear()
    get_engine.cache_clear()
    month = (dt.date.today().replace(day=1) - dt.timedelta(days=40)).strftime("%Y-%m")
    try:
        result = CliRunner().invoke(
            app, ["patrols", "archive", "--month", month, "--to", str(tmp_path)]
        )
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"patrols of {month} are within the retention period of 5 years" in result.output
