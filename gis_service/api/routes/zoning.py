"""Zoning layers (GeoJSON), neighbours, unassigned stretches and river coordination reports."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from gis_service.api.deps import ConnDep, TodayDep
from gis_service.api.params import DateQ, Level, RegionFilterQ, WaterQ
from gis_service.api.responses import GeoJSONResponse
from gis_service.api.schemas.zoning import (
    CoordinationReport,
    JointSectionCollection,
    Neighbour,
    SegmentCollection,
    UnassignedTarget,
    ZoneCollection,
)
from gis_service.reports.html import river_report_html
from gis_service.services import zoning_queries as q

router = APIRouter(tags=["zoning"])


@router.get(
    "/segments",
    response_class=GeoJSONResponse,
    response_model=SegmentCollection,
    summary="River segments (河段) per level, or their chief segment polygons",
)
def segments(
    conn: ConnDep,
    region: RegionFilterQ = None,
    level: Level | None = None,
    water_body: WaterQ = None,
    kind: Literal["inside", "boundary", "outside"] | None = None,
    polygons: bool = False,
) -> GeoJSONResponse:
    return GeoJSONResponse(
        q.segments_geojson(
            conn, region=region, level=level, water_body=water_body, kind=kind, zones=polygons
        )
    )


@router.get(
    "/zones",
    response_class=GeoJSONResponse,
    response_model=ZoneCollection,
    summary="Lake/reservoir zones: water area, shoreline by village, shares",
)
def zones(
    conn: ConnDep,
    region: RegionFilterQ = None,
    water_body: WaterQ = None,
    kind: Literal["water_area", "shoreline", "water_share"] | None = None,
) -> GeoJSONResponse:
    return GeoJSONResponse(q.zones_geojson(conn, region=region, water_body=water_body, kind=kind))


@router.get(
    "/joint-sections",
    response_class=GeoJSONResponse,
    response_model=JointSectionCollection,
    summary="Cross-boundary joint sections (联防河段) or their crossing points",
)
def joint_sections(
    conn: ConnDep,
    region: RegionFilterQ = None,
    level: Level | None = None,
    water_body: WaterQ = None,
    points: bool = False,
) -> GeoJSONResponse:
    return GeoJSONResponse(
        q.joint_sections_geojson(
            conn, region=region, level=level, water_body=water_body, points=points
        )
    )


@router.get(
    "/segments/{segment_id:path}/{direction}",
    response_model=list[Neighbour],
    summary="Segments upstream or downstream, through tributaries, with their chiefs",
)
def segment_neighbours(
    conn: ConnDep,
    segment_id: str,
    direction: Literal["upstream", "downstream"],
    today: TodayDep,
    distance_m: Annotated[float, Query(gt=0, le=1e7)] = 10_000.0,
    date: DateQ = None,
) -> list[Neighbour]:
    return q.neighbours(
        conn,
        segment_id,
        direction=direction,
        max_distance_m=distance_m,
        day=date or today,
    )


@router.get(
    "/zoning/unassigned",
    response_model=list[UnassignedTarget],
    summary="Segments and zones without a chief on a date",
)
def unassigned(conn: ConnDep, today: TodayDep, date: DateQ = None) -> list[UnassignedTarget]:
    return q.unassigned_targets(conn, date or today)


@router.get(
    "/rivers/{code}/report",
    response_model=CoordinationReport,
    summary="Coordination report of one river (JSON)",
)
def river_report(conn: ConnDep, today: TodayDep, code: str, date: DateQ = None) -> dict:
    return q.coordination_report(conn, code, date or today).to_dict()


@router.get(
    "/rivers/{code}/report.html",
    response_class=HTMLResponse,
    summary="Printable coordination report for a joint meeting (联席会议)",
)
def river_report_page(
    conn: ConnDep, today: TodayDep, code: str, date: DateQ = None
) -> HTMLResponse:
    report = q.coordination_report(conn, code, date or today)
    return HTMLResponse(river_report_html(report.to_dict()))
