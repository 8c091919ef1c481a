"""Zoning versions and re-matching, end to end on the sample region.

A village boundary moves from 2026-10-01: the zoning is rebuilt with that effective date and
the stored patrols re-matched. The Q3 audit (before the date) must not change, the Q4 audit
must count against the new stretches, and the re-matched rows must be those a fresh upload
of the same files stores.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
import shapely
from sqlalchemy import Connection, text

from gis_service.db import zoning_runs
from gis_service.services.audit import run_audit
from gis_service.services.patrols import PatrolSettings, Upload, ingest_patrols
from gis_service.services.rematch import rematch
from gis_service.services.zoning import rebuild_zoning

TZ = "Asia/Shanghai"
NOW = dt.datetime(2027, 1, 10, tzinfo=dt.UTC)
EFFECTIVE = dt.date(2026, 10, 1)
COUNTY = "450521"
WATER = "R4505-04"
VILLAGE = "450521108202"
SHIFT = dt.timedelta(days=92)


def _shifted(data: bytes, *, nudge: bool) -> bytes:
    """The same walk 92 days later (Q4); nudged 0.2 m north unless it is to be a copy of
    the same points (a reused track)."""
    out = re.sub(
        rb"<time>([^<]+)</time>",
        lambda m: (
            b"<time>"
            + (dt.datetime.fromisoformat(m.group(1).decode().replace("Z", "+00:00")) + SHIFT)
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .encode()
            + b"</time>"
        ),
        data,
    )
    if nudge:
        out = re.sub(rb'lat="([0-9.]+)"', lambda m: b'lat="%.6f"' % (float(m.group(1)) + 2e-6), out)
    return out


def _uploads(sample_tracks, conn: Connection) -> list[list[Upload]]:
    """Batches as an app would send them: the Q3 tracks of the river's village chiefs around
    the moved boundary, then their Q4 walks (one of them a copy of a Q3 track)."""
    manifest = pd.read_csv(sample_tracks / "manifest.csv", dtype={"region_code": str})
    mine = manifest[(manifest.water_body_code == WATER) & (manifest.level == "village")]
    q3 = [
        Upload((sample_tracks / r.file).read_bytes(), r.file, r.person_id, r.coord_system)
        for r in mine.itertuples()
    ]
    q4 = [
        Upload(_shifted(u.data, nudge=k != 0), f"q4_{u.filename}", u.chief_id, u.coord_system)
        for k, u in enumerate(q3)
    ]
    return [q3[k : k + 25] for k in range(0, len(q3), 25)] + [
        q4[k : k + 25] for k in range(0, len(q4), 25)
    ]


def _upload_at_now(conn: Connection, batches: list[list[Upload]], settings) -> None:
    """Upload as if at NOW (after Q4): the re-match judges a patrol at its upload time."""
    for batch in batches:
        ingest_patrols(conn, batch, now=NOW, settings=settings)
    conn.execute(text("UPDATE patrol SET uploaded_at = :n"), {"n": NOW})


def _neighbour(conn: Connection) -> str:
    """A village next to VILLAGE along the river in the same county (a shared boundary)."""
    rows = conn.execute(
        text(
            "SELECT region_code FROM river_segment WHERE water_body_code = :w AND level = "
            "'village' AND kind = 'inside' ORDER BY chainage_from_m"
        ),
        {"w": WATER},
    ).scalars()
    order = list(rows)
    k = order.index(VILLAGE)
    # downstream first, else upstream; in the same county (the audited region)
    return next(
        c for c in order[k + 1 :] + order[:k][::-1] if c != VILLAGE and c[:6] == VILLAGE[:6]
    )


def _move_boundary(conn: Connection, winner: str, loser: str) -> None:
    """Give ``winner`` the part of ``loser`` within 400 m of it (both snapped to 0.1 m so
    that the new common boundary has the same vertices on both sides)."""
    conn.execute(
        text(
            "WITH piece AS (SELECT ST_MakeValid(ST_Intersection(l.geom, "
            "ST_Buffer(w.geom::geography, 400)::geometry)) AS g "
            "FROM admin_region w, admin_region l WHERE w.code = :w AND l.code = :l) "
            "UPDATE admin_region a SET geom = CASE WHEN a.code = :w "
            "THEN ST_Multi(ST_Union(a.geom, piece.g)) "
            "ELSE ST_Multi(ST_Difference(a.geom, piece.g)) END "
            "FROM piece WHERE a.code IN (:w, :l)"
        ),
        {"w": winner, "l": loser},
    )
    conn.execute(
        text(
            "UPDATE admin_region SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid("
            "ST_SnapToGrid(geom, 1e-6)), 3)) WHERE code IN (:w, :l)"
        ),
        {"w": winner, "l": loser},
    )


def _audit(conn: Connection, period: str) -> dict:
    report = run_audit(conn, COUNTY, period, timezone=TZ, as_of=dt.date(2027, 1, 10)).wire()
    report.pop("generated_at")
    return report


def _rows(conn: Connection) -> tuple[list, list]:
    """Every stored patrol and coverage row, keyed by the patrol's content (ids of uploads
    without an app UUID are drawn at random), other patrols' ids in messages likewise."""
    key: dict[str, str] = dict(
        conn.execute(text("SELECT id::text, content_sha256 FROM patrol")).all()
    )

    def named(value):
        return re.sub(
            r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", lambda m: key[m.group(0)], value
        )

    patrols = conn.execute(
        text(
            "SELECT content_sha256, chief_id, geometry_fingerprint, source_format, file_name, "
            "coord_system, mode, started_at, ended_at, status, reasons::text, summary::text, "
            "dropped::text, ST_AsEWKB(track), zoning_run_id FROM patrol ORDER BY 1"
        )
    ).all()
    coverage = conn.execute(
        text(
            "SELECT p.content_sha256, c.run_id, c.target_type, c.target_id, c.water_body_code, "
            "c.length_m, c.covered_m, c.ratio, c.extension_m, c.covered::text, c.uncovered::text, "
            "ST_AsEWKB(c.covered_geom), ST_AsEWKB(c.uncovered_geom) FROM patrol_coverage c "
            "JOIN patrol p ON p.id = c.patrol_id ORDER BY 1, 2, 3, 4"
        )
    ).all()
    return (
        [tuple(named(v) if isinstance(v, str) else v for v in row) for row in patrols],
        [tuple(row) for row in coverage],
    )


