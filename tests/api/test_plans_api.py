"""一河一策 over HTTP: the office creates, imports and edits; chiefs and viewers read (403
on writes, 401 without a token); overdue as of the office's day; answers match the models."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_service.api.app import create_app
from tests.conftest import bearer

RIVER = "R4505-01"
SEGMENT = "R4505-01/township/450521105/2"
PLAN = "接口测试方案"


@pytest.fixture(scope="module")
def api(engine, sample_loaded):
    with TestClient(create_app(engine)) as c:
        yield c


@pytest.fixture
def plan(api, tokens, engine):
    answer = api.post(
        "/plans", json={"water_body_code": RIVER, "name": PLAN}, headers=bearer(tokens["office"])
    )
    assert answer.status_code == 201, answer.text
    yield answer.json()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM river_plan WHERE name LIKE '接口测试%'"))


TASK = {
    "code": "A1",
    "title": "<b>清理</b>河道垃圾",
    "category": "水环境治理",
    "department": "合浦县水利局",
    "place_id": SEGMENT,
    "deadline": "2026-09-30",
}


def test_roles_on_writes(api, tokens, plan):
    chief, viewer = bearer(tokens["P0203"]), bearer(tokens["viewer"])
    url = f"/plans/{plan['id']}/tasks"
    assert api.post(url, json=TASK).status_code == 401
    assert api.post(url, json=TASK, headers=viewer).status_code == 403
    assert api.post(url, json=TASK, headers=chief).status_code == 403
    body = {"water_body_code": RIVER, "name": "接口测试2"}
    assert api.post("/plans", json=body, headers=chief).status_code == 403
    csv = ("plan.csv", "水体编码\n".encode(), "text/csv")
    assert api.post("/plans/import", files={"file": csv}, headers=viewer).status_code == 403
    assert api.patch("/plans/tasks/1", json={"note": "x"}, headers=chief).status_code == 403
    progress = {"reported_on": "2026-10-01", "text": "x"}
    assert api.post("/plans/tasks/1/progress", json=progress, headers=chief).status_code == 403


def test_office_creates_edits_reports_and_everyone_reads(api, tokens, plan):
    office = bearer(tokens["office"])
    created = api.post(f"/plans/{plan['id']}/tasks", json=TASK, headers=office)
    assert created.status_code == 201, created.text
    task = created.json()["task"]
    assert (task["status"], task["status_label"], task["place_kind"]) == (
        "not_started",
        "未开始",
        "segment",
    )
    tid = task["id"]
    # read by a viewer as of 2026-09-30 (open) and 2026-10-01 (overdue, 1 day)
    viewer = bearer(tokens["viewer"])
    params = {"water": RIVER, "as_of": "2026-09-30"}
    rows = [
        t for t in api.get("/plans/tasks", params=params, headers=viewer).json() if t["id"] == tid
    ]
    assert [(t["state"], t["days_late"]) for t in rows] == [("open", 0)]
    params = {"water": RIVER, "as_of": "2026-10-01", "overdue": "true"}
    rows = [t for t in api.get("/plans/tasks", params=params).json() if t["id"] == tid]
    assert [(t["state"], t["state_label"], t["days_late"]) for t in rows] == [
        ("overdue", "逾期未完成", 1)
    ]
    edited = api.patch(
        f"/plans/tasks/{tid}",
        json={"status": "已完成", "completed_on": "2026-10-05"},
        headers=office,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["task"]["completed_on"] == "2026-10-05"
    detail = api.get(f"/plans/tasks/{tid}", params={"as_of": "2026-10-20"}).json()
    assert (detail["task"]["state"], detail["task"]["days_late"]) == ("done_late", 5)
    added = api.post(
        f"/plans/tasks/{tid}/progress",
        json={"reported_on": "2026-10-05", "text": "验收完成", "percent": 100},
        headers=office,
    )
    assert added.status_code == 201, added.text
    assert [(p["text"], p["percent"]) for p in added.json()["progress"]] == [("验收完成", 100)]
    plans = api.get("/plans", params={"water": RIVER}).json()
    assert [p["tasks"] for p in plans if p["id"] == plan["id"]] == [1]


def test_bad_requests_are_named(api, tokens, plan):
    office = bearer(tokens["office"])
    far = {**TASK, "place_id": None, "lon": 109.0, "lat": 22.5}
    answer = api.post(f"/plans/{plan['id']}/tasks", json=far, headers=office)
    assert answer.status_code == 400 and "m from R4505-01 南流江" in answer.json()["detail"]
    wrong = {**TASK, "category": "防汛"}
    answer = api.post(f"/plans/{plan['id']}/tasks", json=wrong, headers=office)
    assert answer.status_code == 400 and "category '防汛'" in answer.json()["detail"]
    answer = api.post("/plans/999999/tasks", json=TASK, headers=office)
    assert answer.status_code == 404
    assert api.get("/plans/tasks", params={"water": "R9999-99"}).status_code == 404
    assert api.get("/plans/tasks/2147483647").status_code == 404
    assert api.get("/plans/tasks/2147483648").status_code == 422


def test_import_over_http(api, tokens, engine):
    body = (
        "水体编码,方案,编号,任务,任务类别,责任单位,河段,完成时限\n"
        f"{RIVER},接口测试导入,I1,入河排污口排查,水污染防治,市环境保护局,{SEGMENT},2026-12-31\n"
    )
    answer = api.post(
        "/plans/import",
        files={"file": ("plan.csv", body.encode(), "text/csv")},
        headers=bearer(tokens["office"]),
    )
    try:
        assert answer.status_code == 200, answer.text
        assert (answer.json()["inserted"], answer.json()["kind"]) == (1, "plan tasks")
        bad = body.replace("2026-12-31", "2026-12-32")
        answer = api.post(
            "/plans/import",
            files={"file": ("plan.csv", bad.encode(), "text/csv")},
            headers=bearer(tokens["office"]),
        )
        assert answer.status_code == 400
        assert (
            "line 2: deadline (完成时限): '2026-12-32' is not a calendar day"
            in answer.json()["detail"]
        )
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM river_plan WHERE name = '接口测试导入'"))
            conn.execute(
                text("DELETE FROM data_import WHERE kind = 'plan-tasks' AND raw = :b"),
                {"b": body.encode()},
            )


def test_coordination_report_lists_open_and_overdue_tasks(api, tokens, plan):
    office = bearer(tokens["office"])
    for code, deadline, status in (
        ("R1", "2026-09-30", "进行中"),  # overdue on 10-15 (15 days)
        ("R2", "2026-12-31", "未开始"),  # open
        ("R3", "2026-09-30", "已完成"),  # done (today: completed late), not listed
    ):
        body = {**TASK, "code": code, "deadline": deadline, "status": status}
        if status == "已完成":
            body["completed_on"] = "2026-10-01"
        assert api.post(f"/plans/{plan['id']}/tasks", json=body, headers=office).status_code == 201
    report = api.get(f"/rivers/{RIVER}/report", params={"date": "2026-10-15"}).json()
    tasks = report["tasks"]
    mine = [t for t in tasks["tasks"] if t["plan"] == PLAN]
    assert [(t["code"], t["state"], t["days_late"]) for t in mine] == [
        ("R1", "overdue", 15),
        ("R2", "open", 0),
    ]
    assert tasks["as_of"] == "2026-10-15"
    assert tasks["overdue"] >= 1 and tasks["done_late"] >= 1
    # overdue first in the whole list
    states = [t["state"] for t in tasks["tasks"]]
    assert states == sorted(states, key=lambda s: s != "overdue")
    page = api.get(f"/rivers/{RIVER}/report.html", params={"date": "2026-10-15"}).text
    assert "一河一策任务" in page and "逾期未完成（15 天）" in page
    assert "&lt;b&gt;清理&lt;/b&gt;河道垃圾" in page and "<b>清理</b>" not in page
