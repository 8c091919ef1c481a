"""SQL of the public signboards (公示牌) and the public's reports through them (群众举报):
candidate segments near boards, bank regions, the posts held on a day, upserts, and the
reports with their photos."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

import pandas as pd
import shapely
from sqlalchemy import Connection, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from gis_service.db.models_signboards import PublicReport, Signboard

# a degree of longitude is at least 70 km up to 50°N (China ends at 53.6°N: 66 km; the
# margin below covers it), so tolerance / 60 km in degrees is a safe search box
_METRES_PER_DEGREE_MIN = 60_000.0


@dataclass(frozen=True)
class BoardRecord:
    """A stored board, with its water's and region's names and its printed chiefs."""

    code: str
    name: str
    lon: float
    lat: float
    water_body_code: str
    water_name: str
    level: str
    region_code: str
    region_name: str
    segment_id: str
    zoning_run_id: int | None
    matched_by: str
    match_distance_m: float
    printed_on: dt.date
    printed_chiefs: list[dict]


def segments_near(
    conn: Connection, lon: list[float], lat: list[float], tolerance_m: float
) -> pd.DataFrame:
    """Segments of the current zoning (not ``outside`` ones) within a box around the boards
    wide enough for ``tolerance_m``: id, water_body_code, level, kind, region codes, geom
    (shapely, WGS84)."""
    columns = ["id", "water_body_code", "level", "kind", "region_code", "left_region_code",
               "right_region_code", "geom"]  # fmt: skip
    if not lon:
        return pd.DataFrame(columns=columns)
    pad = tolerance_m / _METRES_PER_DEGREE_MIN
    rows = conn.execute(
        text(
            "SELECT id, water_body_code, level, kind, region_code, left_region_code, "
            "right_region_code, ST_AsBinary(geom) AS wkb FROM river_segment "
            "WHERE kind <> 'outside' AND geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326) "
            "ORDER BY id"
        ),
        {"x0": min(lon) - pad, "y0": min(lat) - pad, "x1": max(lon) + pad, "y1": max(lat) + pad},
    ).all()
    frame = pd.DataFrame([r[:7] for r in rows], columns=columns[:-1])
    frame["geom"] = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else []
    return frame


def segments_by_id(conn: Connection, ids: set[str]) -> pd.DataFrame:
    """Segments of the current zoning with these ids (same columns as ``segments_near``)."""
    columns = ["id", "water_body_code", "level", "kind", "region_code", "left_region_code",
               "right_region_code", "geom"]  # fmt: skip
    rows = conn.execute(
        text(
            "SELECT id, water_body_code, level, kind, region_code, left_region_code, "
            "right_region_code, ST_AsBinary(geom) AS wkb FROM river_segment WHERE id = ANY(:i)"
        ),
        {"i": sorted(ids)},
    ).all()
    frame = pd.DataFrame([r[:7] for r in rows], columns=columns[:-1])
    frame["geom"] = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else []
    return frame


def region_distances(
    conn: Connection, lon: list[float], lat: list[float], codes: list[list[str]]
) -> dict[tuple[int, str], float]:
    """(board index, region code) -> geodesic metres from board *i* to each region named in
    ``codes[i]`` (0 inside): which bank of a boundary stretch a board stands on."""
    index, xs, ys, cs = [], [], [], []
    for i, (x, y, names) in enumerate(zip(lon, lat, codes, strict=True)):
        for c in names:
            index.append(i)
            xs.append(float(x))
            ys.append(float(y))
            cs.append(c)
    if not index:
        return {}
    rows = conn.execute(
        text(
            "SELECT q.i, r.code, ST_Distance(r.geom::geography, "
            "ST_SetSRID(ST_MakePoint(q.x, q.y), 4326)::geography) "
            "FROM unnest(CAST(:i AS int[]), CAST(:x AS float8[]), CAST(:y AS float8[]), "
            "CAST(:c AS text[])) AS q(i, x, y, c) JOIN admin_region r ON r.code = q.c"
        ),
        {"i": index, "x": xs, "y": ys, "c": cs},
    ).all()
    return {(int(i), str(c)): float(d) for i, c, d in rows}


def posts_on(conn: Connection, day: dt.date, waters: set[str]) -> pd.DataFrame:
    """Posts on ``waters`` held on ``day``: chief_id, chief_name, role, level, region_code,
    water_body_code (no phone numbers: a board is public)."""
    columns = ["chief_id", "chief_name", "role", "level", "region_code", "water_body_code"]
    if not waters:
        return pd.DataFrame(columns=columns)
    rows = conn.execute(
        text(
            "SELECT p.chief_id, c.name AS chief_name, p.role, p.level, p.region_code, "
            "p.water_body_code FROM chief_post p JOIN chief c ON c.id = p.chief_id "
            "WHERE p.water_body_code = ANY(:w) AND p.validity @> CAST(:d AS date)"
        ),
        {"w": sorted(waters), "d": day},
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def upsert_boards(conn: Connection, rows: list[dict]) -> tuple[int, int]:
    """Insert or update by code; rows carry ``geom`` as a shapely point (WGS84) and
    ``printed_chiefs`` as a list of dicts."""
    if not rows:
        return 0, 0
    values = [
        {
            **r,
            "geom": f"SRID=4326;{shapely.to_wkt(r['geom'], rounding_precision=-1)}",
            "printed_chiefs": json.loads(json.dumps(r["printed_chiefs"], ensure_ascii=False)),
        }
        for r in rows
    ]
    # executemany (batched VALUES by the driver): one compiled statement, however many rows
    stmt = pg_insert(Signboard)
    upsert = stmt.on_conflict_do_update(
        index_elements=["code"],
        set_={
            **{c: stmt.excluded[c] for c in values[0] if c != "code"},
            "updated_at": text("now()"),
        },
    ).returning(text("(xmax = 0) AS inserted"))
    flags = [bool(r.inserted) for r in conn.execute(upsert, values)]
    return sum(flags), len(flags) - sum(flags)


_BOARD_SQL = (
    "SELECT b.code, b.name, ST_X(b.geom) AS lon, ST_Y(b.geom) AS lat, b.water_body_code, "
    "w.name AS water_name, b.level, b.region_code, a.name AS region_name, b.segment_id, "
    "b.zoning_run_id, b.matched_by, b.match_distance_m, b.printed_on, b.printed_chiefs "
    "FROM signboard b JOIN water_body w ON w.code = b.water_body_code "
    "JOIN admin_region a ON a.code = b.region_code "
)


def boards(
    conn: Connection, *, codes: list[str] | None = None, water: str | None = None
) -> list[BoardRecord]:
    """Stored boards (all, these codes, or on one water), by code."""
    where: list[str] = []
    params: dict[str, object] = {}
    if codes is not None:
        where.append("b.code = ANY(:c)")
        params["c"] = codes
    if water is not None:
        where.append("b.water_body_code = :w")
        params["w"] = water
    sql = _BOARD_SQL + (f"WHERE {' AND '.join(where)} " if where else "") + "ORDER BY b.code"
    rows = conn.execute(text(sql), params).mappings()
    return [BoardRecord(**dict(r)) for r in rows]


def ancestors_of(conn: Connection, codes: set[str]) -> dict[str, tuple[str, ...]]:
    """Each region of ``codes`` with its ancestors (itself first)."""
    if not codes:
        return {}
    rows = conn.execute(
        text(
            "WITH RECURSIVE up(start, code, parent, depth) AS ("
            " SELECT code, code, parent_code, 0 FROM admin_region WHERE code = ANY(:c)"
            " UNION ALL SELECT up.start, r.code, r.parent_code, up.depth + 1 "
            " FROM admin_region r JOIN up ON r.code = up.parent) "
            "SELECT start, code FROM up ORDER BY start, depth"
        ),
        {"c": sorted(codes)},
    ).all()
    out: dict[str, list[str]] = {}
    for start, code in rows:
        out.setdefault(start, []).append(code)
    return {k: tuple(v) for k, v in out.items()}


def insert_report(
    conn: Connection,
    *,
    problem_id: uuid.UUID,
    board_code: str,
    segment_id: str,
    location_given: bool,
    photo: bytes | None,
    photo_type: str | None,
    photo_sha256: str | None,
) -> None:
    conn.execute(
        pg_insert(PublicReport).values(
            problem_id=problem_id,
            board_code=board_code,
            segment_id=segment_id,
            location_given=location_given,
            photo=photo,
            photo_type=photo_type,
            photo_sha256=photo_sha256,
        )
    )


def report_photo(conn: Connection, problem_id: uuid.UUID) -> tuple[bytes, str] | None:
    """The photo of a public report (bytes, media type), None without one."""
    row = conn.execute(
        text("SELECT photo, photo_type FROM public_report WHERE problem_id = :p"),
        {"p": problem_id},
    ).first()
    if row is None or row.photo is None:
        return None
    return bytes(row.photo), str(row.photo_type)


def reports_of(conn: Connection, board_code: str) -> int:
    return int(
        conn.execute(
            text("SELECT count(*) FROM public_report WHERE board_code = :b"), {"b": board_code}
        ).scalar_one()
    )


def sample_board_sites(conn: Connection, fractions: tuple[float, ...] = (0.5,)) -> list[dict]:
    """Where the sample generator puts boards: points at ``fractions`` along each
    single-line village stretch inside a village (rivers and canals), with the water's and
    the village's names, ordered along each water."""
    rows = conn.execute(
        text(
            "SELECT s.id, s.water_body_code, w.name AS water, s.region_code, a.name AS village, "
            "f.frac, "
            "round(ST_X(ST_LineInterpolatePoint(ST_LineMerge(s.geom), f.frac))::numeric, 7) "
            "AS lon, "
            "round(ST_Y(ST_LineInterpolatePoint(ST_LineMerge(s.geom), f.frac))::numeric, 7) "
            "AS lat FROM river_segment s JOIN water_body w ON w.code = s.water_body_code "
            "JOIN admin_region a ON a.code = s.region_code "
            "CROSS JOIN unnest(CAST(:f AS float8[])) AS f(frac) "
            "WHERE s.level = 'village' AND s.kind = 'inside' "
            "AND GeometryType(ST_LineMerge(s.geom)) = 'LINESTRING' "
            "ORDER BY s.water_body_code, s.chainage_from_m, f.frac"
        ),
        {"f": [float(f) for f in fractions]},
    ).mappings()
    return [dict(r) for r in rows]
