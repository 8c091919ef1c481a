"""The national audit re-aggregation: many regions' audits, run as partitions, combined."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from gis_service.records import Record
from gis_service.records.audit import PeriodRef, RegionRateRecord, RegionRef, ZoningRunSpan


class AuditTotals(Record):
    """The partitions' posts and targets, each counted once (a boundary stretch audited in
    two partitions, a post seen from both sides)."""

    posts: int = Field(description="posts that owed patrols in the period")
    met: int
    length_m: float
    covered_m: float
    compliance_rate: float | None
    coverage_rate: float | None
    targets: int
    due: int = Field(description="posts behind schedule in an open period")


class NationalAuditReport(Record):
    """The audits of ``partitions`` (provinces, or any regions that do not overlap) for one
    period, combined: every region inside a partition with the figures its partition's own
    audit gives, and totals over the partitions."""

    period: PeriodRef
    as_of: dt.date
    timezone: str
    rules_version: str
    partitions: list[RegionRef]
    regions: list[RegionRateRecord] = Field(
        description="every region inside a partition (the partition's root included)"
    )
    totals: AuditTotals
    counted_patrols: int
    patrols_in_period: int
    patrols_not_rematched: int
    zoning_runs: list[ZoningRunSpan]
