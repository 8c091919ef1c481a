"""An upload's database round trips (issue 17): the service-area test travels with the
prefetch, and its count is the one ``service_area`` reads on its own."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import event

from gis_service.db import patrol_store
from gis_service.services import service_area as area
from gis_service.services.patrols import ingest_patrol

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


@pytest.fixture
def statements(conn):
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(conn, "before_cursor_execute", count)
    yield seen
    event.remove(conn, "before_cursor_execute", count)


def _upload(conn, folder, row):
    return ingest_patrol(
        conn,
        (folder / row.file).read_bytes(),
        filename=row.file,
        chief_id=row.person_id,
        coord_system=row.coord_system,
        now=NOW,
    )


def test_a_warm_upload_asks_the_database_five_times(sample_loaded, sample_tracks, conn, statements):
    """The month's partitions (made if missing, before anything reads the patrol tables),
    prefetch (chiefs, copies, zoning state, context, service area), then the insert of patrol,
    raw upload and coverage inside its savepoint: no separate service-area query."""
    manifest = pd.read_csv(sample_tracks / "manifest.csv", dtype={"region_code": str})
    good = manifest[(manifest.kind == "good") & (manifest.coord_system == "wgs84")]
    first, second = good.iloc[0], good[good.person_id == good.iloc[0].person_id].iloc[1]
    _upload(conn, sample_tracks, first)  # builds the chief's assignment
    statements.clear()
    result = _upload(conn, sample_tracks, second)
    assert result["status"] in ("valid", "partial")
    assert not any("admin_region" in s and "ORDER BY geom <->" in s for s in statements)
    assert "patrol_month_partitions" in statements[0]
    # month partitions, prefetch, SAVEPOINT, insert, RELEASE
    assert len(statements) == 5, statements


@pytest.mark.parametrize(
    "where",
    [
        (109.12, 21.48, 0.02),  # Beihai: inside
        (109.95, 22.80, 0.02),  # partly outside the sample's regions
        (2.35, 48.85, 0.01),  # Paris: outside
    ],
)
def test_the_prefetched_count_is_service_areas_own(sample_loaded, conn, where):
    lon0, lat0, spread = where
    rng = np.random.default_rng(7)
    lon = lon0 + rng.uniform(-spread, spread, 700)
    lat = lat0 + rng.uniform(-spread, spread, 700)
    lon[5] = np.nan  # not tested
    points = area.tested_points(lon, lat)
    assert len(points[0]) == 200
    found = patrol_store.prefetch(conn, [("x", None, "h")], [], [], "Asia/Shanghai", [points])
    alone = area.service_area(conn, lon, lat)
    inside, tested = found.inside[0]
    assert tested == 200
    assert alone.inside_share == inside / tested
    assert area.service_area(conn, lon, lat, found.inside[0]) == alone


def test_a_long_track_is_compressed_with_lz4_and_reads_back(sample_loaded, sample_tracks, conn):
    """The insert asks TOAST for lz4 where the server has it; what is read back is the same
    (the raw upload byte for byte, the track as the patrol's JSON gives it)."""
    from sqlalchemy import text

    from gis_service.services.patrols import raw_upload

    manifest = pd.read_csv(sample_tracks / "manifest.csv", dtype={"region_code": str})
    good = manifest[(manifest.kind == "good") & (manifest.coord_system == "wgs84")]
    sizes = [(sample_tracks / f).stat().st_size for f in good.file]
    row = good.iloc[int(np.argmax(sizes))]  # the longest: its track is TOASTed
    data = (sample_tracks / row.file).read_bytes()
    result = _upload(conn, sample_tracks, row)
    lz4 = conn.execute(
        text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
    ).scalar()
    method, points = conn.execute(
        text("SELECT pg_column_compression(track), ST_NPoints(track) FROM patrol WHERE id = :i"),
        {"i": result["id"]},
    ).one()
    assert points > 150
    assert method == ("lz4" if lz4 else "pglz")
    assert raw_upload(conn, result["id"]) == data


def test_an_upload_owning_its_transaction_writes_without_a_savepoint(
    sample_loaded, sample_tracks, conn, statements
):
    """The API's routes own the upload's transaction (committed whole or rolled back): the
    same patrol is stored, with three statements in all."""
    from sqlalchemy import text

    from gis_service.services.patrols import Upload, ingest_one

    manifest = pd.read_csv(sample_tracks / "manifest.csv", dtype={"region_code": str})
    good = manifest[(manifest.kind == "good") & (manifest.coord_system == "wgs84")]
    rows = good[good.person_id == good.iloc[0].person_id].iloc[:2]
    _upload(conn, sample_tracks, rows.iloc[0])  # builds the chief's assignment
    row = rows.iloc[1]
    statements.clear()
    upload = Upload(
        (sample_tracks / row.file).read_bytes(),
        row.file,
        row.person_id,
        row.coord_system,
    )
    result = ingest_one(conn, upload, now=NOW, savepoint=False)
    assert len(statements) == 3, statements  # month partitions, prefetch, insert
    assert not any("SAVEPOINT" in s for s in statements)
    stored = conn.execute(
        text("SELECT count(*) FROM patrol_raw WHERE patrol_id = :i"), {"i": result.id}
    ).scalar()
    assert stored == 1
