"""A problem (河湖问题) with its handling history, as the problem services return it."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from gis_service.records import IsoDateTime, Record


class ProblemEvent(Record):
    """One step of the problem's handling (report, hand over, answer, verify, close...)."""

    at: IsoDateTime
    user_name: str
    action: str
    from_status: str | None
    to_status: str
    note: str | None


class ProblemRecord(Record):
    """A stored problem, its labels and whether its hand-over deadline has passed today."""

    id: str
    category: str
    source: str
    source_detail: str | None
    status: str
    description: str | None
    photo_ref: str | None
    found_at: IsoDateTime
    reported_at: IsoDateTime
    handed_to: str | None
    handed_over_on: dt.date | None
    deadline: dt.date | None
    answer: str | None
    answered_on: dt.date | None
    verified_on: dt.date | None
    closed_on: dt.date | None
    chief_id: str | None
    chief_name: str | None
    patrol_id: str | None
    water_body_code: str | None
    region_code: str | None
    lon: float = Field(description="WGS84")
    lat: float = Field(description="WGS84")
    category_label: str
    source_label: str
    status_label: str
    overdue: bool
    events: list[ProblemEvent]
