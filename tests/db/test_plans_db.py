"""一河一策 tasks on the real PostGIS: the import (places on the current zoning, refusals by
name, one transaction, the import log and its undo), edits and progress reports, and the
overdue list as of the office's day."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pytest
import shapely
from sqlalchemy import text

from gis_service.errors import ConflictError, InputError, NotFoundError
from gis_service.services import plan_views as views
from gis_service.services import plans as svc
from gis_service.services.import_log import undo_import

RIVER = "R4505-01"  # 南流江
PLAN = "南流江一河一策实施方案"  # the default name (the sample's plan has another)
SEGMENT = "R4505-01/township/450521105/2"  # a township stretch of 南流江 in the sample
OTHER = "R4505-02/county/450521/1"  # a stretch of 洪潮江
TODAY = dt.date(2026, 10, 15)
HEADER = (
    "水体编码,编号,任务,任务类别,责任单位,河段,经度,纬度,完成时限,状态,完成日期,"
    "进展日期,进展情况,完成比例\n"
)
PLAN_TABLES = ("river_plan", "plan_task", "task_progress", "data_import")


def _csv(tmp_path, body: str, name: str = "plan.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _counts(conn) -> dict[str, int]:
    return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in PLAN_TABLES}


def _vertex(conn) -> tuple[float, float]:
    """A vertex of 南流江's own line (0 m from the water) and the top of its box."""
    wkb, top = conn.execute(
        text("SELECT ST_AsBinary(geom), ST_YMax(geom) FROM water_body WHERE code = :c"),
        {"c": RIVER},
    ).one()
    xy = shapely.get_coordinates(shapely.from_wkb(bytes(wkb)))
    return (float(xy[len(xy) // 2, 0]), float(xy[len(xy) // 2, 1])), float(top)


def _good(conn) -> str:
    (x, y), _ = _vertex(conn)
    # 0.003° of latitude is 332 m at 21.6°N (1° = 110.7 km): the river is at most that far
    return (
        f"{RIVER},T1,清理河道垃圾,水环境治理,合浦县水利局,{SEGMENT},,,2026-06-30,已完成,2026-07-10,,,\n"
        f"{RIVER},T2,排污口整治,水污染防治,市环境保护局,,{x},{y + 0.003},2026-09-30,进行中,,"
        "2026-09-01,完成排查,40\n"
        f"{RIVER},T3,划定管理范围,水域岸线管理保护,市水利局,{SEGMENT},,,2026-12-31,,,,,\n"
    )


def test_import_places_states_and_the_import_log(conn, sample_loaded, tmp_path):
    before = _counts(conn)
    report = svc.import_plan_tasks(conn, _csv(tmp_path, _good(conn)), today=TODAY)
    assert (report.inserted, report.updated) == (3, 0)
    assert "1 new plan(s)" in report.derived
    assert "1 task(s) without 状态 (status): 未开始 (not_started)" in report.derived
    assert "1 progress report(s) added, 0 already stored" in report.derived
    after = _counts(conn)
    assert {t: after[t] - before[t] for t in PLAN_TABLES} == {
        "river_plan": 1,
        "plan_task": 3,
        "task_progress": 1,
        "data_import": 1,
    }
    kind, raw = conn.execute(
        text("SELECT kind, raw FROM data_import WHERE id = :i"), {"i": report.import_id}
    ).one()
    assert kind == "plan-tasks" and bytes(raw).startswith("水体编码".encode())

    tasks = {t.code: t for t in views.list_tasks(conn, RIVER, TODAY) if t.plan_name == PLAN}
    assert tasks["T1"].plan_name == "南流江一河一策实施方案"
    assert (tasks["T1"].place_kind, tasks["T1"].place_id) == ("segment", SEGMENT)
    # the segment's point lies on the segment's line
    on_line = conn.execute(
        text(
            "SELECT ST_DWithin(s.geom::geography, "
            "ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography, 0.01) FROM river_segment s "
            "WHERE s.id = :s"
        ),
        {"x": tasks["T1"].lon, "y": tasks["T1"].lat, "s": SEGMENT},
    ).scalar_one()
    assert on_line
    assert (tasks["T2"].place_kind, tasks["T2"].place_id) == ("point", None)
    # as of 2026-10-15: T1 done ten days late (06-30 -> 07-10), T2 15 days overdue, T3 open
    assert {c: (t.state, t.days_late) for c, t in tasks.items()} == {
        "T1": ("done_late", 10),
        "T2": ("overdue", 15),
        "T3": ("open", 0),
    }
    assert (tasks["T2"].last_report_on, tasks["T2"].last_percent) == (dt.date(2026, 9, 1), 40)
    overdue = views.list_tasks(conn, RIVER, TODAY, overdue_only=True)
    assert [t.code for t in overdue if t.plan_name == PLAN] == ["T2"]
    # on the day of T2's deadline it was still open
    earlier = views.list_tasks(conn, RIVER, dt.date(2026, 9, 30), overdue_only=True)
    assert [t.code for t in earlier if t.plan_name == PLAN] == []

    # the same file again: updates, no second progress report
    again = svc.import_plan_tasks(conn, _csv(tmp_path, _good(conn)), today=TODAY)
    assert (again.inserted, again.updated) == (0, 3)
    assert "0 progress report(s) added, 1 already stored" in again.derived
    assert _counts(conn)["task_progress"] == after["task_progress"]


def test_every_refusal_is_named_and_nothing_is_written(conn, sample_loaded, tmp_path):
    (x, y), top = _vertex(conn)
    body = (
        f"{RIVER},B1,任务,水环境治理,某局,R4505-01/township/nowhere/1,,,2026-06-30,,,,,\n"
        f"{RIVER},B2,任务,水环境治理,某局,{OTHER},,,2026-06-30,,,,,\n"
        # 0.01° north of the top of the river's box: at least 1.1 km from it
        f"{RIVER},B3,任务,水环境治理,某局,,{x},{top + 0.01},2026-06-30,,,,,\n"
        f"{RIVER},B4,任务,水环境治理,某局,,,,2026-02-30,,,,,\n"
        f"{RIVER},B5,任务,防汛抗旱,某局,{SEGMENT},,,2026-06-30,,,,,\n"
        f"{RIVER},B6,任务,水环境治理,某局,{SEGMENT},,,2026-06-30,已完成,,,,\n"
        f"{RIVER},B7,任务,水环境治理,某局,{SEGMENT},{x},{y},2026-06-30,,,,,\n"
        f"R9999-99,B8,任务,水环境治理,某局,{SEGMENT},,,2026-06-30,,,,,\n"
        f"{RIVER},B9,任务,水环境治理,某局,{SEGMENT},,,2026-06-30,进行中,,2026-09-01,过半,0.6\n"
        f"{RIVER},B9,任务,水环境治理,某局,{SEGMENT},,,2026-06-30,完成了,,,,\n"
        f"{RIVER},,任务,水环境治理,某局,{SEGMENT},,,2026-06-30,,,,,\n"
        f"{RIVER},B10,任务,水环境治理,某局,{SEGMENT},,,2026-06-30,已完成,2026-10-16,,,\n"
    )
    before = _counts(conn)
    with pytest.raises(InputError) as info:
        svc.import_plan_tasks(conn, _csv(tmp_path, body), today=TODAY)
    message = str(info.value)
    expected = [
        "line 2: segment 'R4505-01/township/nowhere/1' is not a segment or zone of the "
        "current zoning",
        f"line 3: segment '{OTHER}' lies on water R4505-02, not on R4505-01 南流江",
        f"line 4: point ({x}, {top + 0.01}) lies ",
        "line 5: deadline (完成时限): '2026-02-30' is not a calendar day",
        "line 5: no place: give a segment id (河段) or a point (经度/纬度)",
        "line 6: category '防汛抗旱' is not one of 水资源保护",
        "line 7: a task with status 已完成 (done) needs its completion date (完成日期)",
        "line 8: give a segment (河段) or a point (经度/纬度), not both",
        "line 9: water body R9999-99 is not in the database",
        "line 10: percent (完成比例): '0.6' is not a whole percent",
        "line 11: status '完成了' is not one of 未开始, 进行中, 已完成",
        "line 11: task B9 of 南流江一河一策实施方案 repeats line 10",
        "line 12: missing code",
        "line 13: completed_on 2026-10-16 is after today (2026-10-15)",
    ]
    for line in expected:
        assert line in message, line
    assert "m from R4505-01 南流江 (at most 500 m)" in message
    far = float(re.search(r"line 4: point .* lies ([\d,]+) m from", message)[1].replace(",", ""))
    assert far >= 1100
    assert _counts(conn) == before


def test_unknown_columns_and_files_are_refused_by_name(conn, sample_loaded, tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text(
        "水体编码,编号,任务,任务类别,责任单位,河段,完成时限,状 态\n"
        f"{RIVER},T1,任务,水环境治理,某局,{SEGMENT},2026-06-30,已完成\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="unknown column\\(s\\) '状 态'; the columns are"):
        svc.import_plan_tasks(conn, path, today=TODAY)
    path = tmp_path / "missing.csv"
    path.write_text("水体编码,编号,任务\nR4505-01,T1,任务\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing required column 'category'"):
        svc.import_plan_tasks(conn, path, today=TODAY)
    path = tmp_path / "plan.ods"
    path.write_bytes(b"not a table")
    with pytest.raises(InputError, match=r"unsupported table format \.ods"):
        svc.import_plan_tasks(conn, path, today=TODAY)


def test_one_bad_line_keeps_the_good_ones_out_too(conn, sample_loaded, tmp_path):
    body = _good(conn) + f"{RIVER},T4,任务,水环境治理,某局,{SEGMENT},,,2026-04-31,,,,,\n"
    before = _counts(conn)
    with pytest.raises(InputError, match="line 5: deadline"):
        svc.import_plan_tasks(conn, _csv(tmp_path, body), today=TODAY)
    assert _counts(conn) == before


def test_xlsx_import_reads_date_cells(conn, sample_loaded, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["水体编码", "编号", "任务", "任务类别", "责任单位", "河段", "完成时限"])
    sheet.append(
        [RIVER, "X1", "河道清障", "执法监管", "市公安局", SEGMENT, dt.datetime(2026, 3, 31)]
    )
    path = tmp_path / "plan.xlsx"
    book.save(path)
    report = svc.import_plan_tasks(conn, path, today=TODAY)
    assert report.inserted == 1
    (task,) = [t for t in views.list_tasks(conn, RIVER, TODAY) if t.code == "X1"]
    assert (task.deadline, task.state, task.days_late) == (dt.date(2026, 3, 31), "overdue", 198)


def test_edits_and_progress(conn, sample_loaded, tmp_path):
    plan = svc.create_plan(conn, RIVER, None)
    assert plan.name == "南流江一河一策实施方案" and plan.tasks == 0
    with pytest.raises(ConflictError):
        svc.create_plan(conn, RIVER, "南流江一河一策实施方案")
    with pytest.raises(NotFoundError):
        svc.create_plan(conn, "R9999-99", None)
    fields = svc.TaskFields(
        code="E1",
        title="入河排污口规范化整治",
        category="水污染防治",
        department="市环境保护局",
        place_id=SEGMENT,
        deadline=dt.date(2026, 9, 30),
    )
    created = svc.create_task(conn, plan.id, fields, today=TODAY).task
    assert (created.status, created.state, created.days_late) == ("not_started", "overdue", 15)
    with pytest.raises(ConflictError):
        svc.create_task(conn, plan.id, fields, today=TODAY)
    with pytest.raises(InputError, match=f"segment '{OTHER}' lies on water R4505-02"):
        svc.edit_task(conn, created.id, svc.TaskFields(place_id=OTHER), today=TODAY)
    with pytest.raises(InputError, match="category '其他' is not one of"):
        svc.edit_task(conn, created.id, svc.TaskFields(category="其他"), today=TODAY)
    # marked done today: completed today, 15 days late
    done = svc.edit_task(conn, created.id, svc.TaskFields(status="已完成"), today=TODAY).task
    assert (done.status, done.completed_on, done.state, done.days_late) == (
        "done",
        TODAY,
        "done_late",
        15,
    )
    # a later edit of another field keeps the completion date
    kept = svc.edit_task(
        conn, created.id, svc.TaskFields(note="验收通过"), today=dt.date(2026, 11, 1)
    )
    assert (kept.task.completed_on, kept.task.note) == (TODAY, "验收通过")
    reopened = svc.edit_task(conn, created.id, svc.TaskFields(status="进行中"), today=TODAY).task
    assert (reopened.completed_on, reopened.state) == (None, "overdue")
    (x, y), _ = _vertex(conn)
    moved = svc.edit_task(conn, created.id, svc.TaskFields(lon=x, lat=y), today=TODAY).task
    assert (moved.place_kind, moved.place_id, moved.lon, moved.lat) == ("point", None, x, y)

    detail = svc.add_progress(
        conn,
        created.id,
        reported_on=dt.date(2026, 10, 1),
        text="完成排查",
        percent=30,
        reported_by="office",
        today=TODAY,
    )
    detail = svc.add_progress(
        conn,
        created.id,
        reported_on=dt.date(2026, 10, 14),
        text="整治过半",
        percent=60,
        reported_by="office",
        today=TODAY,
    )
    assert [(p.reported_on, p.percent) for p in detail.progress] == [
        (dt.date(2026, 10, 1), 30),
        (dt.date(2026, 10, 14), 60),
    ]
    assert detail.task.last_percent == 60
    with pytest.raises(InputError, match="reported_on 2026-10-16 is after today"):
        svc.add_progress(
            conn,
            created.id,
            reported_on=dt.date(2026, 10, 16),
            text="x",
            percent=None,
            reported_by="office",
            today=TODAY,
        )
    with pytest.raises(NotFoundError):
        views.get_task(conn, 10**8, TODAY)


def test_undo_removes_the_import_and_refuses_after_an_edit(conn, sample_loaded, tmp_path):
    before = _counts(conn)
    report = svc.import_plan_tasks(conn, _csv(tmp_path, _good(conn)), today=TODAY)
    undone = undo_import(conn, report.import_id)
    assert undone.deleted == {"task_progress": 1, "plan_task": 3, "river_plan": 1}
    after = _counts(conn)
    assert {t: after[t] - before[t] for t in PLAN_TABLES} == {
        "river_plan": 0,
        "plan_task": 0,
        "task_progress": 0,
        "data_import": 1,  # the log keeps the undone import (evidence)
    }

    first = svc.import_plan_tasks(conn, _csv(tmp_path, _good(conn)), today=TODAY)
    task = next(t for t in views.list_tasks(conn, RIVER, TODAY) if t.code == "T3")
    svc.add_progress(
        conn,
        task.id,
        reported_on=TODAY,
        text="启动",
        percent=None,
        reported_by="office",
        today=TODAY,
    )
    with pytest.raises(ConflictError, match="progress reports on removed tasks"):
        undo_import(conn, first.import_id)
    second = svc.import_plan_tasks(conn, _csv(tmp_path, _good(conn)), today=TODAY)
    svc.edit_task(conn, task.id, svc.TaskFields(title="划定并公告管理范围"), today=TODAY)
    with pytest.raises(ConflictError, match=f"plan tasks edited since the import: {task.id}"):
        undo_import(conn, second.import_id)


def test_undo_of_an_update_restores_the_task_as_it_was(conn, sample_loaded, tmp_path):
    svc.import_plan_tasks(conn, _csv(tmp_path, _good(conn)), today=TODAY)
    changed = (
        _good(conn)
        .replace("划定管理范围", "划定并公告管理范围")
        .replace("2026-12-31", "2027-03-31")
    )
    second = svc.import_plan_tasks(conn, _csv(tmp_path, changed, "plan2.csv"), today=TODAY)
    assert (second.inserted, second.updated) == (0, 3)
    t3 = next(t for t in views.list_tasks(conn, RIVER, TODAY) if t.code == "T3")
    assert (t3.title, t3.deadline) == ("划定并公告管理范围", dt.date(2027, 3, 31))
    undone = undo_import(conn, second.import_id)
    assert undone.restored == {"plan_task": 3}
    t3 = next(t for t in views.list_tasks(conn, RIVER, TODAY) if t.code == "T3")
    assert (t3.title, t3.deadline, t3.place_id) == ("划定管理范围", dt.date(2026, 12, 31), SEGMENT)


def test_a_completion_date_with_an_open_status_is_refused(conn, sample_loaded):
    plan = svc.create_plan(conn, RIVER, "完成日期测试")
    fields = svc.TaskFields(
        code="D1",
        title="任务",
        category="执法监管",
        department="市公安局",
        place_id=SEGMENT,
        deadline=dt.date(2026, 9, 30),
        status="进行中",
        completed_on=dt.date(2026, 9, 1),
    )
    with pytest.raises(InputError, match="a completion date is given but the status is 进行中"):
        svc.create_task(conn, plan.id, fields, today=TODAY)
    task = svc.create_task(conn, plan.id, replace(fields, completed_on=None), today=TODAY).task
    with pytest.raises(InputError, match="a completion date is given but the status is 进行中"):
        svc.edit_task(conn, task.id, svc.TaskFields(completed_on=dt.date(2026, 9, 1)), today=TODAY)
    done = svc.edit_task(
        conn,
        task.id,
        svc.TaskFields(status="已完成", completed_on=dt.date(2026, 9, 1)),
        today=TODAY,
    ).task
    assert (done.state, done.completed_on) == ("done", dt.date(2026, 9, 1))
