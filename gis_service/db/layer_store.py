"""The tables as (Geo)DataFrames for the notebook API: every statement it runs, in one place.

Filters mean what they mean in the HTTP API (a region includes everything below it): the same
helpers build them (``db.queries.where_clause``, ``services.zoning_queries.*_filter``). Frames
come back in the storage CRS (EPSG:4326) with a ``geometry`` column; labels for display are
the notebook's business.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, text

from gis_service.db.columns import (
    JOINT_FIELDS,
    REGION_FIELDS,
    SEGMENT_FIELDS,
    WATER_BODY_FIELDS,
    ZONE_FIELDS,
)
from gis_service.db.queries import DESCENDANTS, where_clause
from gis_service.db.zoning_runs import of_run
from gis_service.domain import crs

REGION_COLUMNS = REGION_FIELDS
WATER_BODY_COLUMNS = (*WATER_BODY_FIELDS, "flow_reversed", "buffer_width_m", "source")
SEGMENT_COLUMNS = ("id", *SEGMENT_FIELDS, "parent_id")
ZONE_COLUMNS = ("id", *ZONE_FIELDS)
JOINT_COLUMNS = ("id", *JOINT_FIELDS)


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


def regions_frame(
    conn: Connection, *, level: str | None = None, within: str | None = None
) -> gpd.GeoDataFrame:
    """Administrative regions, optionally of one level and/or inside one region."""
    params: dict = {"region": within}
    where = where_clause(params, region_columns=("code",), level=level)
    sql = (
        f"{DESCENDANTS} SELECT {', '.join(REGION_COLUMNS)}, geom AS geometry "
        f"FROM admin_region {where} ORDER BY code"
    )
    return read_geo(conn, sql, params)


def water_bodies_frame(conn: Connection, *, kind: str | None = None) -> gpd.GeoDataFrame:
    """Water bodies, optionally of one kind."""
    params: dict = {}
    where = where_clause(params, region_columns=(), kind=kind)
    sql = (
        f"SELECT {', '.join(WATER_BODY_COLUMNS)}, geom AS geometry FROM water_body {where} "
        "ORDER BY code"
    )
    return read_geo(conn, sql, params)


def segments_frame(
    conn: Connection, where: str, params: dict, *, polygons: bool = False
) -> gpd.GeoDataFrame:
    """Segments matching ``where`` (from ``segment_filter``), with the names of their codes;
    ``polygons``: the chief segment polygons instead of the centre lines."""
    geom = "zone_geom" if polygons else "geom"
    sql = _with_names(
        f"SELECT {', '.join(SEGMENT_COLUMNS)}, {geom} AS geometry FROM river_segment {where}",
        ("water_body_code", "region_code", "left_region_code", "right_region_code"),
        "q.water_body_code, q.level, q.chainage_from_m",
    )
    return read_geo(conn, sql, params)


def zones_frame(conn: Connection, where: str, params: dict) -> gpd.GeoDataFrame:
    """Lake/reservoir zones matching ``where`` (from ``zone_filter``), with names."""
    sql = _with_names(
        f"SELECT {', '.join(ZONE_COLUMNS)}, geom AS geometry FROM still_water_zone {where}",
        ("water_body_code", "region_code"),
        "q.water_body_code, q.kind, q.id",
    )
    return read_geo(conn, sql, params)


def joint_sections_frame(
    conn: Connection, where: str, params: dict, *, points: bool = False
) -> gpd.GeoDataFrame:
    """Joint sections matching ``where`` (from ``joint_filter``), or their crossing points."""
    geom = "crossing_point" if points else "geom"
    sql = _with_names(
        f"SELECT {', '.join(JOINT_COLUMNS)}, {geom} AS geometry FROM joint_section {where}",
        ("water_body_code", "upstream_region_code", "downstream_region_code"),
        "q.water_body_code, q.crossing_chainage_m",
    )
    return read_geo(conn, sql, params)


def patrols_frame(
    conn: Connection,
    *,
    chief: str | None,
    status: str | None,
    lo: dt.datetime | None,
    hi: dt.datetime | None,
    track: bool,
) -> pd.DataFrame:
    """Stored patrols started in ``[lo, hi)`` with their verdict and summary figures (times as
    stored, UTC); ``track``: a GeoDataFrame of the cleaned tracks."""
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
    if track:
        return read_geo(conn, sql, params)
    return pd.read_sql(text(sql), conn, params=params)


def segment_geometries(
    conn: Connection, ids: list[str], *, run_id: int | None = None
) -> gpd.GeoDataFrame:
    """``id`` and centre line of the segments with these ids, of zoning run ``run_id``
    (None: the working table, the newest run's)."""
    table, of = of_run("river_segment", run_id)
    return read_geo(
        conn,
        f"SELECT id, geom AS geometry FROM {table} WHERE {of} AND id = ANY(:i)",
        {"i": ids, "run": run_id},
    )


def target_geometries(conn: Connection, ids: list[str], run_ids: list[int]) -> gpd.GeoDataFrame:
    """``target_id`` and geometry of audit targets (segments and still-water zones), each
    as its zoning run keeps it (``run_ids[k]`` is the run of ``ids[k]``)."""
    pairs = "unnest(CAST(:i AS text[]), CAST(:r AS int[])) AS t(id, run_id)"
    return read_geo(
        conn,
        "SELECT s.id AS target_id, s.geom AS geometry FROM river_segment_version s "
        f"JOIN {pairs} USING (run_id, id) "
        "UNION ALL SELECT z.id, z.geom FROM still_water_zone_version z "
        f"JOIN {pairs} USING (run_id, id)",
        {"i": ids, "r": run_ids},
    )


def region_table(conn: Connection) -> pd.DataFrame:
    """Every region's code, name and level (no geometry)."""
    return pd.DataFrame(
        conn.execute(text("SELECT code, name, level FROM admin_region")).all(),
        columns=["code", "name", "level"],
    )
