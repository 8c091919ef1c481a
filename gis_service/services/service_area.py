"""Is a place inside the service area (the regions in the database), and how far off is it?

A track recorded abroad, or a problem reported at the wrong end of the country, is not an
error of the service: it is named as such (``outside_service_area``, with the distance to the
nearest region) instead of crashing a map or passing for an unassigned patrol.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import Connection

from gis_service.db import service_area_store

# points tested per track: evenly spaced, enough to tell "mostly outside" to a few percent
MAX_TESTED_POINTS = 200


@dataclass(frozen=True)
class ServiceArea:
    """Share of the tested points inside some region, and the geodesic distance in metres
    from the points to the nearest region (0 when some point is inside; None: no regions)."""

    inside_share: float
    distance_m: float | None

    def mostly_outside(self, share: float = 0.5) -> bool:
        return self.inside_share < share


def tested_points(lon: np.ndarray, lat: np.ndarray) -> tuple[list[float], list[float]]:
    """The finite points tested, evenly spaced (at most ``MAX_TESTED_POINTS``)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[ok], lat[ok]
    if len(lon) == 0:
        return [], []
    pick = np.unique(np.linspace(0, len(lon) - 1, min(len(lon), MAX_TESTED_POINTS)).astype(int))
    return lon[pick].tolist(), lat[pick].tolist()


def service_area(
    conn: Connection,
    lon: np.ndarray,
    lat: np.ndarray,
    counted: tuple[int, int] | None = None,
) -> ServiceArea:
    """Where points lie relative to the database's regions (two indexed queries).
    ``counted``: (inside, tested) of :func:`tested_points` when already read (the patrol
    upload reads it with its other prefetched facts); the distance query runs only for
    points outside every region. The tested points are picked again only for that query:
    an upload that brings its count picked them for its prefetch already."""
    if counted is None:
        x, y = tested_points(lon, lat)
        if not x:
            return ServiceArea(0.0, None)
        counted = service_area_store.inside_counts(conn, [(x, y)])[0]
    inside, tested = counted
    if not tested:
        return ServiceArea(0.0, None)
    if inside:
        return ServiceArea(inside / tested, 0.0)
    x, y = tested_points(lon, lat)
    points = shapely.to_wkt(shapely.multipoints(np.column_stack([x, y])))
    return ServiceArea(0.0, service_area_store.nearest_region_m(conn, points))
