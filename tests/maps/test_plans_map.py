"""一河一策 tasks on the river map: the open tasks at their places, overdue in red, texts
escaped; done tasks not drawn."""

from __future__ import annotations

import datetime as dt
import json
import re

from gis_service.maps.base import MapOptions
from gis_service.maps.plans import OPEN_COLOUR, OVERDUE_COLOUR
from gis_service.services import maps as map_svc
from gis_service.services import plan_views as views
from gis_service.services import plans as svc
from tests.maps.test_map_builders import feature_counts

RIVER = "R4505-01"
SEGMENT = "R4505-01/township/450521105/2"
DAY = dt.date(2026, 10, 15)


def _task(conn, plan_id: int, code: str, title: str, deadline: dt.date, status: str) -> None:
    svc.create_task(
        conn,
        plan_id,
        svc.TaskFields(
            code=code,
            title=title,
            category="水污染防治",
            department="市环境保护局",
            place_id=SEGMENT,
            deadline=deadline,
            status=status,
            completed_on=dt.date(2026, 9, 1) if status == "done" else None,
        ),
        today=DAY,
    )


def _task_features(html: str) -> list[dict]:
    for name in re.findall(r"function (geo_json_\w+)_styler", html):
        styler = html[html.index(f"function {name}_styler") :]
        if "gis-plan-task" in styler[: styler.index("\n        }\n")]:
            payload = re.search(rf"{name}_add\((\{{.*?\}})\);\n", html, re.S)
            assert payload is not None
            return json.loads(payload.group(1))["features"]
    return []


def test_open_and_overdue_tasks_on_the_river_map(conn, sample_loaded):
    plan = svc.create_plan(conn, RIVER, "地图测试方案")
    _task(
        conn, plan.id, "M1", "<script>alert(1)</script>排污口", dt.date(2026, 9, 30), "in_progress"
    )
    _task(conn, plan.id, "M2", "岸线整治", dt.date(2026, 12, 31), "not_started")
    _task(conn, plan.id, "M3", "已完成的任务", dt.date(2026, 9, 30), "done")
    expected = {
        (t.code, t.state)
        for t in views.list_tasks(conn, RIVER, DAY)
        if t.state in ("open", "overdue")
    }
    assert {("M1", "overdue"), ("M2", "open")} <= expected
    assert not any(code == "M3" for code, _ in expected)

    m = map_svc.river_map(conn, RIVER, day=DAY, options=MapOptions(basemap="none"))
    html = m.get_root().render()
    assert feature_counts(html, "gis-plan-task") == len(expected)
    features = {f["properties"]["code"]: f["properties"] for f in _task_features(html)}
    assert (features["M1"]["colour"], features["M1"]["state_label"]) == (
        OVERDUE_COLOUR,
        "逾期未完成",
    )
    assert (features["M2"]["colour"], features["M2"]["state_label"]) == (OPEN_COLOUR, "未到期")
    assert "M3" not in features
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;排污口" in features["M1"]["title"]
    # the layer's name (in the layer control, JSON-escaped) and the legend's row
    overdue = sum(state == "overdue" for _, state in expected)
    assert json.dumps(f"一河一策任务 ({len(expected)}, 任务(逾期未完成) {overdue})")[1:-1] in html
    assert "任务(逾期未完成)" in html
