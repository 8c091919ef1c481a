"""Response models of the boundary-section water quality routes (交界断面水质)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SectionOut(BaseModel):
    """A monitoring section (lon/lat WGS84) with its target class (GB 3838-2002)."""

    code: str
    name: str
    water_body_code: str
    water_body_name: str
    upstream_region_code: str
    upstream_region_name: str
    downstream_region_code: str | None
    downstream_region_name: str | None
    target_class: int = Field(ge=1, le=6, description="1..5 = Ⅰ..Ⅴ, 6 = 劣Ⅴ")
    target_class_label: str
    joint_section_id: str | None
    lon: float
    lat: float


class CrossingOut(BaseModel):
    """A zoning crossing proposed as a section site."""

    joint_section_id: str
    water_body_code: str
    water_body_name: str
    level: str
    upstream_region_code: str | None
    upstream_region_name: str | None
    downstream_region_code: str | None
    downstream_region_name: str | None
    lon: float
    lat: float


class ImportOut(BaseModel):
    kind: str
    file: str
    features: int
    inserted: int
    updated: int
    columns: dict[str, str]
    unused_columns: list[str]
    derived: list[str]
    summary: str


class SectionMonthOut(BaseModel):
    section_code: str
    section_name: str
    water_body_name: str
    upstream_region_code: str
    upstream_region_name: str
    downstream_region_name: str | None
    month: str
    target_class: int
    target_class_label: str
    month_class: int | None
    month_class_label: str
    samples: int
    status: str = Field(description="met, failed or no_data")
    status_label: str
    amount_yuan: float


class RegionMonthOut(BaseModel):
    region_code: str
    region_name: str
    month: str
    met: int
    failed: int
    no_data: int
    amount_yuan: float


class RuleOut(BaseModel):
    reward_yuan: float
    deduction_yuan: float
    month_class: str
    source: str


class AssessmentOut(BaseModel):
    """Per section and month, per assessed (upstream) region and month, and the rule used."""

    first_month: str
    last_month: str
    standard: str
    rule: RuleOut
    total_yuan: float
    regions: list[RegionMonthOut]
    sections: list[SectionMonthOut]
