"""Request and response models of the 一河一策 routes (plans, tasks, progress reports)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from gis_service.api.schemas.water_quality import ImportOut

__all__ = ["ImportOut"]  # re-exported: the import answer is the same as other imports

_LON = Field(default=None, ge=-180, le=180, allow_inf_nan=False, description="WGS84 longitude")
_LAT = Field(default=None, ge=-90, le=90, allow_inf_nan=False, description="WGS84 latitude")


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    water_body_code: str = Field(min_length=1, max_length=32)
    name: str | None = Field(
        default=None, max_length=200, description="default: 〈水体名称〉一河一策实施方案"
    )


class PlanOut(BaseModel):
    id: int
    water_body_code: str
    water_name: str
    name: str
    tasks: int


class _TaskOptional(BaseModel):
    model_config = ConfigDict(extra="forbid")
    place_id: str | None = Field(
        default=None, max_length=96, description="segment or still-water zone id"
    )
    lon: float | None = _LON
    lat: float | None = _LAT
    status: str | None = Field(default=None, max_length=16, description="未开始/进行中/已完成")
    completed_on: dt.date | None = None
    note: str | None = Field(default=None, max_length=2000)


class TaskIn(_TaskOptional):
    """A new task. A place is a segment or still-water zone id of the current zoning on the
    plan's water (``place_id``) or a point (``lon``/``lat``) within 500 m of it.
    ``category``, ``status``: the code or the Chinese label (status default 未开始)."""

    code: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=500)
    category: str = Field(max_length=32, description="e.g. 水污染防治")
    department: str = Field(min_length=1, max_length=200)
    deadline: dt.date


class TaskEditIn(_TaskOptional):
    """Fields to change (absent: unchanged); a new place replaces the old one (a segment a
    point, or the other way round). Setting status 已完成 without ``completed_on`` records
    today (the office's day); any other status clears the completion date."""

    code: str | None = Field(default=None, min_length=1, max_length=32)
    title: str | None = Field(default=None, min_length=1, max_length=500)
    category: str | None = Field(default=None, max_length=32)
    department: str | None = Field(default=None, min_length=1, max_length=200)
    deadline: dt.date | None = None


class ProgressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reported_on: dt.date
    text: str = Field(min_length=1, max_length=4000)
    percent: int | None = Field(default=None, ge=0, le=100)


class ProgressOut(BaseModel):
    id: int
    task_id: int
    reported_on: dt.date
    text: str
    percent: int | None
    reported_by: str


class TaskOut(BaseModel):
    """A task and what it is on ``as_of`` (the office's day): ``state`` open, overdue
    (not done, past the deadline), done, done_late (completed after the deadline)."""

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


class TaskDetailOut(BaseModel):
    task: TaskOut
    progress: list[ProgressOut]
