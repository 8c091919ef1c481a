"""Joint sections, confluences and conveners are kept per zoning run (migration 0015): a
coordination report (联席会议) of a day reads the run in force that day.

A village boundary moves and a tributary stops being one, from 2026-10-01: the zoning is
rebuilt with that date. The report of 15 August must be the report written before the
rebuild, whole; the report of 15 October shows the new joint sections and tributaries.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import Connection, text

from gis_service.db import zoning_runs
from gis_service.services.maps import coverage_data, river_data
from gis_service.services.zoning import rebuild_zoning
from gis_service.services.zoning_queries import (
    coordination_report,
    neighbours,
    report_of_run,
    unassigned_on,
)
from tests.db.test_rematch_db import _move_boundary, _neighbour

TZ = "Asia/Shanghai"
COUNTY = "450521"
EFFECTIVE = dt.date(2026, 10, 1)
BEFORE = dt.date(2026, 8, 15)
AFTER = dt.date(2026, 10, 15)
WATER = "R4505-04"
VILLAGE = "450521108202"
TRIBUTARY = "R4505-04-02"  # no longer a tributary of WATER from EFFECTIVE on
VERSIONED = (
    ("river_segment", "id"),
    ("still_water_zone", "id"),
    ("joint_section", "id"),
    ("confluence", "tributary_code"),
    ("river_convener", "water_body_code"),
)


def _rivers(conn: Connection) -> list[str]:
    return list(
        conn.execute(
            text("SELECT code FROM water_body WHERE kind IN ('river', 'canal') ORDER BY code")
        ).scalars()
    )


def _reports(conn: Connection, day: dt.date) -> dict[str, dict]:
    return {w: coordination_report(conn, w, day).to_dict() for w in _rivers(conn)}


def _version_rows(conn: Connection, run_id: int | None) -> dict[str, list[tuple]]:
    """Every kept row of the run (geometries as EWKB) without the run id; with None the
    same columns of the working tables."""
    out = {}
    for table, key in VERSIONED:
        columns = conn.execute(
            text(
                "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
                "AND column_name <> 'run_id' ORDER BY ordinal_position"
            ),
            {"t": f"{table}_version"},
        ).scalars()
        select = ", ".join(
            f"ST_AsEWKB({c})" if c in ("geom", "crossing_point") else f"{c}::text" for c in columns
        )
        source, where = zoning_runs.of_run(table, run_id)
        out[table] = [
            tuple(r)
            for r in conn.execute(
                text(f"SELECT {select} FROM {source} WHERE {where} ORDER BY {key}"),
                {"run": run_id},
            )
        ]
    return out


def _rows(frame: pd.DataFrame) -> list[dict]:
    """A (geo)frame's rows, geometries as WKB, NaN as None: comparable with ==."""
    frame = pd.DataFrame(frame).copy()
    if isinstance(frame.get("geometry"), pd.Series) and len(frame):
        frame["geometry"] = shapely.to_wkb(gpd.GeoSeries(frame["geometry"]).values)
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _first_village_stretch(conn: Connection) -> str:
    return conn.execute(
        text(
            "SELECT id FROM river_segment WHERE water_body_code = :w AND level = 'village' "
            "AND kind = 'inside' ORDER BY chainage_from_m LIMIT 1"
        ),
        {"w": WATER},
    ).scalar_one()


def _day_bound(conn: Connection, stretch: str) -> dict:
    """What else answers for the day BEFORE (or Q3): the unassigned list, a walk down the
    river, the river map's frames, the Q3 coverage map's stretches and crossings."""
    river = river_data(conn, WATER, BEFORE)
    coverage = coverage_data(conn, COUNTY, "2026-Q3", as_of=AFTER, timezone=TZ)
    return {
        "unassigned": _rows(unassigned_on(conn, BEFORE)),
        "downstream": [
            n.wire() for n in neighbours(conn, stretch, direction="downstream", day=BEFORE)
        ],
        **{
            f"river_map.{name}": _rows(getattr(river, name))
            for name in ("segments", "joint_sections", "crossings", "upstream", "downstream")
        },
        **{
            f"coverage_map.{name}": _rows(getattr(coverage, name))
            for name in ("segments", "zones", "joint_sections", "crossings")
        },
    }


@pytest.fixture(scope="module")
def rebuilt(engine, sample_loaded):
    """Reports of every river before and after a dated rebuild (rolled back at the end)."""
    with engine.connect() as conn:
        transaction = conn.begin()
        old_run = conn.execute(text("SELECT max(id) FROM zoning_run")).scalar_one()
        before = {BEFORE: _reports(conn, BEFORE), AFTER: _reports(conn, AFTER)}
        stretch = _first_village_stretch(conn)
        day_bound = _day_bound(conn, stretch)
        _move_boundary(conn, VILLAGE, _neighbour(conn))
        conn.execute(
            text("UPDATE water_body SET parent_code = NULL WHERE code = :t"), {"t": TRIBUTARY}
        )
        built = rebuild_zoning(conn, effective=EFFECTIVE)
        after = {BEFORE: _reports(conn, BEFORE), AFTER: _reports(conn, AFTER)}
        yield {
            "conn": conn,
            "old_run": old_run,
            "new_run": built["run_id"],
            "before": before,
            "after": after,
            "stretch": stretch,
            "day_bound": day_bound,
        }
        transaction.rollback()


