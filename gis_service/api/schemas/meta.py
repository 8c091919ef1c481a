"""The entry point's links (JSON), the health check and the database summary."""

from __future__ import annotations

from gis_service.api.schemas.common import Link, Schema
from gis_service.records.summary import DatabaseSummary

__all__ = ["DatabaseSummary", "Health", "Landing"]


class Landing(Schema):
    """What ``/`` answers a program (``f=json`` or ``Accept: application/json``)."""

    title: str
    version: str
    links: list[Link]


class Health(Schema):
    status: str
    postgis: str
