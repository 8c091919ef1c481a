"""What the zoning queries hand to the routes, the maps and the notebook."""

from __future__ import annotations

from pydantic import Field

from gis_service.records import Record


class ChiefOnTarget(Record):
    """A chief holding a stretch on a date (general chiefs hold regions: not listed)."""

    chief_id: str
    name: str
    role: str
    role_label: str
    bank: str | None
    region_code: str | None


class Neighbour(Record):
    """A segment upstream or downstream of another, through tributaries, and its chiefs."""

    segment_id: str
    water_body_code: str
    level: str
    kind: str
    region_code: str | None
    left_region_code: str | None
    right_region_code: str | None
    distance_m: float = Field(description="along the water from the segment asked about")
    via: list[str] = Field(description="the rivers walked through, in order")
    chiefs: list[ChiefOnTarget]


class UnassignedTarget(Record):
    """A segment (per bank) or a zone without a chief on a date, and why."""

    target_type: str = Field(description="segment or zone")
    target_id: str
    water_body_code: str
    level: str | None
    bank: str | None
    region_code: str | None
    length_m: float | None
    area_m2: float | None
    reason: str
