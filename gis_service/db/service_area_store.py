"""Where points lie relative to the database's regions: the SQL of ``services.service_area``.

The count of an upload's tested points inside some region travels with the upload's
prefetch (``patrol_store.prefetch``) and a re-match chunk's (``rematch_store.chunk_facts``):
they embed :data:`INSIDE_SQL` and bind :func:`inside_params`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

from gis_service.db.bulk import float_array, int_array

# per track k: (tested points inside some region, tested points). A region covering the
# convex hull of a track's tested points covers each of them, so the count is all of them:
# one index probe and one covers test instead of one probe per point (200). Only a track
# that no single region covers (it crosses a province border, or leaves the regions) is
# tested point by point. The same count either way (tests compare it with shapely's).
# The regions whose box holds the hull's (a village, its township, county, city, province)
# are tried smallest first: the first that covers ends the test, and a covers test costs by
# the region's vertices (the sample province's 2,172: 0.53 ms of the prefetch's 0.78; real
# provinces have far more)
INSIDE_SQL = (
    "SELECT q.k, CASE WHEN EXISTS (SELECT 1 FROM (SELECT r.geom FROM admin_region r "
    "WHERE r.geom ~ q.hull ORDER BY ST_NPoints(r.geom) OFFSET 0) c "
    "WHERE ST_Covers(c.geom, q.hull)) "
    "THEN q.n ELSE (SELECT count(*) FROM unnest(q.xs, q.ys) AS p(x, y) WHERE EXISTS ("
    "SELECT 1 FROM admin_region r "
    "WHERE ST_Intersects(r.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326)))) END, q.n "
    "FROM (SELECT t.k, count(*) AS n, array_agg(t.x) AS xs, array_agg(t.y) AS ys, "
    "ST_ConvexHull(ST_Collect(ST_SetSRID(ST_MakePoint(t.x, t.y), 4326))) AS hull "
    "FROM unnest(CAST(:sk AS int[]), CAST(:sx AS float8[]), CAST(:sy AS float8[])) "
    "AS t(k, x, y) GROUP BY t.k) q"
)


def inside_params(points: Sequence[tuple[Sequence[float], Sequence[float]]]) -> dict[str, Any]:
    """The bind values of :data:`INSIDE_SQL` for tracks' (lon, lat) tested points, as array
    literals (``bulk.float_array``: no per-element planning)."""
    return {
        "sk": int_array(k for k, (x, _) in enumerate(points) for _ in x),
        "sx": float_array(v for x, _ in points for v in x),
        "sy": float_array(v for _, y in points for v in y),
    }


def inside_of(rows: Sequence[Sequence[Any]], n: int) -> list[tuple[int, int]]:
    """:data:`INSIDE_SQL`'s rows as (inside, tested) per track, in order ((0, 0): none)."""
    inside = [(0, 0)] * n
    for k, n_in, tested in rows:
        inside[int(k)] = (int(n_in), int(tested))
    return inside


def inside_counts(
    conn: Connection, points: Sequence[tuple[Sequence[float], Sequence[float]]]
) -> list[tuple[int, int]]:
    """(inside, tested) per track of tested points, in one statement."""
    if not points:
        return []
    rows = conn.execute(text(INSIDE_SQL), inside_params(points)).all()
    return inside_of(rows, len(points))


def nearest_region_m(conn: Connection, multipoint_wkt: str) -> float | None:
    """Geodesic distance in metres from the points to the nearest region (None: no regions):
    nearest by bounding box first (index), then the true distance of a few."""
    distance = conn.execute(
        text(
            "SELECT min(ST_Distance(r.geom::geography, p.g::geography)) FROM "
            "(SELECT ST_GeomFromText(:p, 4326) AS g) p, LATERAL (SELECT geom FROM admin_region "
            "ORDER BY geom <-> p.g LIMIT 5) r"
        ),
        {"p": multipoint_wkt},
    ).scalar()
    return None if distance is None else float(distance)
