"""Issue 14: the importer honours or refuses every CRS input, reads DataV (GCJ-02) files,
maps recognised columns, lists the others, and builds missing parents on request.

The DataV files are the real county boundaries of data/realdata/ (AMap district service via
DataV.GeoAtlas, GCJ-02; source in data/realdata/README.md).
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import shapely
from geoalchemy2.shape import to_shape
from pyproj import Geod
from sqlalchemy import select

from gis_service.db.models import AdminRegion
from gis_service.domain.chinacoords import wgs84_to_bd09, wgs84_to_gcj02
from gis_service.errors import InputError
from gis_service.services.importing import import_regions
from tests.db.builders import regions_frame, write
from tests.db.snapshots import snapshot

REALDATA = __import__("pathlib").Path(__file__).parents[2] / "data" / "realdata"
GEOD = Geod(ellps="WGS84")
DATAV = {
    "450500_full.json": ("450502", "450500"),  # Beihai: 海城区 in 北海市
    "450700_full.json": ("450702", "450700"),  # Qinzhou: 钦南区
    "450900_full.json": ("450902", "450900"),  # Yulin: 玉州区
    "450000_full.json": ("450500", "450000"),  # Guangxi: 北海市 in 广西
}


def _stored(conn, code: str) -> shapely.Geometry:
    return to_shape(
        conn.execute(select(AdminRegion.geom).where(AdminRegion.code == code)).scalar_one()
    )


def _row(conn, code: str):
    return conn.execute(select(AdminRegion).where(AdminRegion.code == code)).one()


def _metres(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Geodesic distance between lon/lat point arrays."""
    return GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])[2]


@pytest.mark.parametrize("file_name", sorted(DATAV))
def test_datav_gcj02_lands_within_a_metre_of_the_reference(conn, tmp_path, file_name):
    """Declared GCJ-02: every stored vertex, shifted forward with the published GCJ-02
    formula, is back on the file's vertex within 1 m (for vertices make_valid kept)."""
    path = shutil.copy(REALDATA / file_name, tmp_path / file_name)
    report = import_regions(conn, path, crs="gcj02", derive_parents=True)
    assert report.warnings == []
    assert "GCJ-02" in report.crs
    code, parent = DATAV[file_name]
    doc = json.loads((REALDATA / file_name).read_text(encoding="utf-8"))
    feature = next(f for f in doc["features"] if str(f["properties"]["adcode"]) == code)
    original = shapely.geometry.shape(feature["geometry"])
    stored = _stored(conn, code)
    coords = shapely.get_coordinates(stored)
    back = np.column_stack(wgs84_to_gcj02(coords[:, 0], coords[:, 1]))
    # each stored vertex maps back onto the original outline (repairs may add vertices on it)
    nearest = shapely.get_coordinates(
        shapely.shortest_line(shapely.points(back), original.boundary)
    ).reshape(-1, 2, 2)[:, 1]
    assert _metres(back, nearest).max() < 1.0
    # and the offset removed is the real one (hundreds of metres, not zero)
    raw = shapely.get_coordinates(original)[:50]
    assert _metres(raw, shapely.get_coordinates(stored)[:50]).min() > 100
    assert _row(conn, code).parent_code == parent  # DataV's nested parent.adcode


def test_undeclared_datav_file_is_read_as_wgs84_with_a_warning_naming_gcj02(conn, tmp_path):
    path = shutil.copy(REALDATA / "450500_full.json", tmp_path / "beihai.json")
    report = import_regions(conn, path, derive_parents=True)
    assert len(report.warnings) == 1 and "GCJ-02" in report.warnings[0]
    assert "--crs gcj02" in report.warnings[0]
    assert "warning:" in report.summary()


def test_bd09_is_converted_too(conn, tmp_path):
    frame = regions_frame("EPSG:4326").iloc[[1, 2]].assign(parent_code=None)
    bd = frame.copy()
    bd["geometry"] = shapely.transform(
        frame.geometry.values, lambda xy: np.column_stack(wgs84_to_bd09(xy[:, 0], xy[:, 1]))
    )
    report = import_regions(conn, write(bd, tmp_path / "bd.geojson"), crs="bd09")
    assert report.inserted == 2
    for code, geom in zip(frame.code, frame.geometry, strict=True):
        a = shapely.get_coordinates(_stored(conn, code))
        b = shapely.get_coordinates(geom)
        assert _metres(a, b).max() < 1.0


