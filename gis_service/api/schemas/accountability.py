"""An accountability record (问责) as the office and the chief read it: ``view(today)`` of
the domain's ``AccountabilityRecord``."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from gis_service.api.schemas.common import Schema


class AccountabilityView(Schema):
    id: int
    kind: str = Field(description="reminder, interview, notice or referral")
    chief_id: str
    chief_name: str
    reason: str
    issued_on: dt.date
    deadline: dt.date | None = Field(description="the written answer's, none for a referral")
    issued_by: str
    issuer: str | None
    reference: str | None
    post_id: int | None
    period: str | None
    problem_id: str | None
    follows_id: int | None
    feedback: str | None
    feedback_on: dt.date | None
    kind_label: str
    status: str = Field(description="awaiting_feedback, overdue, answered, answered_late, referred")
    status_label: str
    overdue: bool
