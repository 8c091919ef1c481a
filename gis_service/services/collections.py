"""Feature collections in the style of OGC API - Features Part 1 (Core, GeoJSON).

Each collection is a declaration (table, id, geometry, properties, which filters apply);
one query builder serves them all, with every user value a bound parameter. Identifiers in
the SQL come only from these declarations, never from a request.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from gis_service.db.columns import (
    JOINT_FIELDS,
    REGION_FIELDS,
    SEGMENT_FIELDS,
    WATER_BODY_FIELDS,
    ZONE_FIELDS,
)
from gis_service.db.geojson import geojson_sql
from gis_service.db.queries import DESCENDANTS, local_day_bounds
from gis_service.domain.periods import local_today
from gis_service.errors import InputError, NotFoundError
from gis_service.fileio.cells import cell_date
from gis_service.services.problems import decorate_problem

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 100
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    table: str
    id_column: str
    properties: tuple[str, ...]
    region_columns: tuple[str, ...] = ()
    level_column: str | None = None
    water_column: str | None = None
    date_column: str | None = None
    public_hidden: tuple[str, ...] = field(default=())  # not shown to viewers


COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            "regions", "行政区划 Administrative regions",
            "Province, city, county, township and village boundaries.",
            "admin_region", "code", REGION_FIELDS,
            region_columns=("code",), level_column="level",
        ),
        Collection(
            "water-bodies", "水体 Water bodies",
            "Rivers and canals (centre lines), lakes, reservoirs and ponds (water polygons).",
            "water_body", "code",
            WATER_BODY_FIELDS,
            region_columns=("managing_region_code",), level_column="managing_level",
            water_column="code",
        ),
        Collection(
            "segments", "河段 Responsibility segments",
            "Each river's stretches per administrative level, with the responsible region "
            "(or left/right bank regions on a boundary stretch).",
            "river_segment", "id",
            SEGMENT_FIELDS,
            region_columns=("region_code", "left_region_code", "right_region_code"),
            level_column="level", water_column="water_body_code",
        ),
        Collection(
            "zones", "水域与岸线 Lake and reservoir zones",
            "Water areas (水域), shoreline zones by village (岸线) and regions' water shares.",
            "still_water_zone", "id",
            ZONE_FIELDS,
            region_columns=("region_code",), level_column="level",
            water_column="water_body_code",
        ),
        Collection(
            "joint-sections", "联防联控河段 Cross-boundary joint sections",
            "1 km up and down from every boundary crossing, shared by both sides.",
            "joint_section", "id",
            JOINT_FIELDS,
            region_columns=("upstream_region_code", "downstream_region_code"),
            level_column="level", water_column="water_body_code",
        ),
        Collection(
            "problems", "河湖问题 Problems",
            "Problems found on patrol, reported by the public (群众举报) or the media, or handed "
            "down by a superior, with their handling status and the hand-over deadline (set "
            "per case).",
            "problem", "id",
            ("category", "source", "source_detail", "status", "description", "photo_ref",
             "found_at", "reported_at", "handed_to", "handed_over_on", "deadline", "answer",
             "answered_on", "verified_on", "closed_on", "chief_id", "patrol_id",
             "water_body_code", "region_code"),
            region_columns=("region_code",), water_column="water_body_code",
            date_column="found_at",
            public_hidden=("description", "photo_ref", "patrol_id", "answer", "source_detail"),
        ),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Reader:
    """Who reads a collection: personal fields (``public_hidden``) are shown to the office
    (``everything``) and, on a chief's own records (``chief_id``), to that chief."""

    everything: bool = False
    own_chief: str | None = None

    def sees(self, row: dict) -> bool:
        return self.everything or (
            self.own_chief is not None and row.get("chief_id") == self.own_chief
        )


PUBLIC = Reader()


