"""What the database holds, in numbers (GET /summary, ``gis-service status``)."""

from __future__ import annotations

from gis_service.records import Record


class DatabaseSummary(Record):
    regions_per_level: dict[str, int]
    water_bodies_per_kind: dict[str, int]
    chiefs: int
    posts_per_role: dict[str, int]
