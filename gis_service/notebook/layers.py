"""Read the service's tables as GeoDataFrames (EPSG:4326), with names joined for display.

Filters mean what they mean in the HTTP API (a region includes everything below it), because
the same SQL helpers build them (``gis_service.services.zoning_queries``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import geopandas as gpd
import pandas as pd
from pyproj import CRS
from sqlalchemy import Connection, text

from gis_service.cli_common import parse_day
from gis_service.config import get_settings, local_today
from gis_service.db.queries import DESCENDANTS, local_day_bounds, names, posts_on, where_clause
from gis_service.domain import crs
from gis_service.domain.vocab import (
    LEVEL_LABELS,
    POST_ROLE_LABELS,
    REGION_KIND_LABELS,
    WATER_KIND_LABELS,
)
from gis_service.notebook._connection import Bind, reading
from gis_service.records.summary import DatabaseSummary
from gis_service.services.summary import database_summary
from gis_service.services.zoning_queries import (
    joint_filter,
    segment_filter,
    unassigned_on,
    zone_filter,
)


def read_geo(conn: Connection, sql: str, params: dict | None = None) -> gpd.GeoDataFrame:
    """Rows with a ``geometry`` column (PostGIS) as a GeoDataFrame in the storage CRS."""
    return gpd.read_postgis(
        text(sql), conn, geom_col="geometry", params=params or {}, crs=crs.STORAGE_CRS
    )


def _with_names(select: str, codes: tuple[str, ...], order_by: str) -> str:
    """``select`` (filtered rows of one table, aliased ``q``) with the name of each code column
    joined for display: ``region_code`` -> ``region_name``, ``water_body_code`` ->
    ``water_body_name``. Column names come from this module, never from a request."""
    joined = "".join(f", n{i}.name AS {c.removesuffix('_code')}_name" for i, c in enumerate(codes))
    joins = "".join(
        f" LEFT JOIN {'water_body' if c == 'water_body_code' else 'admin_region'} n{i} "
        f"ON n{i}.code = q.{c}"
        for i, c in enumerate(codes)
    )
    return f"{DESCENDANTS} SELECT q.*{joined} FROM ({select}) q{joins} ORDER BY {order_by}"


def _label(frame: pd.DataFrame, column: str, labels: dict[str, str]) -> None:
    if column in frame:
        frame[f"{column}_label"] = frame[column].map(labels)


def regions(
    level: str | None = None, within: str | None = None, *, engine: Bind | None = None
) -> gpd.GeoDataFrame:
    """Administrative regions (行政区划), optionally of one level and/or inside one region."""
    params: dict = {"region": within}
    where = where_clause(params, region_columns=("code",), level=level)
    sql = (
        f"{DESCENDANTS} SELECT code, name, level, parent_code, kind, geom AS geometry "
        f"FROM admin_region {where} ORDER BY code"
    )
    with reading(engine) as conn:
        gdf = read_geo(conn, sql, params)
    _label(gdf, "level", LEVEL_LABELS)
    _label(gdf, "kind", REGION_KIND_LABELS)
    return gdf


def water_bodies(kind: str | None = None, *, engine: Bind | None = None) -> gpd.GeoDataFrame:
    """Rivers, canals (lines, source to mouth), lakes, reservoirs and ponds (polygons)."""
    params: dict = {}
    where = where_clause(params, region_columns=(), kind=kind)
    sql = (
        "SELECT code, name, kind, parent_code, managing_level, managing_region_code, "
        f"flow_reversed, buffer_width_m, source, geom AS geometry FROM water_body {where} "
        "ORDER BY code"
    )
    with reading(engine) as conn:
        gdf = read_geo(conn, sql, params)
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
    geom = "zone_geom" if polygons else "geom"
    sql = _with_names(
        "SELECT id, water_body_code, level, kind, region_code, left_region_code, "
        "right_region_code, ordinal, chainage_from_m, chainage_to_m, length_m, parent_id, "
        f"{geom} AS geometry FROM river_segment {where}",
        ("water_body_code", "region_code", "left_region_code", "right_region_code"),
        "q.water_body_code, q.level, q.chainage_from_m",
    )
    with reading(engine) as conn:
        gdf = read_geo(conn, sql, params)
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
    sql = _with_names(
        "SELECT id, water_body_code, kind, level, region_code, area_m2, shore_length_m, share, "
        f"initiates_coordination, geom AS geometry FROM still_water_zone {where}",
        ("water_body_code", "region_code"),
        "q.water_body_code, q.kind, q.id",
    )
    with reading(engine) as conn:
        return read_geo(conn, sql, params)


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
    geom = "crossing_point" if points else "geom"
    sql = _with_names(
        "SELECT id, water_body_code, level, crossing_chainage_m, chainage_from_m, "
        "chainage_to_m, upstream_region_code, downstream_region_code, along_boundary, "
        f"{geom} AS geometry FROM joint_section {where}",
        ("water_body_code", "upstream_region_code", "downstream_region_code"),
        "q.water_body_code, q.crossing_chainage_m",
    )
    with reading(engine) as conn:
        gdf = read_geo(conn, sql, params)
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
    day = parse_day(on, "on") or local_today()
    with reading(engine) as conn:
        rows = posts_on(conn, day, region_code=region, water_body_code=water_body, role=role)
        regions_, waters = names(conn, "admin_region"), names(conn, "water_body")
    frame = pd.DataFrame(
        rows,
        columns=[
            "id",
            "role",
            "level",
            "region_code",
            "water_body_code",
            "valid_from",
            "valid_to",
            "chief_id",
            "chief_name",
            "title",
        ],
    ).rename(columns={"id": "post_id"})
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
    lo, hi = local_day_bounds(parse_day(start, "start"), parse_day(end, "end"))
    params = {"c": chief, "s": status, "f": lo, "t": hi}
    sql = (
        "SELECT p.id::text AS id, p.chief_id, c.name AS chief_name, p.status, p.started_at, "
        "p.ended_at, (p.summary->>'duration_s')::float AS duration_s, "
        "(p.summary->>'distance_m')::float AS distance_m, "
        "(p.summary->>'on_assignment_distance_m')::float AS on_assignment_distance_m, "
        "jsonb_path_query_array(p.reasons, '$[*].code') AS reasons, p.coord_system, p.mode, "
        f"p.file_name{', p.track AS geometry' if track else ''} FROM patrol p "
        "JOIN chief c ON c.id = p.chief_id "
        "WHERE (CAST(:c AS text) IS NULL OR p.chief_id = :c) "
        "AND (CAST(:s AS text) IS NULL OR p.status = :s) "
        "AND (CAST(:f AS timestamptz) IS NULL OR p.started_at >= :f) "
        "AND (CAST(:t AS timestamptz) IS NULL OR p.started_at < :t) "
        "ORDER BY p.started_at, p.id"
    )
    with reading(engine) as conn:
        frame = (
            read_geo(conn, sql, params) if track else pd.read_sql(text(sql), conn, params=params)
        )
    local = zoneinfo.ZoneInfo(get_settings().timezone)
    for column in ("started_at", "ended_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_convert(local)
    return frame


def unassigned(on: dt.date | str | None = None, *, engine: Bind | None = None) -> pd.DataFrame:
    """Segments (per bank) and zones with no chief on a date (default today)."""
    with reading(engine) as conn:
        return unassigned_on(conn, parse_day(on, "on") or local_today())


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
