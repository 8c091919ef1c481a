"""What several features' responses share: the schema base, links, GeoJSON collections."""

from __future__ import annotations

from typing import Any

from geojson_pydantic import Feature, FeatureCollection
from geojson_pydantic.geometries import Geometry
from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    """A response object: every key the route sends is declared (an undeclared one is an
    error in the tests, never silently dropped)."""

    model_config = ConfigDict(extra="forbid")


class Link(Schema):
    rel: str
    type: str | None = None
    href: str
    title: str | None = None


class RegionName(Schema):
    code: str
    name: str | None


class AnyFeature(Feature[Geometry, dict[str, Any]]):
    """A GeoJSON Feature whose properties depend on its collection."""


class Features(FeatureCollection[AnyFeature]):
    """A GeoJSON FeatureCollection whose features' properties depend on the request."""

    numberReturned: int | None = None
