"""Problems (河湖问题): report, follow, hand over (交办), answer, verify (核查), close (销号)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from gis_service.api.auth import ChiefOrOfficeDep, OfficeDep, PrincipalDep
from gis_service.api.deps import ConnDep, SettingsDep, TodayDep
from gis_service.api.params import CoordSystem
from gis_service.api.responses import GeoJSONResponse
from gis_service.api.schemas.problems import ProblemFeature
from gis_service.config import local_today
from gis_service.domain.access import sees_personal_data
from gis_service.domain.problems import MAX_HANDOVER_WORKING_DAYS, TRANSITIONS, load_calendar
from gis_service.domain.vocab import PROBLEM_CATEGORIES, PROBLEM_SOURCES
from gis_service.errors import InputError, PermissionDeniedError
from gis_service.services.problems import (
    advance_problem,
    get_problem,
    problem_feature,
    report_problem,
)

router = APIRouter(tags=["problems"])

Category = Literal[PROBLEM_CATEGORIES]  # type: ignore[valid-type]
Source = Literal[PROBLEM_SOURCES]  # type: ignore[valid-type]
Action = Literal[tuple(TRANSITIONS)]  # type: ignore[valid-type]


class ProblemReport(BaseModel):
    """What the phone app sends when a chief finds a problem on patrol, or what the office
    records for a report from the public (群众举报), the media or a superior (上级交办)."""

    model_config = ConfigDict(extra="forbid")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    category: Category
    source: Source = Field(default="patrol", description="patrol | public | media | superior")
    source_detail: str | None = Field(
        default=None,
        max_length=1000,
        description="who reported it (name and contact, outlet, document): office and chief only",
    )
    description: str | None = Field(default=None, max_length=4000)
    photo_ref: str | None = Field(default=None, max_length=1000, description="photo id/URL")
    found_at: dt.datetime | None = Field(default=None, description="default: now")
    patrol_id: uuid.UUID | None = None
    coord_system: CoordSystem = "wgs84"
    chief_id: str | None = Field(
        default=None,
        max_length=32,
        description="office only: the chief who found it (required for source patrol)",
    )
    problem_id: uuid.UUID | None = Field(
        default=None, description="the app's id: a resend returns the stored report"
    )


class ProblemStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Action  # type: ignore[valid-type]
    handed_to: str | None = Field(
        default=None, max_length=500, description="hand_over: who must answer"
    )
    deadline: dt.date | None = Field(default=None, description="hand_over: the date due")
    working_days: int | None = Field(
        default=None,
        ge=1,
        le=MAX_HANDOVER_WORKING_DAYS,
        description="hand_over: working days until due (default: GIS_HANDOVER_WORKING_DAYS)",
    )
    note: str | None = Field(default=None, max_length=4000, description="answer text, remarks")


ProblemId = Annotated[uuid.UUID, Path(description="problem id")]


@router.post(
    "/problems", status_code=201, response_model=ProblemFeature, summary="Report a problem"
)
def create_problem(
    conn: ConnDep, settings: SettingsDep, who: ChiefOrOfficeDep, body: ProblemReport
) -> JSONResponse:
    """A chief reports for themself (found on patrol, or relaying what the public, the media
    or a superior brought to them); the office reports on a chief's behalf (``chief_id``) or,
    for a problem from the public, the media or a superior, on the source's behalf."""
    if who.role == "chief":
        if body.chief_id not in (None, who.chief_id):
            raise PermissionDeniedError("a chief reports own problems only")
        chief_id = who.chief_id
    else:
        if not body.chief_id and body.source == "patrol":
            raise InputError("chief_id: which chief found the problem")
        chief_id = body.chief_id
    problem = report_problem(
        conn,
        chief_id=chief_id,
        lon=body.lon,
        lat=body.lat,
        category=body.category,
        description=body.description,
        photo_ref=body.photo_ref,
        found_at=body.found_at,
        patrol_id=body.patrol_id,
        coord_system=body.coord_system,
        reported_by=who.name,
        problem_id=body.problem_id,
        source=body.source,
        source_detail=body.source_detail,
        timezone=settings.timezone,
    )
    conn.commit()
    return JSONResponse(problem_feature(problem, public=False), status_code=201)


@router.get(
    "/problems/{problem_id}",
    response_class=GeoJSONResponse,
    response_model=ProblemFeature,
    summary="One problem with its handling history",
)
def read_problem(
    conn: ConnDep, who: PrincipalDep, today: TodayDep, problem_id: ProblemId
) -> GeoJSONResponse:
    """The public sees what, where and how far it is handled; the reporting chief and the
    office also see the description, photo, patrol and the history."""
    problem = get_problem(conn, problem_id, today=today)
    own = who.role == "chief" and who.chief_id == problem.chief_id
    return GeoJSONResponse(problem_feature(problem, public=not (own or sees_personal_data(who))))


@router.post(
    "/problems/{problem_id}/events",
    response_class=GeoJSONResponse,
    response_model=ProblemFeature,
    summary="Hand over (交办), record the answer (答复), verify (核查), close (销号) or reopen",
)
def problem_step(
    conn: ConnDep, settings: SettingsDep, who: OfficeDep, problem_id: ProblemId, body: ProblemStep
) -> GeoJSONResponse:
    """A hand-over states its deadline (seed 000: 交办时要明确完成时限) as a date or a number
    of working days; without either, the office's default (GIS_HANDOVER_WORKING_DAYS)."""
    problem = advance_problem(
        conn,
        problem_id,
        body.action,
        user=who.name,
        today=local_today(settings.timezone),
        calendar=load_calendar(settings.work_calendar_file),
        handed_to=body.handed_to,
        note=body.note,
        deadline=body.deadline,
        working_days=body.working_days,
        default_working_days=settings.handover_working_days,
    )
    conn.commit()
    return GeoJSONResponse(problem_feature(problem, public=False))
