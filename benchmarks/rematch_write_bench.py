"""The write step of a re-match: a chunk's verdicts and coverage rows into the partitioned
tables, by COPY into temporary tables then one UPDATE, DELETE and INSERT … SELECT (today's
``rematch_store.replace_rows``), against the statements before issue 19's storage work (one
UPDATE per patrol, one DELETE, one INSERT of unnested arrays; kept below as the baseline).

    .venv/bin/python -m benchmarks.rematch_write_bench [--patrols 1000]

A scratch database gets the sample region and ``--patrols`` stored patrols (the re-match
benchmark's data: the sample's good tracks and copies a quarter later each); the zoning is
rebuilt without a date, so every patrol is stale. Each partition's chunks (200 patrols) are
judged once, then written by both paths in turn inside a savepoint rolled back after each
(order alternating), so both write the same rows into the same tables; the rows each path
leaves are compared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import time
from collections.abc import Sequence

from sqlalchemy import Connection, create_engine, text

from benchmarks.rematch_bench import NOW, SETTINGS, _uploads
from gis_service.config import get_settings
from gis_service.db import admin, migrate
from gis_service.db import rematch_store as store
from gis_service.db.engine import database_url, with_database
from gis_service.db.patrol_store import CoverageRow, PatrolRow, insert_coverage
from gis_service.services.patrols import ingest_patrols
from gis_service.services.rematch import rematch_chunk
from gis_service.services.sample import SAMPLE_DIR, ensure_tracks, load_sample
from gis_service.services.zoning import rebuild_zoning


def replace_rows_before(
    conn: Connection, patrols: Sequence[PatrolRow], coverage: Sequence[CoverageRow]
) -> None:
    """The write step before COPY (statement for statement; insert_coverage now takes each
    row's partition key from its patrol, as it must on the partitioned table)."""
    conn.execute(
        text(
            "UPDATE patrol SET status = :status, reasons = CAST(:reasons AS jsonb), "
            "summary = CAST(:summary AS jsonb), dropped = CAST(:dropped AS jsonb), "
            "track = CAST(:track AS geometry), coord_system = :coord_system, "
            "geometry_fingerprint = :geometry_fingerprint, zoning_run_id = :zoning_run_id "
            "WHERE id = :id"
        ),
        [
            {
                "id": p.id,
                "status": p.status,
                "reasons": json.dumps(p.reasons),
                "summary": json.dumps(p.summary),
                "dropped": json.dumps(p.dropped),
                "track": p.track,
                "coord_system": p.coord_system,
                "geometry_fingerprint": p.geometry_fingerprint,
                "zoning_run_id": p.zoning_run_id,
            }
            for p in patrols
        ],
    )
    conn.execute(
        text("DELETE FROM patrol_coverage WHERE patrol_id = ANY(CAST(:i AS uuid[]))"),
        {"i": [str(p.id) for p in patrols]},
    )
    insert_coverage(conn, coverage)


_RESULT = (
    "SELECT md5(string_agg(p.id::text || p.status || p.zoning_run_id || "
    "coalesce(ST_AsEWKT(p.track), '') || coalesce(c.rows, ''), ',' ORDER BY p.id)) "
    "FROM patrol p LEFT JOIN LATERAL (SELECT string_agg(target_id || run_id || covered_m || "
    "covered::text || coalesce(ST_AsEWKT(covered_geom), ''), ';' ORDER BY target_id) AS rows "
    "FROM patrol_coverage WHERE patrol_id = p.id) c ON true WHERE p.id = ANY(CAST(:i AS uuid[]))"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patrols", type=int, default=1000)
    args = parser.parse_args()
    ensure_tracks(SAMPLE_DIR)
    url = with_database(database_url(get_settings()), f"gis_service_bench_write_{os.getpid()}")
    admin.ensure_database(url, fresh=True)
    migrate.upgrade(url)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            load_sample(conn)
            rebuild_zoning(conn)
        uploads = _uploads(args.patrols)
        for k in range(0, len(uploads), 50):
            with engine.begin() as conn:
                ingest_patrols(conn, uploads[k : k + 50], now=NOW, settings=SETTINGS)
        with engine.begin() as conn:
            conn.execute(text("UPDATE patrol SET uploaded_at = :n"), {"n": NOW})
            rebuild_zoning(conn)  # applies to every day: every patrol is stale
        timings: dict[str, list[float]] = {"before": [], "copy": []}
        patrols = rows = 0
        with engine.connect() as conn, conn.begin():
            for job in store.plan(conn, SETTINGS.timezone):
                for stored in store.stale_patrols(conn, job, SETTINGS.timezone):
                    verdicts, coverage = rematch_chunk(conn, stored, SETTINGS)
                    ids = [str(p.id) for p in verdicts]
                    patrols += len(verdicts)
                    rows += len(coverage)
                    order = ("before", "copy") if len(timings["copy"]) % 2 else ("copy", "before")
                    results = {}
                    for name in order:
                        write = store.replace_rows if name == "copy" else replace_rows_before
                        with conn.begin_nested() as savepoint:
                            started = time.perf_counter()
                            write(conn, verdicts, coverage)
                            timings[name].append(time.perf_counter() - started)
                            results[name] = conn.execute(text(_RESULT), {"i": ids}).scalar()
                            savepoint.rollback()
                    assert results["before"] == results["copy"], "the two paths differ"
        before, after = sum(timings["before"]), sum(timings["copy"])
        print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.1f}")
        print(f"chunks: {len(timings['copy'])}, patrols: {patrols}, coverage rows: {rows}")
        print(
            f"write step, one UPDATE per patrol + INSERT unnest: {before:.3f} s "
            f"({1000 * before / patrols:.2f} ms per patrol; median chunk "
            f"{1000 * statistics.median(timings['before']):.1f} ms)"
        )
        print(
            f"write step, COPY + UPDATE/DELETE/INSERT … SELECT: {after:.3f} s "
            f"({1000 * after / patrols:.2f} ms per patrol; median chunk "
            f"{1000 * statistics.median(timings['copy']):.1f} ms)"
        )
        print(f"ratio: {before / after:.2f}x; rows left by both paths identical")
    finally:
        engine.dispose()
        admin.drop_database(url)


if __name__ == "__main__":
    main()
