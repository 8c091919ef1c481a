"""Measured where it lies: metric zones per feature, per unit of zoning work (issue 14).

Reference figures come from outside the service: pyproj's ``Geod`` on the GRS80 ellipsoid
(CGCS2000's), which measures on the ellipsoid without any projection.
"""

from __future__ import annotations

import threading

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from gis_service.domain import crs
from gis_service.domain.zoning_partition import connected_groups, partition_by_zone
from gis_service.services.zoning import compute

GEOD = Geod(ellps="GRS80")
# issue 14: rivers at 75E, 105E and 134E, latitudes 25-48N, in one database
PLACES = {"X75": (75.0, 39.0), "X105": (105.0, 25.5), "X134": (134.0, 47.5)}


def test_zone_where_a_place_lies():
    assert crs.local_metric_epsg(109.1, 21.5) == 4545  # Beihai: CM 108E
    assert crs.local_metric_epsg(83.0, 46.7) == 4537  # Tacheng: CM 84E
    assert crs.local_metric_epsg(134.0, 47.5) == 4554  # CM 135E
    # abroad: the UTM zone of the place, not the nearest Chinese zone (no exception)
    assert crs.local_metric_epsg(14.5, 46.05) == 32633  # Ljubljana
    assert crs.local_metric_epsg(-58.4, -34.6) == 32721  # Buenos Aires
    zones = crs.zones_of(
        np.array(
            [shapely.Point(109.1, 21.5), shapely.Point(14.5, 46.05), shapely.LineString()],
            dtype=object,
        )
    )
    assert zones.tolist() == [4545, 32633, 0]


def test_a_track_abroad_is_measured_where_it_lies():
    """A 196 km walk in Slovenia: within 0.05 % of the geodesic length (in the 108E zone it
    measured 389 km)."""
    lon = np.linspace(13.4, 16.0, 200)
    lat = 46.05 + 0.05 * np.sin(np.linspace(0, 3, 200))
    line = shapely.LineString(np.column_stack([lon, lat]))
    metric = crs.to_metric(line, crs.metric_crs_for(line))
    geodesic = GEOD.geometry_length(line)
    assert 190_000 < geodesic < 210_000
    assert abs(metric.length / geodesic - 1) < 5e-4


def test_simplifying_in_each_zone_keeps_tolerance_in_metres():
    far = np.array(
        [
            shapely.LineString([(75.0, 39.0), (75.001, 39.0000001), (75.002, 39.0)]),
            shapely.LineString([(134.0, 47.0), (134.001, 47.0000001), (134.002, 47.0)]),
            shapely.LineString([(14.5, 46.0), (14.501, 46.0000001), (14.502, 46.0)]),
        ],
        dtype=object,
    )
    out = crs.apply_in_zones(far, lambda g: shapely.simplify(g, 1.0))
    assert shapely.get_num_coordinates(out).tolist() == [2, 2, 2]
    assert np.allclose(shapely.get_coordinates(out)[[0, 1]], [(75.0, 39.0), (75.002, 39.0)])


def test_transformers_are_per_thread():
    mine = crs.transformer("EPSG:4326", "EPSG:4545")
    assert crs.transformer("EPSG:4326", "EPSG:4545") is mine
    other: list = []
    thread = threading.Thread(
        target=lambda: other.append(crs.transformer("EPSG:4326", "EPSG:4545"))
    )
    thread.start()
    thread.join()
    assert other[0] is not mine


def test_connected_groups_by_hand():
    # 0-1, 3-4-5 linked; 2 alone
    assert connected_groups(6, np.array([1, 5, 4]), np.array([0, 4, 3])).tolist() == [
        0,
        0,
        2,
        3,
        3,
        3,
    ]