def test_a_report_before_the_date_is_the_report_written_before_the_rebuild(rebuilt):
    old, now = rebuilt["before"][BEFORE], rebuilt["after"][BEFORE]
    # the tributary's own record is the water body's (not versioned): it names no main
    # stem any more; everything else of every river's report, the whole JSON, is as it was
    now = {**now, TRIBUTARY: dict(now[TRIBUTARY])}
    moved = now[TRIBUTARY].pop("river")
    assert moved == {**old[TRIBUTARY]["river"], "parent_code": None, "main_name": None}
    assert now == {**old, TRIBUTARY: {k: v for k, v in old[TRIBUTARY].items() if k != "river"}}
    report = old[WATER]
    assert report["zoning_run"] == {"id": rebuilt["old_run"], "effective_from": "0001-01-01"}
    assert TRIBUTARY in {t["code"] for t in report["tributaries"]}
    assert report["joint_sections"] and report["convener"]["county"]["code"] == "450521"


def test_a_report_after_the_date_shows_the_new_run(rebuilt):
    old, new = rebuilt["before"][AFTER][WATER], rebuilt["after"][AFTER][WATER]
    assert new["zoning_run"] == {"id": rebuilt["new_run"], "effective_from": "2026-10-01"}
    village = [j for j in new["joint_sections"] if j["level"] == "village"]
    assert village and village != [j for j in old["joint_sections"] if j["level"] == "village"]
    assert TRIBUTARY not in {t["code"] for t in new["tributaries"]}
    assert TRIBUTARY in {t["code"] for t in old["tributaries"]}
    # the new joint sections are those of the working tables (the newest run's)
    conn = rebuilt["conn"]
    stored = conn.execute(
        text(
            "SELECT id FROM joint_section WHERE water_body_code = :w "
            "ORDER BY crossing_chainage_m, id"
        ),
        {"w": WATER},
    ).scalars()
    assert [j["id"] for j in new["joint_sections"]] == list(stored)


def test_the_newest_run_read_from_its_versions_equals_the_working_tables(rebuilt):
    """The kept rows of the newest run give the same report as the working tables, for
    every river: nothing of the run is lost in its copy."""
    conn = rebuilt["conn"]
    run = zoning_runs.run_in_force(conn, AFTER)
    assert run is not None and run.id == rebuilt["new_run"]
    for water, report in rebuilt["after"][AFTER].items():
        assert report_of_run(conn, water, AFTER, run, run_id=None).to_dict() == report, water


def test_the_working_tables_equal_the_newest_runs_kept_rows(rebuilt):
    """Row for row, every column, every versioned table (the rebuild's TRUNCATE locks the
    working tables until the module's transaction ends: read them on its connection)."""
    conn = rebuilt["conn"]
    working, kept = _version_rows(conn, None), _version_rows(conn, rebuilt["new_run"])
    for table, _ in VERSIONED:
        assert working[table] and working[table] == kept[table], table


def test_every_run_keeps_its_rows_and_pruning_removes_them(rebuilt):
    conn = rebuilt["conn"]
    old, new = rebuilt["old_run"], rebuilt["new_run"]
    kept_old, kept_new = _version_rows(conn, old), _version_rows(conn, new)
    for table, _ in VERSIONED:
        assert kept_old[table] and kept_new[table], table
    assert kept_old["joint_section"] != kept_new["joint_section"]
    assert kept_old["confluence"] != kept_new["confluence"]
    assert kept_old["river_convener"] == kept_new["river_convener"]  # no county line moved
    savepoint = conn.begin_nested()
    try:
        # an undated run replaces both: the dated one governs no day and nothing refers to it
        rebuild_zoning(conn)
        assert new in zoning_runs.prunable(conn)
        pruned = zoning_runs.prune(conn)
        assert new in pruned
        for table, _ in VERSIONED:
            left = conn.execute(
                text(f"SELECT count(*) FROM {table}_version WHERE run_id = ANY(:i)"),
                {"i": pruned},
            ).scalar_one()
            assert left == 0, table
    finally:
        savepoint.rollback()


def test_a_day_before_every_run_has_no_zoning(rebuilt):
    conn = rebuilt["conn"]
    savepoint = conn.begin_nested()
    try:
        conn.execute(text("UPDATE zoning_run SET effective_from = :d"), {"d": EFFECTIVE})
        report = coordination_report(conn, WATER, BEFORE).to_dict()
        assert report["zoning_run"] is None
        assert report["levels"] == {} and report["joint_sections"] == []
        assert report["convener"] is None and report["tributaries"] == []
        assert report["river"]["name"]  # the water body itself is not versioned
    finally:
        savepoint.rollback()


def test_every_day_bound_answer_before_the_date_is_unchanged(rebuilt):
    """The unassigned list, walks along the network, the river map and the coverage map of
    a period read the run in force too: for the day before the date they are as before."""
    conn = rebuilt["conn"]
    now = _day_bound(conn, rebuilt["stretch"])
    before = rebuilt["day_bound"]
    assert before["river_map.joint_sections"] and before["coverage_map.segments"]
    assert before["downstream"] and before["unassigned"]
    for name, rows in before.items():
        assert now[name] == rows, name
    # and they did change in the newest run (so the comparison could fail)
    walked = [
        n.wire() for n in neighbours(conn, rebuilt["stretch"], direction="downstream", day=AFTER)
    ]
    assert walked != before["downstream"]
    assert (
        _rows(river_data(conn, WATER, AFTER).joint_sections) != before["river_map.joint_sections"]
    )
