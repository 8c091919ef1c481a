"""The consistency report as stored after an import, an undo or a zoning rebuild."""

from __future__ import annotations

import datetime as dt

from gis_service.records import IsoDateTime, Record


class StoredConsistency(Record):
    """The latest stored report: when, why, and what it found (lists capped, counts not)."""

    id: int
    checked_at: IsoDateTime
    trigger: str
    checked_on: dt.date
    regions_without_parent: list[str]
    water_bodies_outside_regions: list[str]
    segments_without_chief: list[str]
    posts_without_target: list[str]
    counts: dict[str, int]
    problem_count: int
