"""OGC API - Features: conformance, the collections, their items."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gis_service.api.schemas.common import AnyFeature, Features, Link, Schema

__all__ = ["AnyFeature", "CollectionInfo", "CollectionList", "Conformance", "ItemPage"]


class Conformance(Schema):
    conformsTo: list[str]


class SpatialExtent(Schema):
    bbox: list[tuple[float, float, float, float]] = Field(description="CRS84, empty when empty")
    crs: str


class Extent(Schema):
    spatial: SpatialExtent


class CollectionInfo(Schema):
    id: str
    title: str
    description: str
    itemType: Literal["feature"]
    crs: list[str]
    extent: Extent
    links: list[Link]


class CollectionList(Schema):
    collections: list[CollectionInfo]
    links: list[Link]


class ItemPage(Features):
    """One page of a collection's features, with next/prev links."""

    numberMatched: int
    links: list[Link]
