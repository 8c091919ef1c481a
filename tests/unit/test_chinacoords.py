import numpy as np
import pytest
from pyproj import Geod

from gis_service.domain import chinacoords as cc

GEOD = Geod(ellps="WGS84")

# published reference values (wandergis/coordtransform README, input 116.404, 39.915)
REFERENCE = [
    (cc.wgs84_to_gcj02, (116.404, 39.915), (116.41024449916938, 39.91640428150164)),
    (cc.gcj02_to_bd09, (116.404, 39.915), (116.41036949371029, 39.92133699351021)),
]


@pytest.mark.parametrize(("func", "given", "expected"), REFERENCE)
def test_forward_matches_published_reference(func, given, expected):
    lon, lat = func(*given)
    assert lon == pytest.approx(expected[0], abs=1e-9)
    assert lat == pytest.approx(expected[1], abs=1e-9)


def _metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def test_round_trips_under_one_centimetre_across_china():
    rng = np.random.default_rng(1)
    lon = rng.uniform(74, 135, 2000)
    lat = rng.uniform(18, 53, 2000)
    for fwd, inv in ((cc.wgs84_to_gcj02, cc.gcj02_to_wgs84), (cc.wgs84_to_bd09, cc.bd09_to_wgs84)):
        back = inv(*fwd(lon, lat))
        assert _metres(lon, lat, *back).max() < 0.01


def test_offset_is_hundreds_of_metres_in_china_and_zero_outside():
    shift = _metres(109.1, 21.5, *cc.wgs84_to_gcj02(109.1, 21.5))
    assert 100 < shift < 700
    assert _metres(2.35, 48.85, *cc.wgs84_to_gcj02(2.35, 48.85)) == 0


def test_unknown_system_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown coordinate system 'utm'"):
        cc.to_wgs84([1.0], [2.0], "utm")
    assert cc.to_wgs84([109.0], [21.0], "GCJ-02")[0][0] != 109.0
