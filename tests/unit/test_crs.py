import shapely

from gis_service.domain import crs


def test_gauss_kruger_zone_for_beihai_and_edges():
    assert crs.gauss_kruger_epsg(109.1) == 4545  # CM 108E
    assert crs.gauss_kruger_epsg(75.0) == 4534
    assert crs.gauss_kruger_epsg(135.0) == 4554


def test_metric_crs_and_round_trip_keep_metres_right():
    line = shapely.LineString([(109.0, 21.0), (109.0, 22.0)])
    metric = crs.metric_crs_for(line)
    assert metric.to_epsg() == 4545
    projected = crs.to_metric(line, metric)
    assert abs(projected.length - 110_700) < 300  # one degree of latitude near 21.5N
    back = crs.to_storage(projected, metric)
    assert shapely.equals_exact(back, line, tolerance=1e-9)
