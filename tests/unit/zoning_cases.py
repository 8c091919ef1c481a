"""Small hand-checkable region hierarchies and random ones for property tests."""

from __future__ import annotations

import numpy as np
import shapely

from gis_service.domain.regions import RegionHierarchy


def two_counties(width: float = 2000.0, height: float = 2000.0) -> RegionHierarchy:
    """City 990100 = west county 990101 | east county 990102, split at x = width/2.

    Each county has one township and two villages split at y = height/2 (south 001, north 002).
    """
    half = width / 2
    rows = [("990100", "city", None, shapely.box(0, 0, width, height))]
    for c, (x0, x1) in enumerate(((0, half), (half, width)), start=1):
        county = f"99010{c}"
        town = f"{county}001"
        rows.append((county, "county", "990100", shapely.box(x0, 0, x1, height)))
        rows.append((town, "township", county, shapely.box(x0, 0, x1, height)))
        rows.append((f"{town}001", "village", town, shapely.box(x0, 0, x1, height / 2)))
        rows.append((f"{town}002", "village", town, shapely.box(x0, height / 2, x1, height)))
    codes, levels, parents, geoms = zip(*rows, strict=True)
    return RegionHierarchy.from_rows(codes, levels, parents, geoms)


def random_hierarchy(
    rng: np.random.Generator,
    *,
    size: float = 10_000.0,
    counties: int = 3,
    towns: int = 3,
    villages: int = 3,
) -> RegionHierarchy:
    """A city tiled by Voronoi counties, townships and villages (exact tiling by clipping)."""
    city = shapely.box(0, 0, size, size)
    rows = [("990100", "city", None, city)]

    def split(parent: shapely.Geometry, n: int) -> list[shapely.Geometry]:
        minx, miny, maxx, maxy = parent.bounds
        pts = []
        while len(pts) < n:
            p = shapely.Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            if parent.contains(p):
                pts.append(p)
        cells = shapely.get_parts(
            shapely.voronoi_polygons(
                shapely.multipoints(pts), extend_to=parent.envelope.buffer(size)
            )
        )
        parts = shapely.intersection(cells, parent)
        return [g for g in parts if not g.is_empty and g.area > 0]

    for i, county in enumerate(split(city, counties), start=1):
        c_code = f"9901{i:02d}"
        rows.append((c_code, "county", "990100", county))
        for j, town in enumerate(split(county, towns), start=1):
            t_code = f"{c_code}{j:03d}"
            rows.append((t_code, "township", c_code, town))
            for k, village in enumerate(split(town, villages), start=1):
                rows.append((f"{t_code}{k:03d}", "village", t_code, village))
    codes, levels, parents, geoms = zip(*rows, strict=True)
    return RegionHierarchy.from_rows(codes, levels, parents, geoms)


def meander(
    rng: np.random.Generator, start, heading: float, length: float, step: float = 50.0
) -> shapely.LineString:
    """A smooth random river line of about ``length`` metres."""
    n = max(2, int(length / step))
    turns = np.cumsum(rng.normal(0, 0.15, n))
    angles = heading + turns - turns.mean()
    xy = np.asarray(start) + np.cumsum(
        np.column_stack([np.cos(angles), np.sin(angles)]) * step, axis=0
    )
    return shapely.LineString(np.vstack([start, xy]))
