"""The audit report (巡河考核) as ``run_audit`` returns it and GET /audits sends it.

The field order is the wire order of the report contract (issue 13): region, period, as_of,
timezone, rules_version, generated_at, targets, posts, regions, due, the patrol counts; then
the point posts (issue 20).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, PlainSerializer

from gis_service.records import Record

# the report's own time stamp, to the second with its offset (+00:00), as it always was
Timestamp = Annotated[
    dt.datetime, PlainSerializer(lambda t: t.isoformat(timespec="seconds"), when_used="json")
]


class RegionRef(Record):
    code: str
    name: str


class PeriodRef(Record):
    label: str = Field(description="e.g. 2026-Q3, 2026-07, 2026-W27")
    start: dt.date
    end: dt.date


class TargetAuditRecord(Record):
    """A segment or a shoreline/water-area zone: how much of it the period's patrols walked."""

    target_id: str
    length_m: float
    covered_m: float
    ratio: float
    gaps: list[tuple[float, float]] = Field(description="never-walked stretches, from/to m")
    patrols: int
    last_patrol: dt.date | None
    chiefs: list[str]
    covered_by_chiefs_m: float
    target_type: str = Field(description="segment or zone")
    run_id: int = Field(description="the zoning run the target is of")
    water_body_code: str
    water_body_name: str | None
    level: str | None = Field(description="none for a lake's water area")
    chief_names: list[str]
    unassigned: bool
    regions: list[str]
    region_names: list[str]


class PeriodAuditRecord(Record):
    """One rule period of a post: required and counted patrols, by when."""

    label: str
    start: dt.date
    end: dt.date
    required: int
    counted: int
    status: str
    deadline: dt.date | None
    coverage_share: float | None = None


class PostAuditRecord(Record):
    """A chief's post audited against its frequency rule (met, on track, behind, ...)."""

    chief_id: str
    post_id: int
    role: str
    audited_as: str
    level: str
    region_code: str
    water_body_code: str | None
    rule_id: str | None
    rules_version: str
    rule_period: str | None
    required: int
    counted: int
    status: str
    own_length_m: float
    own_covered_m: float
    coverage_share: float | None
    coverage_required: float | None
    reasons: list[str]
    deadline: dt.date | None
    periods: list[PeriodAuditRecord]
    chief_name: str | None
    region_name: str | None
    water_body_name: str | None
    target_ids: list[str]


class RegionRateRecord(Record):
    """A region and every region above it: share of posts met, share of length covered."""

    region_code: str
    posts: int
    met: int
    length_m: float
    covered_m: float
    compliance_rate: float | None
    coverage_rate: float | None
    region_name: str | None
    level: str | None


class DueRecord(Record):
    """待巡提示: a post behind schedule in an open period, what is missing and by when."""

    chief_id: str
    post_id: int
    rule_id: str | None
    deadline: dt.date | None
    missing: list[str]
    chief_name: str | None


class ZoningRunSpan(Record):
    """The zoning run in force from ``start`` to ``end`` (inclusive) of the audited days."""

    run_id: int
    effective_from: dt.date
    start: dt.date
    end: dt.date


class PointPostAuditRecord(Record):
    """A point post (塘长, 泵长, 口长, 点长) in one rule period: a patrol of its chief counts when
    it passes within the role's tolerance of the point, one per day."""

    post_id: int
    chief_id: str
    chief_name: str
    role: str = Field(description="pond_chief, pump_chief, outfall_chief or point_chief")
    point_code: str
    point_name: str
    point_kind: str = Field(description="pond, pump_station, outfall or point_source")
    region_code: str
    region_name: str
    period: str = Field(description="the rule period, e.g. 2026-07 for a monthly rule")
    required: int
    counted: int = Field(description="distinct days with a patrol passing within tolerance")
    status: str = Field(description="met, missed, on_track or not_required")
    tolerance_m: float


class AuditReport(Record):
    """The audit of a region and everything below it for one period."""

    region: RegionRef
    period: PeriodRef
    as_of: dt.date
    timezone: str
    rules_version: str
    generated_at: Timestamp
    targets: list[TargetAuditRecord]
    posts: list[PostAuditRecord]
    regions: list[RegionRateRecord]
    due: list[DueRecord]
    counted_patrols: int
    patrols_in_period: int
    zoning_runs: list[ZoningRunSpan] = Field(
        description="the zoning runs counted against, day by day (the rule window's days)"
    )
    patrols_not_rematched: int = Field(
        description="patrols of the window not yet re-matched against the run in force"
    )
    point_posts: list[PointPostAuditRecord] = Field(
        description="塘长/泵长/口长/点长 per rule period (issue 20)"
    )