@pytest.fixture(scope="module")
def moved(engine, sample_loaded, sample_tracks):
    """The patrols uploaded, audited, the boundary moved from 2026-10-01, re-matched."""
    settings = PatrolSettings(timezone=TZ)
    with engine.connect() as conn:
        transaction = conn.begin()
        batches = _uploads(sample_tracks, conn)
        _upload_at_now(conn, batches, settings)
        old_run = conn.execute(text("SELECT max(id) FROM zoning_run")).scalar_one()
        before = {p: _audit(conn, p) for p in ("2026-Q3", "2026-Q4")}
        neighbour = _neighbour(conn)
        _move_boundary(conn, VILLAGE, neighbour)
        built = rebuild_zoning(conn, effective=EFFECTIVE)
        stale = _audit(conn, "2026-Q4")
        # the job table is the database's: other tests' runs may have left done jobs in it
        jobs = [j for j in rematch(conn, settings) if j.run_id == built["run_id"]]
        after = {p: _audit(conn, p) for p in ("2026-Q3", "2026-Q4")}
        yield {
            "conn": conn,
            "settings": settings,
            "batches": batches,
            "old_run": old_run,
            "new_run": built["run_id"],
            "before": before,
            "stale": stale,
            "after": after,
            "jobs": jobs,
            "neighbour": neighbour,
        }
        transaction.rollback()


def _segment_lengths(report: dict, region: str) -> dict[str, float]:
    return {
        t["target_id"]: t["length_m"]
        for t in report["targets"]
        if t["target_type"] == "segment" and t["target_id"].startswith(f"{WATER}/village/{region}")
    }


