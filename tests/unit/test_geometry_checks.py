import numpy as np
import shapely

from gis_service.domain.geometry_checks import check_geometries

BOWTIE = shapely.from_wkt("POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))")


def _arr(*geoms):
    return np.array(geoms, dtype=object)


def test_valid_polygons_become_multipolygons():
    result = check_geometries(_arr(shapely.box(0, 0, 1, 1)), "polygon")
    assert result.geometries[0].geom_type == "MultiPolygon"
    assert not result.repaired and not result.rejected


def test_self_intersection_is_repaired_and_reported():
    result = check_geometries(_arr(BOWTIE), "polygon", repair=True)
    assert result.repaired == {0: "Self-intersection[0.5 0.5]"}
    assert result.geometries[0].is_valid
    assert abs(result.geometries[0].area - 0.5) < 1e-12


def test_self_intersection_is_rejected_without_repair():
    result = check_geometries(_arr(BOWTIE), "polygon", repair=False)
    assert result.rejected[0].startswith("invalid geometry: Self-intersection")


def test_empty_and_wrong_family_are_rejected():
    result = check_geometries(
        _arr(None, shapely.Point(1, 1), shapely.LineString([(0, 0), (1, 1)]), shapely.Polygon()),
        "polygon",
    )
    assert set(result.rejected) == {0, 1, 2, 3}
    assert "got LineString" in result.rejected[2]


def test_lines_keep_z_dropped():
    line = shapely.LineString([(0, 0, 5), (1, 1, 5)])
    result = check_geometries(_arr(line), "line")
    assert not shapely.has_z(result.geometries[0])
