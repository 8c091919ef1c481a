"""The count of tested points inside some region (``db.service_area_store``), which takes a
shortcut (a region covering the track's hull covers all its points), against shapely's
count of the same points in the same regions: one count, whichever path the query took."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from sqlalchemy import text

from gis_service.db.service_area_store import inside_counts


@pytest.fixture
def regions(sample_loaded, conn):
    rows = conn.execute(text("SELECT code, ST_AsBinary(geom) FROM admin_region")).all()
    return {code: shapely.from_wkb(bytes(wkb)) for code, wkb in rows}


def _shapely_count(regions, x, y) -> int:
    union = shapely.union_all(list(regions.values()))
    return int(shapely.intersects_xy(union, np.asarray(x), np.asarray(y)).sum())


def _track(lon0, lat0, lon1, lat1, n=200):
    """A straight walk of ``n`` points between two places (lon/lat)."""
    return list(np.linspace(lon0, lon1, n)), list(np.linspace(lat0, lat1, n))


def _across_a_border(regions):
    """A short walk across the border of two neighbouring regions of the lowest level."""
    codes = sorted(regions)
    for a in codes:
        for b in codes:
            if a < b and len(a) == len(b) and regions[a].touches(regions[b]):
                edge = shapely.intersection(regions[a].boundary, regions[b].boundary)
                if edge.length > 0.01:
                    mid = shapely.line_interpolate_point(edge, 0.5, normalized=True)
                    pa = shapely.point_on_surface(regions[a])
                    pb = shapely.point_on_surface(regions[b])
                    return a, b, (pa.x, pa.y, mid.x, mid.y, pb.x, pb.y)
    raise AssertionError("no two neighbouring regions in the sample")


def test_the_count_is_shapelys_on_every_path(regions, conn):
    some = regions[min(regions, key=lambda c: shapely.area(regions[c]))]
    inner = shapely.point_on_surface(some)
    minx, miny, maxx, maxy = shapely.bounds(shapely.union_all(list(regions.values())))
    _, _, (ax, ay, mx, my, bx, by) = _across_a_border(regions)
    corner = shapely.get_coordinates(some.exterior if some.geom_type == "Polygon" else some)[0]
    tracks = [
        _track(inner.x, inner.y, inner.x + 1e-4, inner.y + 1e-4),  # inside one small region
        (
            list(np.linspace(ax, mx, 100)) + list(np.linspace(mx, bx, 100)),
            list(np.linspace(ay, my, 100)) + list(np.linspace(my, by, 100)),
        ),  # across a border
        _track(minx + 0.3 * (maxx - minx), miny, maxx + 1.0, maxy + 1.0),  # leaves the regions
        _track(2.30, 48.80, 2.40, 48.90),  # Paris: outside
        ([inner.x] * 50, [inner.y] * 50),  # one place: the hull is a point
        _track(inner.x, inner.y, inner.x, inner.y + 1e-4, 30),  # the hull is a line
        ([float(corner[0])] * 3, [float(corner[1])] * 3),  # on a region's corner
    ]
    counted = inside_counts(conn, tracks)
    expected = [(_shapely_count(regions, x, y), len(x)) for x, y in tracks]
    assert counted == expected
    # each path was taken: all inside, some inside, none inside
    assert {c[0] == c[1] for c in counted} == {True, False}
    assert any(0 < c[0] < c[1] for c in counted)
    assert counted[3][0] == 0


def test_the_count_is_shapelys_on_real_county_boundaries(sample_loaded, conn, tmp_path):
    """Outside truth: the real counties of Qinzhou and Yulin (data/realdata, AMap via DataV,
    GCJ-02, imported as the importer converts them), hundreds of vertices each, some
    repaired. Tracks inside a county, across two counties' border, from a county out to
    sea, and across a prefecture's edge: the shortcut (a covering region, tried smallest
    first) and the point-by-point path give shapely's count on these outlines too."""
    import shutil
    from pathlib import Path

    from gis_service.services.importing import import_regions

    real = Path(__file__).parents[2] / "data" / "realdata"
    for name in ("450700_full.json", "450900_full.json"):
        path = shutil.copy(real / name, tmp_path / name)
        import_regions(conn, path, crs="gcj02", derive_parents=True)
    rows = conn.execute(text("SELECT code, ST_AsBinary(geom) FROM admin_region")).all()
    regions = {code: shapely.from_wkb(bytes(wkb)) for code, wkb in rows}
    counties = {c: g for c, g in regions.items() if c[:4] in ("4507", "4509") and c[4:] != "00"}
    assert len(counties) >= 6 and max(shapely.get_num_coordinates(list(counties.values()))) > 500
    inner = shapely.point_on_surface(counties["450702"])  # 钦南区, on the coast
    a, b, (ax, ay, mx, my, bx, by) = _across_a_border(counties)
    yulin = shapely.point_on_surface(counties["450902"])  # 玉州区
    tracks = [
        _track(inner.x, inner.y, inner.x + 2e-3, inner.y + 1e-3),  # inside one county
        (
            list(np.linspace(ax, mx, 100)) + list(np.linspace(mx, bx, 100)),
            list(np.linspace(ay, my, 100)) + list(np.linspace(my, by, 100)),
        ),  # across two real counties' border
        _track(inner.x, inner.y, inner.x, inner.y - 0.6),  # from the county out to sea
        _track(inner.x, inner.y, yulin.x, yulin.y),  # Qinzhou to Yulin, through others
    ]
    counted = inside_counts(conn, tracks)
    expected = [(_shapely_count(regions, x, y), len(x)) for x, y in tracks]
    assert counted == expected, (a, b)
    assert counted[0][0] == counted[0][1] and 0 < counted[2][0] < counted[2][1]
