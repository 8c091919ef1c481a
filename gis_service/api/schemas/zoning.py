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
    "RematchProgress",
    "SegmentCollection",
    "UnassignedTarget",
    "ZoneCollection",
    "ZoningRunListing",
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


class ReportTask(Schema):
    id: int
    plan: str
    code: str
    title: str
    category: str
    department: str
    place: str = Field(description="segment or zone id, or lon, lat")
    deadline: dt.date
    status: str
    status_label: str
    state: str = Field(description="open or overdue (on the report's date)")
    state_label: str
    days_late: int
    last_percent: int | None


class ReportTasks(Schema):
    """一河一策 tasks of the water on the report's date."""

    as_of: dt.date
    total: int
    open: int = Field(description="not done on the date (overdue included)")
    overdue: int
    done_late: int = Field(description="completed after their deadline")
    tasks: list[ReportTask] = Field(description="the open ones, overdue first")


class ReportZoningRun(Schema):
    """The zoning run in force on the report's date (the newest run whose effective date is
    not after it): the stretches, zones, joint sections, convener and tributaries are its."""

    id: int
    effective_from: dt.date = Field(description="the first local day the run applies to")


class CoordinationReport(Schema):
    """Everything a joint meeting (联席会议) on one river needs."""

    river: RiverInfo
    date: dt.date
    zoning_run: ReportZoningRun | None = Field(
        description="the zoning run in force on the date (null: none, the date is before "
        "every run's effective date)"
    )
    river_chiefs: list[RiverChief]
    convener: Convener | None
    levels: dict[str, list[ReportSegment]] = Field(description="stretches per level")
    level_labels: dict[str, str]
    joint_sections: list[ReportJointSection]
    tributaries: list[Tributary]
    zones: list[ReportZone]
    unassigned: list[UnassignedTarget]
    tasks: ReportTasks | None = Field(
        default=None, description="一河一策: the water's open tasks, overdue first"
    )


class ZoningRunListing(Schema):
    """A zoning run: from when it applies, what still refers to it, whether it can go."""

    id: int
    created_at: dt.datetime
    effective_from: dt.date = Field(description="the first local day the run applies to")
    metric_epsg: int
    input_sha256: str
    coverage_rows: int = Field(description="stored coverage rows measured against the run")
    patrols: int = Field(description="patrols last measured against the run")
    superseded: bool = Field(description="a newer run applies from an earlier or the same day")
    newest: bool = Field(description="its zoning is the one in the working tables")
    prunable: bool = Field(description="nothing refers to it and it governs no day")


class RematchJob(Schema):
    """One re-match partition: a Gauss-Kruger zone x local month of stored patrols."""

    id: int
    run_id: int
    zone_epsg: int
    month: str = Field(description="YYYY-MM, local")
    status: str
    patrols: int
    done: int
    worker: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    seconds: float | None
    error: str | None


class RematchProgress(Schema):
    """The re-match job table in short: partitions and patrols done."""

    partitions: int
    partitions_done: int
    patrols: int
    patrols_done: int
    jobs: list[RematchJob]
