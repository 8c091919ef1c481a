"""The per-process assignment cache follows the roster and the zoning (issue 17): a chief's
new post, or a new zoning run, gives the next upload a freshly built assignment; an upload
of an unchanged chief reuses the one built."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import text

from gis_service.services import patrols
from gis_service.services.patrol_assignment import ASSIGNMENTS
from gis_service.services.zoning import rebuild_zoning

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def _upload(conn, folder, row):
    """Validated only (nothing stored): the same track can be sent again."""
    return patrols.ingest_patrol(
        conn,
        (folder / row.file).read_bytes(),
        filename=row.file,
        chief_id=row.person_id,
        coord_system=row.coord_system,
        now=NOW,
        store=False,
    )


def _water_targets(result: dict) -> set[str]:
    return {t["water_body_code"] for t in result["summary"]["targets"]}


def test_a_new_post_or_zoning_run_rebuilds_the_chiefs_assignment(
    sample_loaded, sample_tracks, conn
):
    manifest = pd.read_csv(sample_tracks / "manifest.csv", dtype={"region_code": str})
    good = manifest[(manifest.kind == "good") & (manifest.coord_system == "wgs84")]
    row = good.iloc[0]
    ASSIGNMENTS.clear()
    built: list[object] = []
    original_get = ASSIGNMENTS.get

    def counting_get(key, build):
        def counted():
            built.append(key)
            return build()

        return original_get(key, counted)

    ASSIGNMENTS.get = counting_get  # type: ignore[method-assign]
    try:
        first = _upload(conn, sample_tracks, row)
        again = _upload(conn, sample_tracks, row)
        assert len(built) == 1  # the same roster and zoning: built once
        # run and post ids are the database's own: the key names the database too
        assert built[0][0].endswith(f"/{conn.engine.url.database}")
        assert again["summary"]["targets"] == first["summary"]["targets"]

        # a new post on another water: the chief's assignment now includes it
        day = dt.date.fromisoformat(first["started_at"][:10])
        other = conn.execute(
            text(
                "SELECT s.water_body_code, s.level, s.region_code FROM river_segment s "
                "WHERE s.kind = 'inside' AND s.water_body_code <> ALL(:mine) "
                "ORDER BY s.length_m DESC LIMIT 1"
            ),
            {"mine": sorted(_water_targets(first))},
        ).one()
        conn.execute(
            text(
                "INSERT INTO chief_post (chief_id, role, level, region_code, water_body_code, "
                "valid_from) VALUES (:c, 'segment_chief', :l, :r, :w, :d)"
            ),
            {"c": row.person_id, "l": other.level, "r": other.region_code,
             "w": other.water_body_code, "d": day - dt.timedelta(days=1)},
        )  # fmt: skip
        with_post = _upload(conn, sample_tracks, row)
        assert len(built) == 2
        assert other.water_body_code in _water_targets(with_post)

        # a new zoning run: built again, against the new run
        run = rebuild_zoning(conn)["run_id"]
        rezoned = _upload(conn, sample_tracks, row)
        assert len(built) == 3
        assert built[-1][1] == run != built[-2][1]  # (database, run, ...)
        assert other.water_body_code in _water_targets(rezoned)
    finally:
        del ASSIGNMENTS.get
        ASSIGNMENTS.clear()