def _place(prefix: str, lon0: float, lat0: float, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A county of two townships, 0.4 x 0.3 degrees, and a meandering river crossing it from
    beyond its west edge to beyond its east edge (outside stretches at both ends)."""
    code = f"99{n:02d}01"
    west = shapely.box(lon0 - 0.2, lat0 - 0.15, lon0, lat0 + 0.15)
    east = shapely.box(lon0, lat0 - 0.15, lon0 + 0.2, lat0 + 0.15)
    regions = pd.DataFrame(
        {
            "code": [code, f"{code}001", f"{code}002"],
            "level": ["county", "township", "township"],
            "parent_code": [None, code, code],
            "geometry": [shapely.union(west, east), west, east],
        }
    )
    x = np.linspace(lon0 - 0.3, lon0 + 0.3, 400)
    y = lat0 + 0.03 * np.sin(np.linspace(0, 9, 400)) + 0.01 * np.linspace(-1, 1, 400)
    waters = pd.DataFrame(
        {
            "code": [f"{prefix}-R1"],
            "kind": ["river"],
            "parent_code": [None],
            "managing_level": ["county"],
            "flow_reversed": [False],
            "buffer_width_m": [50.0],
            "management_range": [None],
            "geometry": [shapely.LineString(np.column_stack([x, y]))],
        }
    )
    return regions, waters


def _frames(places: dict) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    # region codes by the place's rank in PLACES: the same alone and together
    rank = {k: n for n, k in enumerate(PLACES)}
    parts = [_place(k, lon, lat, rank.get(k, 0)) for k, (lon, lat) in places.items()]
    regions = pd.concat([p[0] for p in parts]).sort_values("code").reset_index(drop=True)
    waters = pd.concat([p[1] for p in parts]).sort_values("code").reset_index(drop=True)
    return (
        gpd.GeoDataFrame(regions, geometry="geometry", crs=4326),
        gpd.GeoDataFrame(waters, geometry="geometry", crs=4326),
    )


def test_three_zones_in_one_run_match_each_alone_and_the_ellipsoid():
    regions, waters = _frames(PLACES)
    together, _ = compute(regions, waters)
    assert set(together.metric_zones) == {4534, 4544, 4554}
    seg = together.segments
    assert set(seg.kind) == {"inside", "outside"}
    geodesic = crs.geodesic_lengths(seg["geometry"].to_numpy())
    assert (np.abs(seg.length_m / geodesic - 1) < 5e-4).all(), seg.assign(geodesic=geodesic)[
        ["id", "length_m", "geodesic"]
    ]
    for n, (key, place) in enumerate(PLACES.items()):
        alone, _ = compute(*_frames({key: place}))
        mine = seg[seg.water_body_code == f"{key}-R1"].reset_index(drop=True)
        own = alone.segments.reset_index(drop=True)
        assert mine.id.tolist() == own.id.tolist()
        assert np.allclose(mine.length_m, own.length_m, rtol=0, atol=1e-6)
        assert np.allclose(mine.chainage_from_m, own.chainage_from_m, rtol=0, atol=1e-6)
        county = f"99{n:02d}01"
        regions_met = {r for r in mine.region_code if isinstance(r, str)}
        assert regions_met == {county, f"{county}001", f"{county}002"}


@pytest.mark.parametrize("lon0", [73.6, 96.0, 136.3])
def test_a_river_at_a_zone_edge_stays_within_0_05_percent(lon0):
    """1.4-1.5 degrees off the central meridian, at 25N (worst latitude of the range)."""
    regions, waters = _frames({"E": (lon0, 25.0)})
    zoning, _ = compute(regions, waters)
    seg = zoning.segments
    geodesic = crs.geodesic_lengths(seg["geometry"].to_numpy())
    assert (np.abs(seg.length_m / geodesic - 1) < 5e-4).all()


def test_partition_keeps_a_river_with_the_regions_it_touches():
    """A river crossing from a 108E county into a 111E county keeps both in one unit."""
    a = shapely.box(109.0, 21.0, 109.5, 21.5)
    b = shapely.box(109.5, 21.0, 110.0, 21.5)
    far = shapely.box(83.0, 46.0, 84.0, 47.0)
    units = partition_by_zone(
        pd.Series(["990101", "990102", "654201"]),
        pd.Series([None, None, None]),
        np.array([a, b, far], dtype=object),
        pd.Series(["R1", "R1-1", "R9"]),
        pd.Series([None, "R1", None]),
        np.array(
            [
                shapely.LineString([(109.2, 21.2), (109.8, 21.3)]),
                shapely.LineString([(109.1, 21.4), (109.3, 21.25)]),
                shapely.LineString([(150.0, 10.0), (150.1, 10.0)]),  # outside every region
            ],
            dtype=object,
        ),
    )
    got = {u.epsg: (u.region_rows.tolist(), u.water_rows.tolist()) for u in units}
    # 109.0-110.0: centre 109.5, on the border of CM 108E (EPSG:4545) and CM 111E: both
    # counties in one zone all the same; Tacheng CM 84E; the far river: UTM 56N, with the
    # nearest unit's regions lent to it (it is outside all of them)
    assert got == {4537: ([2], []), 4545: ([0, 1], [0, 1]), 32656: ([0, 1], [2])}
    assert [u.borrowed_regions for u in units] == [False, False, True]


def test_a_river_outside_every_region_is_zoned_as_outside_in_its_own_zone():
    regions, waters = _frames({"X105": PLACES["X105"]})
    stray = waters.iloc[[0]].assign(
        code="Z-R9", geometry=[shapely.LineString([(120.0, 30.0), (120.05, 30.02)])]
    )
    zoning, main = compute(regions, pd.concat([waters, stray], ignore_index=True))
    assert main == 4544 and zoning.metric_zones == {4544: 1, 4549: 1}  # CM 105E, CM 120E
    out = zoning.segments[zoning.segments.water_body_code == "Z-R9"]
    assert set(out.kind) == {"outside"} and set(out.level) == {"county", "township"}
    geodesic = crs.geodesic_lengths(out["geometry"].to_numpy())
    assert (np.abs(out.length_m / geodesic - 1) < 5e-4).all()
