"""A problem as a GeoJSON feature (POST /problems, GET /problems/{id}, its events)."""

from __future__ import annotations

import datetime as dt

from geojson_pydantic import Feature
from geojson_pydantic.geometries import Point
from pydantic import Field

from gis_service.api.schemas.common import Schema
from gis_service.records import IsoDateTime
from gis_service.records.problems import ProblemEvent

PRIVATE = "absent for the public (office and the reporting chief only)"


class ProblemProperties(Schema):
    """``ProblemRecord`` without its id and coordinates (the feature's own)."""

    category: str
    source: str
    source_detail: str | None = Field(default=None, description=PRIVATE)
    status: str
    description: str | None = Field(default=None, description=PRIVATE)
    photo_ref: str | None = Field(default=None, description=PRIVATE)
    found_at: IsoDateTime
    reported_at: IsoDateTime
    handed_to: str | None
    handed_over_on: dt.date | None
    deadline: dt.date | None
    answer: str | None = Field(default=None, description=PRIVATE)
    answered_on: dt.date | None
    verified_on: dt.date | None
    closed_on: dt.date | None
    chief_id: str | None
    chief_name: str | None
    patrol_id: str | None = Field(default=None, description=PRIVATE)
    water_body_code: str | None
    region_code: str | None
    category_label: str
    source_label: str
    status_label: str
    overdue: bool
    events: list[ProblemEvent] | None = Field(default=None, description=PRIVATE)


class ProblemFeature(Feature[Point, ProblemProperties]):
    """A problem where it was found (WGS84), what it is and how far it is handled."""
