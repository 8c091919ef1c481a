"""一河一策 plans, the reading side: a water's plans and tasks with what each is on a day
(open, overdue, done, done late: ``domain.plans``), for the API, the CLI, the river map
and the coordination report. The writes are in ``services.plans``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import Connection

from gis_service.db import plan_store as store
from gis_service.domain import plans as dp
from gis_service.errors import NotFoundError

# -- views -------------------------------------------------------------------


@dataclass(frozen=True)
class TaskView:
    """A task with what it is on ``as_of`` (state, days late) and its labels."""

    id: int
    plan_id: int
    plan_name: str
    water_body_code: str
    water_name: str
    code: str
    title: str
    category: str
    department: str
    place_kind: str
    place_id: str | None
    lon: float
    lat: float
    deadline: dt.date
    status: str
    status_label: str
    completed_on: dt.date | None
    note: str | None
    last_report_on: dt.date | None
    last_percent: int | None
    as_of: dt.date
    state: str
    state_label: str
    days_late: int


@dataclass(frozen=True)
class TaskDetail:
    task: TaskView
    progress: list[store.ProgressRow]


def _views(rows: list[store.TaskRow], as_of: dt.date) -> list[TaskView]:
    if not rows:
        return []
    states, late = dp.task_states(
        np.array([r.deadline for r in rows], dtype="datetime64[D]"),
        np.array([r.status for r in rows]),
        np.array(
            [r.completed_on if r.completed_on else np.datetime64("NaT") for r in rows],
            dtype="datetime64[D]",
        ),
        as_of,
    )
    return [
        TaskView(
            **r.__dict__,
            status_label=dp.STATUS_LABELS[r.status],
            as_of=as_of,
            state=str(s),
            state_label=dp.STATE_LABELS[str(s)],
            days_late=int(d),
        )
        for r, s, d in zip(rows, states, late, strict=True)
    ]


def list_plans(conn: Connection, water_body_code: str | None = None) -> list[store.PlanRow]:
    if water_body_code is not None and not store.waters(conn, {water_body_code}):
        raise NotFoundError(f"water body {water_body_code!r} not found")
    return store.plans_of(conn, water_body_code)


def list_tasks(
    conn: Connection,
    water_body_code: str,
    as_of: dt.date,
    *,
    overdue_only: bool = False,
    open_only: bool = False,
) -> list[TaskView]:
    """The tasks of every plan of the water, as of the office's day ``as_of``;
    ``overdue_only``: open and past the deadline; ``open_only``: not done on ``as_of``."""
    if not store.waters(conn, {water_body_code}):
        raise NotFoundError(f"water body {water_body_code!r} not found")
    views = _views(store.tasks(conn, water_body_code=water_body_code), as_of)
    if overdue_only:
        views = [v for v in views if v.state == "overdue"]
    if open_only:
        views = [v for v in views if v.state in ("open", "overdue")]
    return views


def get_task(conn: Connection, task_id: int, as_of: dt.date) -> TaskDetail:
    rows = store.tasks(conn, task_id=task_id)
    if not rows:
        raise NotFoundError(f"task {task_id} not found")
    return TaskDetail(_views(rows, as_of)[0], store.progress(conn, task_id))


def report_section(conn: Connection, water_body_code: str, as_of: dt.date) -> dict:
    """For the coordination report: the water's open tasks (overdue first) and how many of
    its tasks were completed late, as plain data."""
    views = _views(store.tasks(conn, water_body_code=water_body_code), as_of)
    open_ = [v for v in views if v.state in ("open", "overdue")]
    open_.sort(key=lambda v: (v.state != "overdue", v.deadline, v.code))
    return {
        "as_of": as_of.isoformat(),
        "total": len(views),
        "open": len(open_),
        "overdue": sum(v.state == "overdue" for v in views),
        "done_late": sum(v.state == "done_late" for v in views),
        "tasks": [
            {
                "id": v.id,
                "plan": v.plan_name,
                "code": v.code,
                "title": v.title,
                "category": v.category,
                "department": v.department,
                "place": v.place_id or f"{v.lon:.5f}, {v.lat:.5f}",
                "deadline": v.deadline.isoformat(),
                "status": v.status,
                "status_label": v.status_label,
                "state": v.state,
                "state_label": v.state_label,
                "days_late": v.days_late,
                "last_percent": v.last_percent,
            }
            for v in open_
        ],
    }


def task_map_frame(conn: Connection, water_body_code: str, as_of: dt.date) -> gpd.GeoDataFrame:
    """The water's tasks open on ``as_of`` (overdue or not) as WGS84 points for the river
    map, with the popup's columns."""
    views = [
        v
        for v in _views(store.tasks(conn, water_body_code=water_body_code), as_of)
        if v.state in ("open", "overdue")
    ]
    columns = [
        "id",
        "code",
        "title",
        "category",
        "department",
        "deadline",
        "status_label",
        "state",
        "state_label",
        "days_late",
        "place",
        "plan",
    ]
    rows = [
        {
            **{c: getattr(v, c) for c in columns if hasattr(v, c)},
            "place": v.place_id or f"{v.lon:.5f}, {v.lat:.5f}",
            "plan": v.plan_name,
        }
        for v in views
    ]
    points = shapely.points(np.array([[v.lon, v.lat] for v in views]).reshape(-1, 2))
    return gpd.GeoDataFrame(rows, columns=columns, geometry=points, crs=4326)
