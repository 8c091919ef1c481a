"""Accountability records (问责: 提醒, 约谈, 通报批评, 提请问责): the office issues them and
records the written answers; a chief reads their own; viewers none (personnel matters)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from gis_service.api.auth import ChiefOrOfficeDep, OfficeDep
from gis_service.api.deps import ConnDep, SettingsDep, TodayDep
from gis_service.api.params import RegionFilterQ
from gis_service.api.schemas.accountability import AccountabilityView
from gis_service.domain.access import accountability_scope, check_accountability_reader
from gis_service.domain.problems import load_calendar
from gis_service.domain.vocab import ACCOUNTABILITY_KINDS, ACCOUNTABILITY_STATUSES
from gis_service.services.accountability import (
    NewRecord,
    RecordQuery,
    get_record,
    issue_record,
    list_records,
    record_feedback,
)

router = APIRouter(tags=["accountability"])

Kind = Literal[ACCOUNTABILITY_KINDS]  # type: ignore[valid-type]
Status = Literal[ACCOUNTABILITY_STATUSES]  # type: ignore[valid-type]
RecordId = Annotated[int, Path(ge=1, le=2**31 - 1, description="record id")]


class RecordIn(BaseModel):
    """A step of the ladder against a chief; the answer is due 15 working days after
    ``issued_on`` for 提醒/约谈/通报批评 (seed 000), none for a referral (提请问责)."""

    model_config = ConfigDict(extra="forbid")
    kind: Kind
    chief_id: str = Field(max_length=32)
    reason: str = Field(min_length=1, max_length=4000, description="the grounds")
    issued_on: dt.date | None = Field(default=None, description="default: today (local)")
    issuer: str | None = Field(default=None, max_length=500, description="e.g. 北海市河长办")
    reference: str | None = Field(default=None, max_length=200, description="document no. 文号")
    post_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    period: str | None = Field(default=None, max_length=12, description="e.g. 2026-Q3")
    problem_id: uuid.UUID | None = None
    follows_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="the earlier step this one escalates"
    )


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=8000, description="the written answer")
    received_on: dt.date | None = Field(default=None, description="default: today (local)")


@router.post(
    "/accountability",
    status_code=201,
    response_model=AccountabilityView,
    summary="Issue 提醒, 约谈, 通报批评 or 提请问责",
)
def create_record(
    conn: ConnDep, settings: SettingsDep, today: TodayDep, who: OfficeDep, body: RecordIn
) -> JSONResponse:
    record = issue_record(
        conn,
        NewRecord(**body.model_dump(exclude={"issued_on"}), issued_on=body.issued_on or today),
        user=who.name,
        today=today,
        calendar=load_calendar(settings.work_calendar_file),
    )
    conn.commit()
    return JSONResponse(record.view(today), status_code=201)


@router.get(
    "/accountability",
    response_model=list[AccountabilityView],
    summary="Accountability records, with overdue answers flagged",
)
def records(
    conn: ConnDep,
    who: ChiefOrOfficeDep,
    today: TodayDep,
    chief: Annotated[str | None, Query(max_length=32, description="person id")] = None,
    kind: Kind | None = None,
    status: Status | None = None,
    region: RegionFilterQ = None,
    period: Annotated[str | None, Query(max_length=12)] = None,
) -> list[dict]:
    """The office sees all; a chief their own. ``overdue`` is computed on today's local date."""
    scope = accountability_scope(who, chief)
    query = RecordQuery(chief_id=scope, kind=kind, status=status, region=region, period=period)
    return [r.view(today) for r in list_records(conn, query, today=today)]


@router.get(
    "/accountability/{record_id}",
    response_model=AccountabilityView,
    summary="One accountability record",
)
def record(conn: ConnDep, who: ChiefOrOfficeDep, today: TodayDep, record_id: RecordId) -> dict:
    found = get_record(conn, record_id)
    check_accountability_reader(who, found.chief_id)
    return found.view(today)


@router.post(
    "/accountability/{record_id}/feedback",
    response_model=AccountabilityView,
    summary="Record the written answer (书面反馈)",
)
def feedback(
    conn: ConnDep, who: OfficeDep, today: TodayDep, record_id: RecordId, body: FeedbackIn
) -> dict:
    updated = record_feedback(
        conn,
        record_id,
        body.text,
        received_on=body.received_on or today,
        user=who.name,
        today=today,
    )
    conn.commit()
    return updated.view(today)
