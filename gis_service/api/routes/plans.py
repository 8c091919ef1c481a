"""一河一策 plans: a water's plans and tasks with what each is as of the office's day (open,
overdue, done, done late), read by anyone the service lets read (plans are public like
the notice boards); the office imports, creates and edits tasks and reports progress."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, UploadFile
from fastapi import Path as PathParam

from gis_service.api.auth import OfficeDep, PrincipalDep
from gis_service.api.deps import ConnDep, TodayDep
from gis_service.api.params import DateQ, WaterQ
from gis_service.api.schemas.plans import (
    ImportOut,
    PlanIn,
    PlanOut,
    ProgressIn,
    ProgressOut,
    TaskDetailOut,
    TaskEditIn,
    TaskIn,
    TaskOut,
)
from gis_service.errors import InputError
from gis_service.services import plan_views as views
from gis_service.services import plans as svc

router = APIRouter(tags=["一河一策 plans"])

IdPath = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
WaterRequiredQ = Annotated[str, Query(min_length=1, max_length=32, description="water body code")]


def _detail(detail: views.TaskDetail) -> TaskDetailOut:
    return TaskDetailOut(
        task=TaskOut(**detail.task.__dict__),
        progress=[ProgressOut(**p.__dict__) for p in detail.progress],
    )


def _fields(body: TaskIn | TaskEditIn) -> svc.TaskFields:
    return svc.TaskFields(**body.model_dump())


@router.get("/plans", response_model=list[PlanOut], summary="一河一策 plans (of a water body)")
def list_plans(conn: ConnDep, who: PrincipalDep, water: WaterQ = None) -> list[PlanOut]:
    return [PlanOut(**p.__dict__) for p in views.list_plans(conn, water)]


@router.post("/plans", response_model=PlanOut, status_code=201, summary="Create a plan (office)")
def create_plan(conn: ConnDep, who: OfficeDep, body: PlanIn) -> PlanOut:
    plan = svc.create_plan(conn, body.water_body_code, body.name)
    conn.commit()
    return PlanOut(**plan.__dict__)


@router.post(
    "/plans/import",
    response_model=ImportOut,
    summary="Import plan tasks from XLSX/CSV (office; recorded in the import log)",
)
def import_tasks(conn: ConnDep, who: OfficeDep, today: TodayDep, file: UploadFile) -> ImportOut:
    """Columns: 水体编码, 编号, 任务, 任务类别, 责任单位, 完成时限 (required); 方案, 河段 or
    经度/纬度, 状态, 完成日期, 备注, 进展日期/进展情况/完成比例 (optional). Any other column is
    refused, naming it."""
    name = Path(file.filename or "upload").name
    data = file.file.read(svc.MAX_PLAN_FILE_BYTES + 1)
    if len(data) > svc.MAX_PLAN_FILE_BYTES:
        raise InputError(f"larger than {svc.MAX_PLAN_FILE_BYTES} bytes", source=name)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        report = svc.import_plan_tasks(conn, path, today=today, reported_by=who.name)
    conn.commit()
    fields = {k: getattr(report, k) for k in ImportOut.model_fields if k != "summary"}
    return ImportOut(**fields, summary=report.summary())


@router.get(
    "/plans/tasks",
    response_model=list[TaskOut],
    summary="Tasks of a water body's plans, as of a day (overdue: open and past the deadline)",
)
def list_tasks(
    conn: ConnDep,
    who: PrincipalDep,
    today: TodayDep,
    water: WaterRequiredQ,
    as_of: DateQ = None,
    overdue: Annotated[bool, Query(description="only open tasks past their deadline")] = False,
    open_only: Annotated[bool, Query(alias="open", description="only tasks not done")] = False,
) -> list[TaskOut]:
    found = views.list_tasks(conn, water, as_of or today, overdue_only=overdue, open_only=open_only)
    return [TaskOut(**v.__dict__) for v in found]


@router.get(
    "/plans/tasks/{task_id}",
    response_model=TaskDetailOut,
    summary="One task with its progress reports",
)
def get_task(
    conn: ConnDep, who: PrincipalDep, today: TodayDep, task_id: IdPath, as_of: DateQ = None
) -> TaskDetailOut:
    return _detail(views.get_task(conn, task_id, as_of or today))


@router.post(
    "/plans/{plan_id}/tasks",
    response_model=TaskDetailOut,
    status_code=201,
    summary="Add a task to a plan (office)",
)
def create_task(
    conn: ConnDep, who: OfficeDep, today: TodayDep, plan_id: IdPath, body: TaskIn
) -> TaskDetailOut:
    detail = svc.create_task(conn, plan_id, _fields(body), today=today)
    conn.commit()
    return _detail(detail)


@router.patch(
    "/plans/tasks/{task_id}", response_model=TaskDetailOut, summary="Edit a task (office)"
)
def edit_task(
    conn: ConnDep, who: OfficeDep, today: TodayDep, task_id: IdPath, body: TaskEditIn
) -> TaskDetailOut:
    detail = svc.edit_task(conn, task_id, _fields(body), today=today)
    conn.commit()
    return _detail(detail)


@router.post(
    "/plans/tasks/{task_id}/progress",
    response_model=TaskDetailOut,
    status_code=201,
    summary="Append a progress report to a task (office)",
)
def add_progress(
    conn: ConnDep, who: OfficeDep, today: TodayDep, task_id: IdPath, body: ProgressIn
) -> TaskDetailOut:
    detail = svc.add_progress(
        conn,
        task_id,
        reported_on=body.reported_on,
        text=body.text,
        percent=body.percent,
        reported_by=who.name,
        today=today,
    )
    conn.commit()
    return _detail(detail)
