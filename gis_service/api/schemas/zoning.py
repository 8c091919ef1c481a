"""Zoning layers (GeoJSON), neighbours, unassigned stretches, the river coordination report."""

from __future__ import annotations

import datetime as dt

from geojson_pydantic import Feature, FeatureCollection
from geojson_pydantic.geometries import Geometry
from pydantic import Field

from gis_service.api.schemas.common import RegionName, Schema
from gis_service.records.zoning import ChiefOnTarget, Neighbour, UnassignedTarget

__all__ = [
    "ChiefOnTarget",
    "CoordinationReport",
    "JointSectionCollection",
    "Neighbour",
    "SegmentCollection",
    "UnassignedTarget",
    "ZoneCollection",
]


class SegmentProperties(Schema):
    id: str
    water_body_code: str
    level: str
    kind: str = Field(description="inside, boundary or outside")
    region_code: str | None
    left_region_code: str | None
    right_region_code: str | None
    ordinal: int
    chainage_from_m: float
    chainage_to_m: float
    length_m: float
    parent_id: str | None


class SegmentFeature(Feature[Geometry, SegmentProperties]):
    pass


class SegmentCollection(FeatureCollection[SegmentFeature]):
    """River segments (河段), lines or their chief segment polygons (WGS84)."""

    numberReturned: int


class ZoneProperties(Schema):
    id: str
    water_body_code: str
    kind: str = Field(description="water_area, shoreline or water_share")
    level: str | None
    region_code: str | None
    region_codes: dict[str, str] | None = Field(description="level -> code of its regions")
    area_m2: float | None
    shore_length_m: float | None
    share: float | None
    initiates_coordination: bool | None


class ZoneFeature(Feature[Geometry, ZoneProperties]):
    pass


class ZoneCollection(FeatureCollection[ZoneFeature]):
    """Lake and reservoir zones: the water area, shoreline pieces by village, shares."""

    numberReturned: int


class JointSectionProperties(Schema):
    id: str
    water_body_code: str
    level: str
    crossing_chainage_m: float
    chainage_from_m: float
    chainage_to_m: float
    upstream_region_code: str | None
    downstream_region_code: str | None
    along_boundary: bool


class JointSectionFeature(Feature[Geometry, JointSectionProperties]):
    pass


class JointSectionCollection(FeatureCollection[JointSectionFeature]):
    """Cross-boundary joint sections (联防河段), lines or their crossing points."""

    numberReturned: int


# -- the coordination report of one river (seams-stores turns it into a record) ---------------


class RiverInfo(Schema):
    code: str
    name: str
    kind: str
    managing_level: str | None
    managing_region_code: str | None
    parent_code: str | None
    flow_reversed: bool | None
    main_name: str | None
    length_m: float | None


class RiverChief(Schema):
    chief_id: str
    name: str
    title: str | None
    role: str
    role_label: str
    level: str
    region: RegionName | None


class CountyLength(Schema):
    code: str
    name: str | None
    length_m: float


class Convener(Schema):
    county: RegionName | None
    lengths_m: dict[str, float]
    counties: list[CountyLength]
    joint_meeting_needed: bool
    rule: str


class ReportSegment(Schema):
    id: str
    ordinal: int
    kind: str
    region: RegionName | None
    left_bank: RegionName | None
    right_bank: RegionName | None
    chainage_from_km: float
    chainage_to_km: float
    length_m: float
    chiefs: list[ChiefOnTarget]


class ReportJointSection(Schema):
    id: str
    level: str
    crossing_km: float
    from_km: float
    to_km: float
    upstream: RegionName | None
    downstream: RegionName | None
    along_boundary: bool
    crossing_point: tuple[float, float] = Field(description="lon, lat (WGS84)")


class TributaryChief(Schema):
    chief_id: str
    name: str
    role: str
    level: str
    region: RegionName | None


class Tributary(Schema):
    code: str
    name: str
    confluence_km: float
    chiefs: list[TributaryChief]


class ReportZone(Schema):
    id: str
    water_body_code: str
    kind: str
    level: str | None
    region_code: str | None
    region_codes: dict[str, str] | None = Field(description="level -> code of its regions")
    area_m2: float | None
    share: float | None
    initiates_coordination: bool | None


class CoordinationReport(Schema):
    """Everything a joint meeting (联席会议) on one river needs."""

    river: RiverInfo
    date: dt.date
    river_chiefs: list[RiverChief]
    convener: Convener | None
    levels: dict[str, list[ReportSegment]] = Field(description="stretches per level")
    level_labels: dict[str, str]
    joint_sections: list[ReportJointSection]
    tributaries: list[Tributary]
    zones: list[ReportZone]
    unassigned: list[UnassignedTarget]
