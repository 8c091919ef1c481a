"""The undeclared GCJ-02/BD-09 test on a real walk moved into China (tests/data/real)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

from gis_service.domain.chinacoords import wgs84_to_bd09, wgs84_to_gcj02
from gis_service.domain.offsets import check_offset
from gis_service.fileio.tracks import parse_track

REAL = Path(__file__).parents[1] / "data" / "real"
UTM33 = Transformer.from_crs("EPSG:4326", "EPSG:32633", always_xy=True)
GK_109 = Transformer.from_crs("EPSG:4326", "EPSG:4545", always_xy=True)  # CGCS2000 GK 108E
TO_LONLAT = Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True)


def walk_in_beihai():
    """cerknicko-jezero.gpx moved, by a constant offset in metres, to Beihai (109.2E 21.6N):
    the walk's shape and noise stay the recording's. Its "river" is the walk's own path
    smoothed over 15 points (a bank path follows its water within metres)."""
    raw = parse_track((REAL / "cerknicko-jezero.gpx").read_bytes(), filename="c.gpx")
    x, y = UTM33.transform(raw.lon, raw.lat)
    x0, y0 = GK_109.transform(109.2, 21.6)
    x, y = np.asarray(x) - np.mean(x) + x0, np.asarray(y) - np.mean(y) + y0
    lon, lat = TO_LONLAT.transform(x, y)
    kernel = np.ones(15) / 15
    river = shapely.LineString(
        np.column_stack([np.convolve(x, kernel, "valid"), np.convolve(y, kernel, "valid")])
    )
    return np.asarray(lon), np.asarray(lat), np.array([river], dtype=object)


def test_a_real_walk_as_declared_is_not_suspected():
    lon, lat, river = walk_in_beihai()
    check = check_offset(lon, lat, GK_109.transform, river, tolerance_m=70.0)
    assert check.likely is None and check.declared_m < 20


def test_the_same_walk_in_gcj02_or_bd09_undeclared_is_recognised():
    lon, lat, river = walk_in_beihai()
    for system, forward in (("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)):
        check = check_offset(*forward(lon, lat), GK_109.transform, river, tolerance_m=70.0)
        assert check.likely == system, check
        assert check.declared_m > 200  # shifted 500-700 m; the winding path lies nearer
        assert check.converted_m[system] < 20 and check.converted_m[system] * 5 < check.declared_m
