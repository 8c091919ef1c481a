"""What a chief's posts may cover on a day: the candidate segments and zones, read for
``domain.assignments`` to decide (patrol matching uses it; the audit reads whole regions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, text

from gis_service.db.queries import region_ancestors
from gis_service.db.zoning_runs import current_run
from gis_service.domain.vocab import LEVELS, REGION_ROLES

_LEVELS_SQL = "ARRAY[" + ", ".join(f"'{level}'" for level in LEVELS) + "]"


def load_post_targets(
    conn: Connection, chief_id: str, day: dt.date, run_id: int | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, tuple[str, ...]], dict[str, str]]:
    """The chief's posts held on ``day``, the segments and zones of zoning run ``run_id`` (the
    run in force that day) they may cover (with the geometry the matcher needs), region
    ancestors (for general chiefs) and water kinds."""
    posts = pd.read_sql(
        text(
            "SELECT p.id AS post_id, p.chief_id, c.name AS chief_name, p.role, p.level, "
            "p.region_code, p.water_body_code, p.valid_from, p.valid_to FROM chief_post p "
            "JOIN chief c ON c.id = p.chief_id "
            "WHERE p.chief_id = :c AND p.validity @> CAST(:d AS date) ORDER BY p.id"
        ),
        conn,
        params={"c": chief_id, "d": day},
    )
    general = posts[posts["role"].isin(REGION_ROLES)]
    waters = sorted(set(posts["water_body_code"].dropna()))
    roots = sorted(set(general["region_code"]))
    coarsest = min((LEVELS.index(lv) for lv in general["level"]), default=len(LEVELS))
    segs = pd.read_sql(
        text(
            "WITH RECURSIVE sub(code) AS (SELECT code FROM admin_region WHERE code = ANY(:r) "
            "UNION ALL SELECT a.code FROM admin_region a JOIN sub ON a.parent_code = sub.code) "
            "SELECT s.id, s.water_body_code, s.level, s.kind, s.region_code, s.left_region_code, "
            "s.right_region_code, s.chainage_from_m, s.chainage_to_m, s.length_m, "
            "w.buffer_width_m FROM river_segment_version s "
            "JOIN water_body w ON w.code = s.water_body_code "
            "WHERE s.run_id = :run AND s.kind <> 'outside' AND (s.water_body_code = ANY(:w) OR "
            f"(array_position({_LEVELS_SQL}, s.level::text) > :coarsest AND "
            "(s.region_code IN (SELECT code FROM sub) OR s.left_region_code IN (SELECT code FROM "
            "sub) OR s.right_region_code IN (SELECT code FROM sub)))) "
            # the targets' order (reported in it): by water and chainage, never the plan's
            "ORDER BY s.water_body_code, s.chainage_from_m, s.level, s.id"
        ),
        conn,
        params={"r": roots, "w": waters, "coarsest": coarsest, "run": run_id},
    )
    zones = pd.read_sql(
        text(
            "SELECT z.id, z.kind, z.water_body_code, z.level, z.region_code, z.region_codes, "
            "z.share, w.buffer_width_m, ST_AsBinary(z.geom) AS zone, ST_AsBinary(w.geom) AS water "
            "FROM still_water_zone_version z JOIN water_body w ON w.code = z.water_body_code "
            "WHERE z.run_id = :run AND (z.water_body_code = ANY(:w) OR (z.kind = 'shoreline' "
            "AND EXISTS (SELECT 1 FROM unnest(CAST(:gl AS text[]), CAST(:gr AS text[])) "
            "AS g(level, code) WHERE z.region_codes ->> g.level = g.code))) "
            "ORDER BY z.water_body_code, z.id"
        ),
        conn,
        params={
            "w": waters,
            "gl": list(general["level"]),
            "gr": list(general["region_code"]),
            "run": run_id,
        },
    )
    # what the general posts' matching asks: the chains above the segments' own regions
    ancestors = {}
    if len(general):
        need = pd.concat([segs["region_code"], segs["left_region_code"], segs["right_region_code"]])
        ancestors = region_ancestors(conn, need.dropna().astype(str).tolist())
    codes = sorted(set(segs["water_body_code"]) | set(zones["water_body_code"]) | set(waters))
    kinds: dict[str, str] = dict(
        conn.execute(
            text("SELECT code, kind FROM water_body WHERE code = ANY(:w)"), {"w": codes}
        ).all()
    )
    return posts, segs, zones, ancestors, kinds


@dataclass(frozen=True)
class WaterLine:
    """A river's stored line (WGS84 WKB) and whether its digitised direction runs upstream."""

    code: str
    flow_reversed: bool
    wkb: bytes


