"""Response models of the point-source chief routes (塘长, 泵长, 口长, 点长)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class PointPostOut(BaseModel):
    """A post on a responsibility point as the roster publishes it (phone: office only)."""

    post_id: int
    chief_id: str
    chief_name: str
    title: str | None
    phone: str | None = Field(description="only for the office")
    role: str
    role_label: str
    point_code: str
    point_name: str
    point_kind: str
    point_kind_label: str
    region_code: str
    region_name: str
    water_body_code: str | None
    valid_from: dt.date
    valid_to: dt.date | None
    lon: float
    lat: float


class PointPostPeriodOut(BaseModel):
    post_id: int
    chief_id: str
    chief_name: str
    role: str
    role_label: str
    point_code: str
    point_name: str
    point_kind: str
    region_code: str
    region_name: str
    period: str
    required: int
    counted: int = Field(description="distinct days with a patrol passing within tolerance")
    status: str = Field(description="met, missed, on_track or not_required")
    tolerance_m: float


class PointAuditOut(BaseModel):
    region: str
    period: str
    as_of: dt.date
    rows: list[PointPostPeriodOut]
