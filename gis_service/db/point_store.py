"""SQL of the responsibility points (塘, 泵站, 排污口, 点源) and their posts (塘长, 泵长, 口长,
点长): upserts of checked rows, the point roster, and what the point-post audit reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
import shapely
from sqlalchemy import Connection, text

_SUBREGIONS = (
    "WITH RECURSIVE sub(code) AS (SELECT CAST(:r AS text) UNION ALL "
    "SELECT a.code FROM admin_region a JOIN sub ON a.parent_code = sub.code) "
)


@dataclass(frozen=True)
class PointPostRecord:
    """A post on a point as the roster shows it (phone only when the caller may see it)."""

    post_id: int
    chief_id: str
    chief_name: str
    title: str | None
    phone: str | None
    role: str
    point_code: str
    point_name: str
    point_kind: str
    region_code: str
    region_name: str
    water_body_code: str | None
    valid_from: dt.date
    valid_to: dt.date | None
    lon: float
    lat: float


def existing(conn: Connection, table: str, key: str, values: set[str]) -> dict[str, dict]:
    """Rows of ``table`` (region, water body, point or chief) whose ``key`` is in ``values``."""
    if not values:
        return {}
    allowed = {
        ("admin_region", "code"),
        ("water_body", "code"),
        ("responsibility_point", "code"),
        ("chief", "id"),
    }
    if (table, key) not in allowed:
        raise ValueError(f"not a lookup: {table}.{key}")
    columns = {"chief": "id, name", "responsibility_point": "code, kind"}.get(table, "code")
    rows = conn.execute(
        text(f"SELECT {columns} FROM {table} WHERE {key} = ANY(:v)"), {"v": sorted(values)}
    ).mappings()
    return {r[key]: dict(r) for r in rows}


def point_values(rows: list[dict]) -> list[dict]:
    """Checked point rows as the table takes them (``geom`` from a shapely point, WGS84)."""
    return [
        {**r, "geom": f"SRID=4326;{shapely.to_wkt(r['geom'], rounding_precision=-1)}"} for r in rows
    ]


def _post_sql(where: str) -> str:
    return (
        "SELECT p.id AS post_id, p.chief_id, c.name AS chief_name, c.title, c.phone, p.role, "
        "p.point_code, t.name AS point_name, t.kind AS point_kind, t.region_code, "
        "a.name AS region_name, t.water_body_code, p.valid_from, p.valid_to, "
        "ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat FROM point_post p "
        "JOIN chief c ON c.id = p.chief_id JOIN responsibility_point t ON t.code = p.point_code "
        f"JOIN admin_region a ON a.code = t.region_code {where} ORDER BY t.code, p.role, p.id"
    )


def posts_on(
    conn: Connection, day: dt.date, *, region: str | None = None, with_phone: bool = False
) -> list[PointPostRecord]:
    """The point posts held on ``day`` (of points in ``region`` and below)."""
    where = "WHERE p.validity @> CAST(:d AS date)"
    prefix = ""
    params: dict = {"d": day}
    if region:
        prefix = _SUBREGIONS
        where += " AND t.region_code IN (SELECT code FROM sub)"
        params["r"] = region
    rows = conn.execute(text(prefix + _post_sql(where)), params).mappings()
    return [
        PointPostRecord(**{**dict(r), "phone": r["phone"] if with_phone else None}) for r in rows
    ]


def posts_in_window(conn: Connection, region: str, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Point posts of ``region`` (and below) held at any time from ``first`` to ``last``."""
    rows = conn.execute(
        text(
            _SUBREGIONS
            + _post_sql(
                "WHERE t.region_code IN (SELECT code FROM sub) AND p.valid_from <= :b "
                "AND (p.valid_to IS NULL OR p.valid_to >= :a)"
            )
        ),
        {"r": region, "a": first, "b": last},
    ).mappings()
    columns = list(PointPostRecord.__dataclass_fields__)
    return pd.DataFrame([dict(r) for r in rows], columns=columns)


def patrol_tracks(
    conn: Connection,
    chiefs: list[str],
    start: dt.datetime,
    end: dt.datetime,
    statuses: tuple[str, ...],
) -> pd.DataFrame:
    """Patrols of ``chiefs`` starting in [start, end) with a counting status, with their
    tracks (shapely, WGS84)."""
    rows = conn.execute(
        text(
            "SELECT id, chief_id, started_at, status, ST_AsBinary(track) AS track FROM patrol "
            "WHERE chief_id = ANY(:c) AND started_at >= :s AND started_at < :e "
            "AND status = ANY(:st) AND track IS NOT NULL ORDER BY started_at"
        ),
        {"c": chiefs, "s": start, "e": end, "st": list(statuses)},
    ).all()
    return pd.DataFrame(
        {
            "patrol_id": pd.Series([str(r.id) for r in rows], dtype=object),
            "chief_id": pd.Series([r.chief_id for r in rows], dtype=object),
            "started_at": [r.started_at for r in rows],
            "track": shapely.from_wkb([bytes(r.track) for r in rows]) if rows else [],
        }
    )


def points_in(conn: Connection, region: str | None) -> pd.DataFrame:
    """Points (of ``region`` and below) with lon/lat, kind, region and water names."""
    prefix, where, params = "", "", {}
    if region:
        prefix, where, params = (
            _SUBREGIONS,
            "WHERE t.region_code IN (SELECT code FROM sub)",
            {"r": region},
        )
    rows = conn.execute(
        text(
            prefix + "SELECT t.code, t.name, t.kind, t.region_code, a.name AS region_name, "
            "t.water_body_code, w.name AS water_name, ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat "
            "FROM responsibility_point t JOIN admin_region a ON a.code = t.region_code "
            f"LEFT JOIN water_body w ON w.code = t.water_body_code {where} ORDER BY t.code"
        ),
        params,
    ).mappings()
    columns = [
        "code",
        "name",
        "kind",
        "region_code",
        "region_name",
        "water_body_code",
        "water_name",
        "lon",
        "lat",
    ]
    return pd.DataFrame([dict(r) for r in rows], columns=columns)


def village_stretch_middles(conn: Connection) -> list[dict[str, Any]]:
    """Where the sample generator puts its points: the middle of each single-line village
    stretch inside a village, with the village segment chief holding it now (one per
    stretch, the first by id)."""
    rows = conn.execute(
        text(
            "SELECT DISTINCT ON (s.id) s.id, s.region_code, s.water_body_code, p.chief_id, "
            "c.name AS chief_name, a.name AS village, "
            "round(ST_X(ST_LineInterpolatePoint(ST_LineMerge(s.geom), 0.5))::numeric, 7) AS lon, "
            "round(ST_Y(ST_LineInterpolatePoint(ST_LineMerge(s.geom), 0.5))::numeric, 7) AS lat "
            "FROM river_segment s JOIN chief_post p ON p.water_body_code = s.water_body_code "
            "AND p.region_code = s.region_code AND p.role = 'segment_chief' "
            "AND p.level = 'village' AND p.valid_to IS NULL "
            "JOIN chief c ON c.id = p.chief_id JOIN admin_region a ON a.code = s.region_code "
            "WHERE s.level = 'village' AND s.kind = 'inside' "
            "AND GeometryType(ST_LineMerge(s.geom)) = 'LINESTRING' "
            "ORDER BY s.id, p.chief_id"
        )
    ).mappings()
    return [dict(r) for r in rows]