@dataclass(frozen=True)
class ItemQuery:
    bbox: tuple[float, float, float, float] | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    region: str | None = None
    level: str | None = None
    water_body: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``minLon,minLat,maxLon,maxLat`` in CRS84, checked."""
    if value is None:
        return None
    try:
        parts = tuple(float(p) for p in value.split(","))
    except ValueError:
        raise InputError(f"bbox {value!r}: four numbers, minLon,minLat,maxLon,maxLat") from None
    if len(parts) != 4 or not all(abs(p) < float("inf") for p in parts):
        raise InputError(f"bbox {value!r}: four numbers, minLon,minLat,maxLon,maxLat")
    x0, y0, x1, y1 = parts
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise InputError(f"bbox {value!r}: expected -180<=minLon<=maxLon<=180, same for lat")
    return x0, y0, x1, y1


def parse_datetime(value: str | None) -> tuple[dt.date | None, dt.date | None]:
    """OGC ``datetime``: a date, or an interval ``start/end`` with ``..`` for open ends."""
    if value is None:
        return None, None

    def one(part: str) -> dt.date | None:
        if part in ("", ".."):
            return None
        try:
            return cell_date(part, time_of_day=True)
        except ValueError:
            raise InputError(f"datetime {value!r}: use YYYY-MM-DD or start/end") from None

    if "/" in value:
        start, _, end = value.partition("/")
        a, b = one(start), one(end)
        if a and b and a > b:
            raise InputError(f"datetime {value!r}: start after end")
        return a, b
    day = one(value)
    return day, day


def collection(cid: str) -> Collection:
    if cid not in COLLECTIONS:
        raise NotFoundError(f"collection {cid!r} not found; see /collections")
    return COLLECTIONS[cid]


def _where(c: Collection, q: ItemQuery, params: dict, timezone: str) -> str:
    clauses: list[str] = []
    if q.bbox is not None:
        clauses.append("geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)")
        params.update(zip(("x0", "y0", "x1", "y1"), q.bbox, strict=True))
    if q.region is not None:
        if not c.region_columns:
            raise InputError(f"collection {c.id} has no region filter")
        clauses.append(
            "(" + " OR ".join(f"{col} IN (SELECT code FROM sub)" for col in c.region_columns) + ")"
        )
        params["region"] = q.region
    for value, column, name in (
        (q.level, c.level_column, "level"),
        (q.water_body, c.water_column, "water_body"),
    ):
        if value is not None:
            if column is None:
                raise InputError(f"collection {c.id} has no {name} filter")
            clauses.append(f"{column} = :{name}")
            params[name] = value
    if q.start is not None or q.end is not None:
        if c.date_column is None:
            raise InputError(f"collection {c.id} has no date (datetime filter)")
        # dates are local dates (a problem found at 07:00 in Beihai is found that day)
        lo, hi = local_day_bounds(q.start, q.end, timezone)
        if lo is not None:
            clauses.append(f"{c.date_column} >= :start")
            params["start"] = lo
        if hi is not None:
            clauses.append(f"{c.date_column} < :end")
            params["end"] = hi
    return ("WHERE " + " AND ".join(clauses)) if clauses else ""


def _feature(c: Collection, row: dict, reader: Reader, timezone: str) -> dict:
    shown = reader.sees(row)
    props = {k: row[k] for k in c.properties if shown or k not in c.public_hidden}
    if c.id == "problems":
        extra = decorate_problem(
            {**{k: row[k] for k in c.properties}, "id": row["fid"]}, local_today(timezone)
        )
        props |= {
            k: extra[k] for k in ("category_label", "source_label", "status_label", "overdue")
        }
    for key, value in props.items():
        if isinstance(value, dt.date | dt.datetime):
            props[key] = value.isoformat()
        elif isinstance(value, uuid.UUID):
            props[key] = str(value)
    return {
        "type": "Feature",
        "id": str(row["fid"]),
        "geometry": json.loads(row["geometry"]),
        "properties": props,
    }


def items(
    conn: Connection, cid: str, q: ItemQuery, *, timezone: str, reader: Reader = PUBLIC
) -> tuple[list[dict], int]:
    """One page of features and the number matched; dates are local to ``timezone`` (the
    office's)."""
    c = collection(cid)
    if not 1 <= q.limit <= MAX_LIMIT:
        raise InputError(f"limit must be between 1 and {MAX_LIMIT}")
    params: dict = {"limit": q.limit, "offset": q.offset}
    where = _where(c, q, params, timezone)
    head = DESCENDANTS if q.region is not None else ""
    cols = ", ".join(c.properties)
    sql = (
        f"{head}SELECT {c.id_column} AS fid, {cols}, {geojson_sql('geom')} AS geometry "
        f"FROM {c.table} {where} ORDER BY {c.id_column} LIMIT :limit OFFSET :offset"
    )
    rows = conn.execute(text(sql), params).mappings().all()
    matched = conn.execute(
        text(f"{head}SELECT count(*) FROM {c.table} {where}"), params
    ).scalar_one()
    return [_feature(c, dict(r), reader, timezone) for r in rows], int(matched)


def item(conn: Connection, cid: str, fid: str, *, timezone: str, reader: Reader = PUBLIC) -> dict:
    c = collection(cid)
    key = "CAST(:fid AS uuid)" if c.id == "problems" else ":fid"
    if c.id == "problems":
        try:
            uuid.UUID(fid)
        except ValueError:
            raise NotFoundError(f"{cid}/{fid} not found") from None
    cols = ", ".join(c.properties)
    row = (
        conn.execute(
            text(
                f"SELECT {c.id_column} AS fid, {cols}, {geojson_sql('geom')} AS geometry "
                f"FROM {c.table} WHERE {c.id_column} = {key}"
            ),
            {"fid": fid},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(f"{cid}/{fid} not found")
    return _feature(c, dict(row), reader, timezone)


def extent(conn: Connection, cid: str) -> list[float] | None:
    """The collection's bounding box (CRS84), from the spatial index's estimate when possible."""
    c = collection(cid)
    box = conn.execute(
        text(
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            f"FROM (SELECT ST_Extent(geom) AS e FROM {c.table}) s"
        )
    ).first()
    if box is None or box[0] is None:
        return None
    return [round(float(v), 6) for v in box]
