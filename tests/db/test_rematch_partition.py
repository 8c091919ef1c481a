"""A partition's read (month bounds first, chief by chief) gives exactly the patrols its
job counted (the plan evaluates the zone and month expressions on every stale patrol)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import text

from gis_service.db import rematch_store as store
from gis_service.db.partitions import ensure_months
from gis_service.services.patrols import PatrolSettings, Upload, ingest_patrols
from gis_service.services.zoning import rebuild_zoning

TZ = "Asia/Shanghai"


def test_month_bounds_reach_a_day_beyond_the_local_month():
    lo, hi = store.month_bounds(dt.date(2026, 12, 1), TZ)
    assert lo == dt.datetime(2026, 11, 29, 16, tzinfo=dt.UTC)  # 11-30 00:00 +08
    assert hi == dt.datetime(2027, 1, 1, 16, tzinfo=dt.UTC)  # 2027-01-02 00:00 +08


def _move_start(conn, pid: str, at: str) -> None:
    """Give a stored patrol another start: its raw upload and coverage rows carry the start
    (the partition key, migration 0012), so they leave and come back with it."""
    start = conn.execute(text("SELECT CAST(:t AS timestamptz)"), {"t": at}).scalar_one()
    ensure_months(conn, [start])
    key = {"t": start, "i": pid}
    for table in ("patrol_raw", "patrol_coverage"):
        conn.execute(
            text(
                f"CREATE TEMP TABLE moved_{table} ON COMMIT DROP AS "
                f"SELECT * FROM {table} WHERE patrol_id = CAST(:i AS uuid)"
            ),
            key,
        )
        conn.execute(text(f"DELETE FROM {table} WHERE patrol_id = CAST(:i AS uuid)"), key)
    conn.execute(
        text(
            "UPDATE patrol SET started_at = :t, ended_at = greatest(ended_at, :t) "
            "WHERE id = CAST(:i AS uuid)"
        ),
        key,
    )
    for table in ("patrol_raw", "patrol_coverage"):
        conn.execute(text(f"UPDATE moved_{table} SET started_at = :t"), key)
        conn.execute(text(f"INSERT INTO {table} SELECT * FROM moved_{table}"))
        conn.execute(text(f"DROP TABLE moved_{table}"))


def _ids(batches) -> list[str]:
    return [p.id for batch in batches for p in batch]


def test_partition_read_equals_the_store_read_at_the_month_edges(
    sample_loaded, conn, sample_tracks
):
    manifest = pd.read_csv(sample_tracks / "manifest.csv", dtype={"region_code": str})
    good = manifest[manifest.kind == "good"].head(40)
    uploads = [
        Upload((sample_tracks / r.file).read_bytes(), r.file, r.person_id, r.coord_system)
        for r in good.itertuples()
    ]
    now = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
    ingest_patrols(conn, uploads, now=now, settings=PatrolSettings(timezone=TZ))
    ids = [
        str(i) for i in conn.execute(text("SELECT id FROM patrol ORDER BY id LIMIT 4")).scalars()
    ]
    # the last and first second of local months: 23:59:59 and 00:00:00 +08
    edges = ["2026-07-31 23:59:59+08", "2026-08-01 00:00:00+08", "2026-08-31 23:59:59+08"]
    for pid, at in zip(ids, edges, strict=False):
        _move_start(conn, pid, at)
    rebuild_zoning(conn)  # every stored patrol is stale
    jobs = store.plan(conn, TZ)
    assert {j.month for j in jobs} >= {dt.date(2026, 7, 1), dt.date(2026, 8, 1)}
    seen = []
    for job in jobs:
        batches = list(store.stale_patrols(conn, job, TZ, chunk=7))
        mine = _ids(batches)
        assert len(mine) == len(set(mine)) == job.patrols
        # chief by chief (the assignment cache builds each chief's lines once)
        order = [(p.chief_id, p.uploaded_at) for batch in batches for p in batch]
        assert order == sorted(order)
        seen += mine
    total = conn.execute(text("SELECT count(*) FROM patrol")).scalar_one()
    assert len(seen) == len(set(seen)) == total
