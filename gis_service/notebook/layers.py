"""Read the service's tables as GeoDataFrames (EPSG:4326), with names joined for display.

Filters mean what they mean in the HTTP API (a region includes everything below it), because
the same SQL helpers build them (``gis_service.services.zoning_queries``); the statements are
in ``gis_service.db.layer_store``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from gis_service.db import layer_store as store
from gis_service.db.queries import POST_COLUMNS, local_day_bounds, names, posts_on
from gis_service.domain import crs
from gis_service.domain.periods import local_today, parse_day
from gis_service.domain.vocab import (
    LEVEL_LABELS,
    POST_ROLE_LABELS,
    REGION_KIND_LABELS,
    WATER_KIND_LABELS,
)
from gis_service.notebook._connection import Bind, reading, settings
from gis_service.records.summary import DatabaseSummary
from gis_service.services.summary import database_summary
from gis_service.services.zoning_queries import (
    joint_filter,
    segment_filter,
    unassigned_on,
    zone_filter,
)


def _label(frame: pd.DataFrame, column: str, labels: dict[str, str]) -> None:
    if column in frame:
        frame[f"{column}_label"] = frame[column].map(labels)


def regions(
    level: str | None = None, within: str | None = None, *, engine: Bind | None = None
) -> gpd.GeoDataFrame:
    """Administrative regions (行政区划), optionally of one level and/or inside one region."""
    with reading(engine) as conn:
        gdf = store.regions_frame(conn, level=level, within=within)
    _label(gdf, "level", LEVEL_LABELS)
    _label(gdf, "kind", REGION_KIND_LABELS)
    return gdf


def water_bodies(kind: str | None = None, *, engine: Bind | None = None) -> gpd.GeoDataFrame:
    """Rivers, canals (lines, source to mouth), lakes, reservoirs and ponds (polygons)."""
    with reading(engine) as conn:
        gdf = store.water_bodies_frame(conn, kind=kind)
    _label(gdf, "kind", WATER_KIND_LABELS)
    return gdf


def segments(
    region: str | None = None,
    level: str | None = None,
    water_body: str | None = None,
    *,
    kind: str | None = None,
    polygons: bool = False,
    engine: Bind | None = None,
) -> gpd.GeoDataFrame:
    """Responsibility segments (河段) per level; ``polygons``: the chief segment polygons."""
    where, params = segment_filter(region=region, level=level, water_body=water_body, kind=kind)
    with reading(engine) as conn:
        gdf = store.segments_frame(conn, where, params, polygons=polygons)
    _label(gdf, "level", LEVEL_LABELS)
    return gdf


def zones(
    water_body: str | None = None,
    region: str | None = None,
    *,
    kind: str | None = None,
    engine: Bind | None = None,
) -> gpd.GeoDataFrame:
    """Lake/reservoir zones: the water area (水域), shoreline pieces (岸线) per village, and
    each region's share of a shared water."""
    where, params = zone_filter(region=region, water_body=water_body, kind=kind)
    with reading(engine) as conn:
        return store.zones_frame(conn, where, params)


def joint_sections(
    region: str | None = None,
    water_body: str | None = None,
    *,
    level: str | None = None,
    points: bool = False,
    engine: Bind | None = None,
) -> gpd.GeoDataFrame:
    """Cross-boundary joint sections (联防联控, 1 km up and down a boundary crossing), or with
    ``points`` their crossing points (交界断面)."""
    where, params = joint_filter(region=region, level=level, water_body=water_body)
    with reading(engine) as conn:
        gdf = store.joint_sections_frame(conn, where, params, points=points)
    _label(gdf, "level", LEVEL_LABELS)
    return gdf


def chiefs(
    on: dt.date | str | None = None,
    *,
    region: str | None = None,
    water_body: str | None = None,
    role: str | None = None,
    engine: Bind | None = None,
) -> pd.DataFrame:
    """Chief posts held on a date (default today): who answered for what that day."""
    day = parse_day(on, "on") or local_today(settings().timezone)
    with reading(engine) as conn:
        rows = posts_on(conn, day, region_code=region, water_body_code=water_body, role=role)
        regions_, waters = names(conn, "admin_region"), names(conn, "water_body")
    frame = pd.DataFrame(rows, columns=list(POST_COLUMNS)).rename(columns={"id": "post_id"})
    _label(frame, "role", POST_ROLE_LABELS)
    _label(frame, "level", LEVEL_LABELS)
    frame["region_name"] = frame["region_code"].map(regions_)
    frame["water_body_name"] = frame["water_body_code"].map(waters)
    return frame


def patrols(
    chief: str | None = None,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    *,
    status: str | None = None,
    track: bool = True,
    engine: Bind | None = None,
) -> pd.DataFrame:
    """Stored patrols (巡河记录) started between two local dates (inclusive), with their
    verdict; ``track`` (default) returns a GeoDataFrame of the cleaned tracks."""
    timezone = settings().timezone
    lo, hi = local_day_bounds(parse_day(start, "start"), parse_day(end, "end"), timezone)
    with reading(engine) as conn:
        frame = store.patrols_frame(conn, chief=chief, status=status, lo=lo, hi=hi, track=track)
    local = zoneinfo.ZoneInfo(timezone)
    for column in ("started_at", "ended_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_convert(local)
    return frame


def unassigned(on: dt.date | str | None = None, *, engine: Bind | None = None) -> pd.DataFrame:
    """Segments (per bank) and zones with no chief on a date (default today)."""
    with reading(engine) as conn:
        return unassigned_on(conn, parse_day(on, "on") or local_today(settings().timezone))


def summary(*, engine: Bind | None = None) -> DatabaseSummary:
    """Counts of what the database holds (regions per level, waters, chiefs, posts)."""
    with reading(engine) as conn:
        return database_summary(conn)


def metric_crs(gdf: gpd.GeoDataFrame) -> CRS:
    """The CGCS2000 Gauss-Kruger zone for the data: measure lengths and areas there."""
    lonlat = gdf if gdf.crs is None or gdf.crs.equals(crs.STORAGE_CRS) else gdf.to_crs(4326)
    return crs.metric_crs_for(lonlat.geometry.values)


def to_metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``gdf`` in its metric CRS (metres), e.g. ``to_metric(segs).length``."""
    return gdf.to_crs(metric_crs(gdf))