def _projected_geojson(tmp_path):
    """EPSG:4545 metres written as GeoJSON without a crs member (what GDAL reads as lon/lat)."""
    frame = regions_frame()  # EPSG:4545
    doc = json.loads(frame.to_json())
    doc.pop("crs", None)
    path = tmp_path / "projected.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_projected_file_without_crs_is_refused_then_read_with_crs(conn, tmp_path):
    path = _projected_geojson(tmp_path)
    before = snapshot(conn)
    with pytest.raises(InputError, match=r"cannot be longitude/latitude.*--crs") as info:
        import_regions(conn, path)
    assert "x=500000" in str(info.value) or "x=4" in str(info.value)
    assert snapshot(conn) == before
    report = import_regions(conn, path, crs="EPSG:4545")
    assert report.inserted == 4
    expected = regions_frame().to_crs("EPSG:4326").set_index("code").geometry
    assert shapely.hausdorff_distance(_stored(conn, "990101"), expected["990101"]) < 1e-7


@pytest.mark.parametrize("option", ["EPSG:99999", "NONSENSE", "EPSG:4978"])
def test_unknown_or_unusable_crs_option_is_refused(conn, tmp_path, option):
    path = write(regions_frame(), tmp_path / "r.gpkg")
    before = snapshot(conn)
    with pytest.raises(InputError, match=option):
        import_regions(conn, path, crs=option)
    assert snapshot(conn) == before


def test_conflicting_declared_and_given_crs_is_refused_naming_both(conn, tmp_path):
    path = write(regions_frame(), tmp_path / "r.gpkg")  # declares EPSG:4545
    with pytest.raises(InputError) as info:
        import_regions(conn, path, crs="EPSG:4490")
    assert "EPSG:4545" in str(info.value) and "EPSG:4490" in str(info.value)
    with pytest.raises(InputError, match=r"EPSG:4545.*GCJ-02"):
        import_regions(conn, path, crs="gcj02")  # an offset on a projected file
    assert import_regions(conn, path, crs="EPSG:4545").inserted == 4  # the same: fine


def test_features_outside_china_are_refused_with_the_hint(conn, tmp_path):
    frame = regions_frame("EPSG:4326")
    frame = frame.set_geometry(frame.geometry.translate(xoff=-94))  # to 14E: Slovenia
    with pytest.raises(InputError, match=r"outside China.*--crs"):
        import_regions(conn, write(frame, tmp_path / "europe.geojson"))


def test_columns_are_recognised_and_unused_ones_listed(conn, tmp_path):
    path = shutil.copy(REALDATA / "450500_full.json", tmp_path / "beihai.json")
    report = import_regions(conn, path, crs="gcj02", derive_parents=True)
    assert report.columns == {
        "code": "adcode",
        "name": "name",
        "level": "level",
        "parent_code": "parent",
    }
    assert report.unused_columns == [
        "center",
        "centroid",
        "childrenNum",
        "subFeatureIndex",
        "acroutes",
    ]
    assert "columns not used: center, centroid" in report.summary()
    frame = regions_frame("EPSG:4326").rename(
        columns={"code": "行政区划代码", "name": "名称", "level": "级别", "parent_code": "上级代码"}
    )
    report = import_regions(conn, write(frame.assign(备注="x"), tmp_path / "cn.geojson"))
    assert report.inserted == 4 and report.unused_columns == ["备注"]


def test_missing_parent_is_an_error_without_derive_parents(conn, tmp_path):
    # Yulin: its city 450900 is in no other test data (the sample is Beihai)
    path = shutil.copy(REALDATA / "450900_full.json", tmp_path / "yulin.json")
    with pytest.raises(InputError, match=r"parent 450900 is neither.*--derive-parents"):
        import_regions(conn, path, crs="gcj02")


def test_derive_parents_builds_the_prefecture_from_its_counties(conn, tmp_path):
    path = shutil.copy(REALDATA / "450900_full.json", tmp_path / "yulin.json")
    report = import_regions(conn, path, crs="gcj02", derive_parents=True)
    assert report.derived and report.derived[0].startswith("450900 (city) built from its 7")
    city = _row(conn, "450900")
    assert city.level == "city"
    counties = [
        _stored(conn, c)
        for c in ("450902", "450903", "450921", "450922", "450923", "450924", "450981")
    ]
    union = shapely.union_all(counties)
    area_union = abs(GEOD.geometry_area_perimeter(union)[0])
    area_city = abs(GEOD.geometry_area_perimeter(_stored(conn, "450900"))[0])
    assert abs(area_city - area_union) / area_union < 1e-4
    # Yulin: 12,838 km² by the published figure; DataV outlines are generalised
    assert 12.0e9 < area_city < 13.6e9
    # the counties' nested parent.adcode now points at the derived city
    assert {_row(conn, c).parent_code for c in ("450902", "450981")} == {"450900"}


def test_file_without_geometry_is_refused_naming_the_problem(conn, tmp_path):
    path = tmp_path / "nogeom.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"code": "990100"}, "geometry": None}
                ],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="geometry"):
        import_regions(conn, path)
    csv = tmp_path / "table.gpkg"
    import geopandas as gpd
    import pandas as pd

    gpd.GeoDataFrame(pd.DataFrame({"code": ["990100"]})).to_file(csv, driver="GPKG")
    with pytest.raises(InputError, match="no geometry"):
        import_regions(conn, csv)
