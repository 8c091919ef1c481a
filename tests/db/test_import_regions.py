"""Region imports: every format, CRS honoured, broken files rejected without a trace."""

from __future__ import annotations

import json

import pytest
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import select, text

from gis_service.db.models import AdminRegion
from gis_service.domain.crs import STORAGE_CRS
from gis_service.errors import InputError
from gis_service.services.importing import import_regions
from tests.db.builders import regions_frame, write
from tests.db.snapshots import snapshot


def _stored(conn, code: str) -> shapely.Geometry:
    return to_shape(
        conn.execute(select(AdminRegion.geom).where(AdminRegion.code == code)).scalar_one()
    )


@pytest.mark.parametrize(
    ("file_name", "crs"),
    [("regions.geojson", "EPSG:3857"), ("regions.gpkg", "EPSG:4545"), ("regions.zip", "EPSG:4490")],
)
def test_each_format_in_a_projected_or_cgcs2000_crs_lands_in_wgs84(conn, tmp_path, file_name, crs):
    frame = regions_frame(crs)
    path = write(frame, tmp_path / file_name)
    # DBF truncates column names to 10 characters: map the truncated one
    mapping = {"parent_code": "parent_cod"} if file_name.endswith(".zip") else None
    report = import_regions(conn, path, mapping=mapping)
    assert (report.features, report.inserted, report.updated) == (4, 4, 0)
    expected = regions_frame().to_crs(STORAGE_CRS).set_index("code").geometry
    for code, geom in expected.items():
        stored = _stored(conn, code)
        # vertices within 1e-7 degree (~1 cm) of the true lon/lat
        assert shapely.hausdorff_distance(stored, geom) < 1e-7, code
    rows = conn.execute(select(AdminRegion.code, AdminRegion.level, AdminRegion.parent_code))
    by_code = {r.code: (r.level, r.parent_code) for r in rows}
    assert by_code["990101001"] == ("township", "990101")


def test_reimport_updates_instead_of_duplicating(conn, tmp_path):
    path = write(regions_frame(), tmp_path / "r.gpkg")
    import_regions(conn, path)
    frame = regions_frame()
    frame.loc[frame.code == "990102", "name"] = "东县(新)"
    report = import_regions(conn, write(frame, tmp_path / "r2.gpkg"))
    assert (report.inserted, report.updated) == (0, 4)
    name = conn.execute(select(AdminRegion.name).where(AdminRegion.code == "990102")).scalar()
    assert name == "东县(新)"


def test_attribute_mapping_and_constants(conn, tmp_path):
    frame = regions_frame().rename(columns={"code": "XZQDM", "name": "XZQMC"})
    frame = frame[frame.level == "county"].drop(columns=["level"])
    path = write(frame.assign(parent_code=None), tmp_path / "counties.gpkg")
    report = import_regions(
        conn, path, mapping={"code": "XZQDM", "name": "XZQMC"}, constants={"level": "县"}
    )
    assert report.inserted == 2
    assert (
        conn.execute(text("SELECT level FROM admin_region WHERE code='990101'")).scalar()
        == "county"
    )


def test_invalid_polygon_is_repaired_and_reported(conn, tmp_path):
    frame = regions_frame().iloc[[1]].copy()
    bowtie = shapely.Polygon(
        [(480000, 2380000), (490000, 2390000), (490000, 2380000), (480000, 2390000)]
    )
    frame["geometry"] = [bowtie]
    frame["parent_code"] = None
    report = import_regions(conn, write(frame, tmp_path / "bowtie.gpkg"))
    assert len(report.repaired) == 1 and "Self-intersection" in report.repaired[0]
    assert _stored(conn, "990101").is_valid


def _bad_geojson(tmp_path, name: str, content: str):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def _feature_collection(**extra) -> dict:
    return {
        "type": "FeatureCollection",
        **extra,
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "990100", "name": "试验市", "level": "city"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[108, 21], [108.1, 21], [108.1, 21.1], [108, 21]]],
                },
            }
        ],
    }


BOWTIE_FC = _feature_collection()
BOWTIE_FC["features"][0]["geometry"]["coordinates"] = [
    [[108, 21], [108.1, 21.1], [108.1, 21], [108, 21.1], [108, 21]]
]
NO_NAME_FC = _feature_collection()
del NO_NAME_FC["features"][0]["properties"]["name"]
UNKNOWN_CRS_FC = _feature_collection(
    crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}}
)


@pytest.mark.parametrize(
    ("content", "repair", "message"),
    [
        ('{"type": "FeatureCollection", "features": [', True, r"line 1 column \d+: invalid JSON"),
        (json.dumps(UNKNOWN_CRS_FC), True, r"unknown CRS 'urn:ogc:def:crs:EPSG::999999'"),
        (
            json.dumps(BOWTIE_FC),
            False,
            r"feature 1 \(code 990100\): invalid geometry: "
            r"Self-intersection",
        ),
        (json.dumps(NO_NAME_FC), True, r"missing required column 'name'"),
    ],
    ids=["invalid-json", "unknown-crs", "self-intersection-no-repair", "missing-name"],
)
def test_broken_files_are_rejected_and_change_nothing(conn, tmp_path, content, repair, message):
    import_regions(conn, write(regions_frame(), tmp_path / "good.gpkg"))
    before = snapshot(conn)
    path = _bad_geojson(tmp_path, "broken.geojson", content)
    with pytest.raises(InputError, match=message) as info:
        import_regions(conn, path, repair=repair)
    assert "broken.geojson" in str(info.value)
    assert snapshot(conn) == before


def test_all_problems_are_listed_with_feature_numbers(conn, tmp_path):
    frame = regions_frame()
    frame.loc[1, "code"] = "99010"  # 5 digits for a county
    frame.loc[2, "level"] = "hamlet"  # unknown level
    frame.loc[3, "parent_code"] = "990199"  # unknown parent
    before = snapshot(conn)
    with pytest.raises(InputError) as info:
        import_regions(conn, write(frame, tmp_path / "many.gpkg"))
    message = str(info.value)
    assert "3 problem(s)" in message
    assert "feature 2 (code 99010): code '99010' has 5 digits; a county code has 6" in message
    assert "feature 3 (code 990102): level 'hamlet' is not one of" in message
    assert "feature 4 (code 990101001): parent 990199 is neither in the file nor" in message
    assert snapshot(conn) == before


def test_file_without_crs_needs_one(conn, tmp_path):
    frame = regions_frame().drop(columns="parent_code")
    shp = tmp_path / "nocrs.shp"
    frame.to_file(shp, engine="pyogrio")
    shp.with_suffix(".prj").unlink()
    with pytest.raises(InputError, match="declares no CRS"):
        import_regions(conn, shp)
    report = import_regions(conn, shp, crs="EPSG:4545")
    assert report.inserted == 4
