"""GET /audits (the audit record itself) and GET /audits/gaps."""

from __future__ import annotations

from geojson_pydantic import Feature, FeatureCollection
from geojson_pydantic.geometries import LineString

from gis_service.api.schemas.common import Schema
from gis_service.records.audit import AuditReport

__all__ = ["AuditReport", "GapCollection", "GapProperties"]


class GapProperties(Schema):
    target_id: str
    from_m: float
    to_m: float
    length_m: float


class GapFeature(Feature[LineString, GapProperties]):
    pass


class GapCollection(FeatureCollection[GapFeature]):
    """The period's never-walked stretches of the audited segments (WGS84)."""