def test_the_new_run_applies_from_its_date(moved):
    conn = moved["conn"]
    spans = zoning_runs.run_spans(conn, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert [(s.run_id, s.start, s.end) for s in spans] == [
        (moved["old_run"], dt.date(2026, 1, 1), dt.date(2026, 9, 30)),
        (moved["new_run"], EFFECTIVE, dt.date(2026, 12, 31)),
    ]
    runs = {r.id: r for r in zoning_runs.list_runs(conn)}
    assert runs[moved["new_run"]].effective_from == EFFECTIVE
    assert runs[moved["new_run"]].newest and not runs[moved["old_run"]].superseded
    # the old run still governs Q3 and Q3's coverage refers to it: it cannot be pruned
    assert moved["old_run"] not in zoning_runs.prunable(conn)


def test_the_village_stretch_changed(moved):
    old = _segment_lengths(moved["before"]["2026-Q4"], VILLAGE)
    new = _segment_lengths(moved["after"]["2026-Q4"], VILLAGE)
    assert old and new
    assert sum(new.values()) > sum(old.values()) + 100  # it gained the neighbour's part
    lost = _segment_lengths(moved["after"]["2026-Q4"], moved["neighbour"])
    assert sum(lost.values()) < sum(
        _segment_lengths(moved["before"]["2026-Q4"], moved["neighbour"]).values()
    )


def test_q3_audit_is_unchanged(moved):
    before, after = moved["before"]["2026-Q3"], moved["after"]["2026-Q3"]
    in_q3 = [s for s in after["zoning_runs"] if s["end"] <= "2026-09-30"]
    assert in_q3 and all(s["run_id"] == moved["old_run"] for s in in_q3)
    assert {t["run_id"] for t in after["targets"]} == {moved["old_run"]}
    for key in ("targets", "posts", "regions", "counted_patrols", "patrols_in_period"):
        assert after[key] == before[key], key


def test_q4_audit_waits_for_the_rematch_then_uses_the_new_stretches(moved):
    stale, after = moved["stale"], moved["after"]["2026-Q4"]
    assert stale["patrols_not_rematched"] > 0
    assert after["patrols_not_rematched"] == 0
    assert [s["run_id"] for s in after["zoning_runs"] if s["start"] >= "2026-10-01"] == [
        moved["new_run"]
    ]
    assert {t["run_id"] for t in after["targets"]} == {moved["new_run"]}
    assert after["counted_patrols"] > 0
    # the village chief's Q4 walks are credited on the village's new, longer stretch
    new = _segment_lengths(after, VILLAGE)
    walked = [t for t in after["targets"] if t["target_id"] in new]
    assert any(t["patrols"] > 0 for t in walked)


def test_jobs_are_partitions_of_zone_and_month_and_all_done(moved):
    jobs = moved["jobs"]
    assert jobs and all(j.status == "done" for j in jobs)
    # the Q4 walks (shifted Q3 ones, July to September) fall in October to December; the
    # Q3 ones are governed by the old run and are not stale
    assert {j.month for j in jobs} == {dt.date(2026, m, 1) for m in (10, 11, 12)}
    # the tracks lie east of 109.5°E: CGCS2000 3-degree GK zone CM 111E
    assert {j.zone_epsg for j in jobs} == {4546}
    assert all(j.run_id == moved["new_run"] for j in jobs)
    q4 = sum(len(b) for b in moved["batches"]) // 2
    # every Q4 upload stored once (the copy of a Q3 track is a patrol of its own day)
    assert sum(j.done for j in jobs) == sum(j.patrols for j in jobs) == q4
    # idempotent: nothing left to do, the rows stay
    conn = moved["conn"]
    rows = _rows(conn)
    again = [j for j in rematch(conn, moved["settings"]) if j.run_id == moved["new_run"]]
    assert [j.done for j in again] == [j.done for j in jobs]
    assert _rows(conn) == rows


def test_rematched_rows_equal_a_fresh_upload(moved):
    conn = moved["conn"]
    rematched = _rows(conn)
    with conn.begin_nested() as savepoint:
        conn.execute(text("DELETE FROM patrol"))
        _upload_at_now(conn, moved["batches"], moved["settings"])
        fresh = _rows(conn)
        savepoint.rollback()
    assert len(rematched[0]) == len(fresh[0]) > 0
    assert rematched[0] == fresh[0]
    assert rematched[1] == fresh[1]
    # the Q4 patrols are now measured against the new run, the Q3 ones still against the old
    runs = {row[-1] for row in rematched[0]}
    assert runs == {moved["old_run"], moved["new_run"]}


def test_a_patrol_map_draws_the_stretches_of_the_patrols_run(moved):
    """A Q3 patrol was measured against the old run: its map draws the moved village's
    stretches as that run keeps them, not as the newest run (the working tables) has them."""
    from gis_service.services.maps import patrol_data

    conn = moved["conn"]
    row = conn.execute(
        text(
            "SELECT p.id::text, c.target_id FROM patrol p JOIN patrol_coverage c "
            "ON c.patrol_id = p.id WHERE p.zoning_run_id = :r AND c.target_id LIKE :t "
            "ORDER BY p.started_at, p.id LIMIT 1"
        ),
        {"r": moved["old_run"], "t": f"{WATER}/village/{VILLAGE}/%"},
    ).one()
    patrol_id, target = row
    kept, newest = (
        conn.execute(text(sql), {"i": target, "r": moved["old_run"]}).scalar_one()
        for sql in (
            "SELECT ST_AsBinary(geom) FROM river_segment_version WHERE run_id = :r AND id = :i",
            "SELECT ST_AsBinary(geom) FROM river_segment WHERE id = :i AND :r > 0",
        )
    )
    assert bytes(kept) != bytes(newest)
    drawn = patrol_data(conn, patrol_id, timezone=TZ).targets
    geometry = drawn.set_index("id").geometry[target]
    assert geometry.equals_exact(shapely.from_wkb(bytes(kept)), 1e-9)
