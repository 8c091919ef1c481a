"""SQL of the boundary-section water quality (交界断面水质): sections, samples, crossings.

Rows go in as plain dicts already checked by the service; rows come out as typed records or
frames for ``domain.water_quality`` to decide on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import shapely
from sqlalchemy import Connection, text


@dataclass(frozen=True)
class SectionRecord:
    """A monitoring section as read back (lon/lat WGS84)."""

    code: str
    name: str
    water_body_code: str
    water_body_name: str
    water_kind: str
    upstream_region_code: str
    upstream_region_name: str
    downstream_region_code: str | None
    downstream_region_name: str | None
    target_class: int
    joint_section_id: str | None
    lon: float
    lat: float


@dataclass(frozen=True)
class CrossingRecord:
    """A zoning crossing (joint section) where a boundary section could be placed."""

    joint_section_id: str
    water_body_code: str
    water_body_name: str
    level: str
    upstream_region_code: str | None
    upstream_region_name: str | None
    downstream_region_code: str | None
    downstream_region_name: str | None
    lon: float
    lat: float


def region_levels(conn: Connection, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = conn.execute(
        text("SELECT code, level FROM admin_region WHERE code = ANY(:c)"), {"c": sorted(codes)}
    )
    return {r.code: r.level for r in rows}


def water_geometries(conn: Connection, codes: set[str]) -> dict[str, tuple[str, shapely.Geometry]]:
    """Kind and lon/lat geometry of each water body named."""
    if not codes:
        return {}
    rows = conn.execute(
        text("SELECT code, kind, ST_AsBinary(geom) AS g FROM water_body WHERE code = ANY(:c)"),
        {"c": sorted(codes)},
    )
    return {r.code: (r.kind, shapely.from_wkb(bytes(r.g))) for r in rows}


def crossings(conn: Connection, ids: set[str] | None = None) -> list[CrossingRecord]:
    """Crossings of the current zoning (all, or the ``ids`` named) where a river leaves one
    region for another (stretches along a boundary have no single crossing)."""
    where = "WHERE NOT j.along_boundary AND j.crossing_point IS NOT NULL"
    params: dict = {}
    if ids is not None:
        where += " AND j.id = ANY(:ids)"
        params["ids"] = sorted(ids)
    rows = conn.execute(
        text(
            "SELECT j.id, j.water_body_code, w.name AS water_name, j.level, "
            "j.upstream_region_code, u.name AS up_name, j.downstream_region_code, "
            "d.name AS down_name, ST_X(j.crossing_point) AS lon, ST_Y(j.crossing_point) AS lat "
            "FROM joint_section j JOIN water_body w ON w.code = j.water_body_code "
            "LEFT JOIN admin_region u ON u.code = j.upstream_region_code "
            "LEFT JOIN admin_region d ON d.code = j.downstream_region_code "
            f"{where} ORDER BY j.water_body_code, j.crossing_chainage_m, j.level"
        ),
        params,
    )
    return [
        CrossingRecord(
            r.id,
            r.water_body_code,
            r.water_name,
            r.level,
            r.upstream_region_code,
            r.up_name,
            r.downstream_region_code,
            r.down_name,
            float(r.lon),
            float(r.lat),
        )
        for r in rows
    ]


def section_values(rows: list[dict]) -> list[dict]:
    """Checked section rows as the table takes them (``lon``/``lat`` into a WGS84 point)."""
    return [
        {
            **{k: v for k, v in r.items() if k not in ("lon", "lat")},
            "geom": f"SRID=4326;POINT({r['lon']!r} {r['lat']!r})",
        }
        for r in rows
    ]


def section_water_kinds(conn: Connection, codes: set[str]) -> dict[str, str]:
    """Section code -> kind of its water body (lakes and reservoirs have their own 总磷 limits)."""
    if not codes:
        return {}
    rows = conn.execute(
        text(
            "SELECT s.code, w.kind FROM monitoring_section s "
            "JOIN water_body w ON w.code = s.water_body_code WHERE s.code = ANY(:c)"
        ),
        {"c": sorted(codes)},
    )
    return {r.code: r.kind for r in rows}


def load_sections(conn: Connection, *, region: str | None = None) -> list[SectionRecord]:
    """All sections, or those whose upstream or downstream region lies in ``region``."""
    where, params = "", {}
    if region:
        where = (
            "WHERE EXISTS (WITH RECURSIVE sub(code) AS (SELECT CAST(:r AS text) UNION ALL "
            "SELECT a.code FROM admin_region a JOIN sub ON a.parent_code = sub.code) "
            "SELECT 1 FROM sub WHERE sub.code IN (s.upstream_region_code, "
            "s.downstream_region_code))"
        )
        params["r"] = region
    rows = conn.execute(
        text(
            "SELECT s.code, s.name, s.water_body_code, w.name AS water_name, w.kind, "
            "s.upstream_region_code, u.name AS up_name, s.downstream_region_code, "
            "d.name AS down_name, s.target_class, s.joint_section_id, "
            "ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat FROM monitoring_section s "
            "JOIN water_body w ON w.code = s.water_body_code "
            "JOIN admin_region u ON u.code = s.upstream_region_code "
            "LEFT JOIN admin_region d ON d.code = s.downstream_region_code "
            f"{where} ORDER BY s.code"
        ),
        params,
    )
    return [
        SectionRecord(
            r.code,
            r.name,
            r.water_body_code,
            r.water_name,
            r.kind,
            r.upstream_region_code,
            r.up_name,
            r.downstream_region_code,
            r.down_name,
            int(r.target_class),
            r.joint_section_id,
            float(r.lon),
            float(r.lat),
        )
        for r in rows
    ]


def load_samples(conn: Connection, codes: list[str], first: dt.date, last: dt.date) -> pd.DataFrame:
    """Samples of the sections named, ``first`` <= day <= ``last``: one row each, with the
    class as ``class`` and its basis."""
    rows = conn.execute(
        text(
            "SELECT section_code, sampled_on, dissolved_oxygen, permanganate_index, cod, bod5, "
            "ammonia_nitrogen, total_phosphorus, stated_class, quality_class AS class, "
            "class_basis FROM water_quality_sample WHERE section_code = ANY(:c) "
            "AND sampled_on BETWEEN :a AND :b ORDER BY section_code, sampled_on"
        ),
        {"c": codes, "a": first, "b": last},
    ).mappings()
    columns = [
        "section_code",
        "sampled_on",
        "dissolved_oxygen",
        "permanganate_index",
        "cod",
        "bod5",
        "ammonia_nitrogen",
        "total_phosphorus",
        "stated_class",
        "class",
        "class_basis",
    ]
    return pd.DataFrame([dict(r) for r in rows], columns=columns)


def region_names(conn: Connection, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = conn.execute(
        text("SELECT code, name FROM admin_region WHERE code = ANY(:c)"), {"c": sorted(codes)}
    )
    return {r.code: r.name for r in rows}


def sample_crossings(conn: Connection, waters: Sequence[str]) -> list[dict[str, Any]]:
    """Where the sample generator puts its boundary sections: the township crossings (not
    stretches along a boundary) of ``waters``, upstream first, with the names around them."""
    rows = conn.execute(
        text(
            "SELECT j.id, j.water_body_code, w.name AS water, j.upstream_region_code AS up, "
            "u.name AS up_name, j.downstream_region_code AS down, d.name AS down_name, "
            "round(ST_X(j.crossing_point)::numeric, 7) AS lon, "
            "round(ST_Y(j.crossing_point)::numeric, 7) AS lat FROM joint_section j "
            "JOIN water_body w ON w.code = j.water_body_code "
            "JOIN admin_region u ON u.code = j.upstream_region_code "
            "JOIN admin_region d ON d.code = j.downstream_region_code "
            "WHERE j.level = 'township' AND NOT j.along_boundary AND j.water_body_code = ANY(:w) "
            "ORDER BY j.water_body_code, j.crossing_chainage_m"
        ),
        {"w": list(waters)},
    ).mappings()
    return [dict(r) for r in rows]
