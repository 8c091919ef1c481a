"""The sample's 一河一策 plan for 南流江: generated as committed, loaded with the sample, and
as of the sample's day (2026-10-15) hand-counted from ``plan_tasks.csv``: NLJ-04 (due
09-30), NLJ-05 (08-31) and NLJ-10 (09-15) overdue; NLJ-01, -08, -11 done on time and NLJ-03
(due 03-31, done 04-15) 15 days late; the other five open."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from gis_service.sample.river_plan import RIVER, SAMPLE_AS_OF, write_plan
from gis_service.services import plan_views as views
from gis_service.services.sample_extras import load_extras


def test_the_generator_rewrites_the_committed_file(sample_loaded, conn, sample_dir, tmp_path):
    assert write_plan(conn, tmp_path) == {"plan_tasks": 12}
    written = (tmp_path / "plan_tasks.csv").read_bytes()
    assert written == (sample_dir / "plan_tasks.csv").read_bytes()


def test_the_loaded_plan_as_of_the_sample_day(sample_loaded, conn):
    assert dt.date(2026, 10, 15) == SAMPLE_AS_OF
    tasks = [t for t in views.list_tasks(conn, RIVER, SAMPLE_AS_OF) if t.code.startswith("NLJ-")]
    assert len(tasks) == 12
    states = {t.code: (t.state, t.days_late) for t in tasks}
    assert {c for c, (s, _) in states.items() if s == "overdue"} == {"NLJ-04", "NLJ-05", "NLJ-10"}
    assert (states["NLJ-04"], states["NLJ-05"], states["NLJ-10"]) == (
        ("overdue", 15),
        ("overdue", 45),
        ("overdue", 30),
    )
    assert {c for c, (s, _) in states.items() if s == "done"} == {"NLJ-01", "NLJ-08", "NLJ-11"}
    assert states["NLJ-03"] == ("done_late", 15)
    assert sum(s == "open" for s, _ in states.values()) == 5
    assert {t.category for t in tasks} == {
        "水资源保护",
        "水域岸线管理保护",
        "水污染防治",
        "水环境治理",
        "水生态修复",
        "执法监管",
    }
    assert sum(t.place_kind == "point" for t in tasks) == 2
    assert {t.code: t.last_percent for t in tasks if t.last_percent is not None} == {
        "NLJ-02": 55,
        "NLJ-04": 60,
        "NLJ-05": 58,
        "NLJ-06": 70,
        "NLJ-12": 40,
    }


def test_loading_again_changes_nothing(sample_loaded, conn, sample_dir):
    count = "SELECT count(*) FROM data_import WHERE kind = 'plan-tasks'"
    before = conn.execute(text(count)).scalar_one()
    reports = load_extras(conn, sample_dir)
    assert [r.skipped_unchanged for r in reports if r.kind == "plan tasks"] == [True]
    assert conn.execute(text(count)).scalar_one() == before