def water_lines(conn: Connection, codes: Sequence[str]) -> list[WaterLine]:
    """The lines of the given water bodies, ordered by code."""
    rows = conn.execute(
        text(
            "SELECT code, flow_reversed, ST_AsBinary(geom) FROM water_body WHERE code = ANY(:w) "
            "ORDER BY code"
        ),
        {"w": list(codes)},
    ).all()
    return [WaterLine(code, bool(rev), bytes(g)) for code, rev, g in rows]


def stored_river_lengths(
    conn: Connection, codes: Sequence[str], run_id: int | None
) -> dict[str, float]:
    """Each river's length in the chainage of zoning run ``run_id`` (its last segment's end)."""
    rows = conn.execute(
        text(
            "SELECT water_body_code, max(chainage_to_m) FROM river_segment_version "
            "WHERE run_id = :run AND water_body_code = ANY(:w) GROUP BY water_body_code"
        ),
        {"w": list(codes), "run": run_id},
    ).all()
    return {code: float(total or 0.0) for code, total in rows}


def zoning_metric_zones(conn: Connection, run_id: int | None) -> list[int]:
    """The metric EPSG codes zoning run ``run_id`` measured in."""
    counts = conn.execute(
        text("SELECT counts -> 'metric_zones' FROM zoning_run WHERE id = :run"), {"run": run_id}
    ).scalar()
    return sorted(int(z) for z in (counts or {}))


def newest_metric_zones(conn: Connection) -> list[int]:
    """The metric zones of the newest zoning run: the zones an upload of the service area is
    measured in (the track's own GK zone) and its chief's lines are transformed to."""
    run = current_run(conn)
    return zoning_metric_zones(conn, run) if run is not None else []


@dataclass(frozen=True)
class ChiefPlace:
    """A chief whose phone may upload (a live token) and where their posts lie: the centre
    of their posts' regions (WGS84), to choose the metric zone their tracks will be in."""

    chief_id: str
    lon: float
    lat: float


def chiefs_with_tokens(conn: Connection, day: dt.date, limit: int) -> list[ChiefPlace]:
    """Chiefs of active users holding a live token, with a post on ``day``, at most
    ``limit`` (by id: the order is only to be repeatable)."""
    rows = conn.execute(
        text(
            "SELECT p.chief_id, ST_X(c), ST_Y(c) FROM ("
            "  SELECT p.chief_id, ST_Centroid(ST_Collect(ST_Envelope(r.geom))) AS c "
            "  FROM chief_post p JOIN admin_region r ON r.code = p.region_code "
            "  WHERE p.validity @> CAST(:d AS date) AND p.chief_id IN ("
            "    SELECT u.chief_id FROM app_user u JOIN api_token t ON t.user_id = u.id "
            "    WHERE u.active AND u.chief_id IS NOT NULL AND t.revoked_at IS NULL "
            "    AND (t.expires_at IS NULL OR t.expires_at > now())) "
            "  GROUP BY p.chief_id ORDER BY p.chief_id LIMIT :n) p"
        ),
        {"d": day, "n": limit},
    ).all()
    return [ChiefPlace(c, float(x), float(y)) for c, x, y in rows if x is not None]
