"""Response models of the signboard routes (公示牌) and the public's reports (群众举报)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class BoardChiefOut(BaseModel):
    """A chief as a board prints them: name, post and level, the region (never a phone)."""

    chief_id: str
    name: str
    role: str
    role_label: str
    level: str
    level_label: str
    region_code: str
    region_name: str | None


class BoardOut(BaseModel):
    code: str
    name: str
    lon: float
    lat: float
    water_body_code: str
    water_name: str
    level: str
    level_label: str
    region_code: str
    region_name: str
    segment_id: str = Field(description="the segment it was matched to (zoning run below)")
    zoning_run_id: int | None
    matched_by: str = Field(description="given (in the file) or nearest (within tolerance)")
    match_distance_m: float
    on: dt.date = Field(description="the day the current chiefs are taken from the roster")
    chiefs: list[BoardChiefOut] = Field(description="the chiefs of the stretch on that day")
    printed_on: dt.date
    printed_chiefs: list[BoardChiefOut]
    needs_reprint: bool
    no_longer_in_post: list[BoardChiefOut] = Field(description="printed, no longer holding it")
    not_printed: list[BoardChiefOut] = Field(description="chiefs of the stretch not printed")
    page: str = Field(description="the board's public page (what its QR code opens)")


class SignboardImportOut(BaseModel):
    kind: str
    file: str
    features: int
    inserted: int
    updated: int
    crs: str | None
    columns: dict[str, str]
    unused_columns: list[str]
    warnings: list[str]
    derived: list[str]
    summary: str


class PublicReportOut(BaseModel):
    """What the reporter learns: the number to quote, and that the office has it."""

    problem_id: str
    board_code: str
    status: str
    status_label: str
    source: str
    source_label: str
    category: str
    category_label: str
    found_at: dt.datetime
    message: str
