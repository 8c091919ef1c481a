"""Measured where it lies, in one database (issue 14, finding 4).

Adding Tacheng (82-87E) to the Beihai data used to switch every measurement from the 108E
zone to the 96E one: a 合浦县 river of 2,365 m became 2,421 m (+2.36 %). Each unit of the
zoning is now measured in its own zone; reference lengths are computed here with pyproj's
``Geod`` on the GRS80 ellipsoid, independently of the service's projections.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from sqlalchemy import text

from gis_service.services.zoning import compute, rebuild_zoning
from tests.unit.test_zones import PLACES, _frames

GEOD = Geod(ellps="GRS80")
# a small river inside 合浦县 (township 450521100), three vertices, source first
HEPU_RIVER = [(109.2150, 21.6650), (109.2260, 21.6700), (109.2370, 21.6640)]
# a stand-in for 塔城地区 (654200): its extent, 82.3-87.3E, 44.0-47.3N
TACHENG = shapely.box(82.3, 44.0, 87.3, 47.3)


def _insert_region(conn, code: str, level: str, parent: str | None, geom) -> None:
    conn.execute(
        text(
            "INSERT INTO admin_region (code, name, level, parent_code, geom) "
            "VALUES (:c, :c, :l, :p, ST_Multi(ST_GeomFromText(:g, 4326)))"
        ),
        {"c": code, "l": level, "p": parent, "g": geom.wkt},
    )


def _insert_river(conn, code: str, geom, managing_level: str = "county") -> None:
    conn.execute(
        text(
            "INSERT INTO water_body (code, name, kind, managing_level, buffer_width_m, geom) "
            "VALUES (:c, :c, 'river', :m, 50, ST_GeomFromText(:g, 4326))"
        ),
        {"c": code, "m": managing_level, "g": geom.wkt},
    )


def _segments(conn) -> pd.DataFrame:
    return pd.read_sql(
        text(
            "SELECT id, water_body_code, kind, length_m, chainage_from_m, "
            "ST_AsBinary(geom) AS wkb FROM river_segment ORDER BY id"
        ),
        conn,
    )


def test_hepu_river_keeps_its_length_when_tacheng_is_added(sample_loaded, conn):
    _insert_river(conn, "T-HP1", shapely.LineString(HEPU_RIVER))
    rebuild_zoning(conn)
    before = _segments(conn)
    _insert_region(conn, "654200", "city", None, TACHENG)
    result = rebuild_zoning(conn)
    assert result["metric_epsg"] == 4545
    assert result["metric_zones"] == {"4537": 0, "4545": 25}  # Tacheng: CM 84E, no water
    after = _segments(conn)
    assert after.id.tolist() == before.id.tolist()
    assert np.allclose(after.length_m, before.length_m, rtol=0, atol=0.005)
    assert np.allclose(after.chainage_from_m, before.chainage_from_m, rtol=0, atol=0.005)
    # hand check of the small river: the two legs on the ellipsoid
    lon, lat = np.array(HEPU_RIVER).T
    _, _, legs = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    geodesic = float(legs.sum())
    assert 2_550 < geodesic < 2_600
    county = after[(after.water_body_code == "T-HP1") & after.id.str.contains("/county/")]
    assert county.id.tolist() == ["T-HP1/county/450521/1"]
    assert abs(county.length_m.iloc[0] / geodesic - 1) < 5e-4


def test_rivers_at_75_105_134_east_in_one_database(sample_loaded, conn):
    regions, waters = _frames(PLACES)
    for r in regions.itertuples():
        parent = r.parent_code if isinstance(r.parent_code, str) else None
        _insert_region(conn, r.code, r.level, parent, r.geometry)
    for w in waters.itertuples():
        _insert_river(conn, w.code, w.geometry)
    result = rebuild_zoning(conn)
    assert {"4534", "4544", "4545", "4554"} <= set(result["metric_zones"])
    stored = _segments(conn)
    # every segment of the database, Beihai's included, within 0.05 % of the ellipsoid
    geodesic = np.array([GEOD.geometry_length(shapely.from_wkb(bytes(w))) for w in stored.wkb])
    ok = geodesic > 0
    assert ok.sum() > 150
    assert (np.abs(stored.length_m[ok] / geodesic[ok] - 1) < 5e-4).all()
    for key, place in PLACES.items():
        alone, _ = compute(*_frames({key: place}))
        mine = stored[stored.water_body_code == f"{key}-R1"].sort_values("id")
        own = alone.segments.sort_values("id")
        assert mine.id.tolist() == own.id.tolist()
        assert np.allclose(mine.length_m, own.length_m, rtol=0, atol=0.005)


def test_a_patrol_in_the_next_zone_covers_the_same_stretches(sample_loaded, conn):
    """马江's source lies at 109.65E, in the 111E zone, while Beihai is zoned in the 108E
    one: the patrol is measured in its own zone and the stored chainage is carried over, so
    each target's stretch (covered + missed) is the stored segment, to the centimetre, and
    its reported length is the segment's."""
    import json

    from gis_service.services.patrols import ingest_patrol
    from tests.api.bodies import app_body

    body = app_body("5f0e9a52-6a55-4d4b-9b07-3c8d4c1e0a14")
    result = ingest_patrol(conn, json.dumps(body).encode(), fmt="json")
    assert result["summary"]["metric_epsg"] == 4546
    rows = conn.execute(
        text(
            "SELECT c.target_id, s.chainage_to_m, c.length_m - s.length_m, ST_HausdorffDistance("
            "ST_Transform(ST_LineMerge(ST_Union(array_remove(ARRAY[c.covered_geom, "
            "c.uncovered_geom], NULL))), 4546), "
            "ST_Transform(ST_LineMerge(s.geom), 4546)) FROM patrol_coverage c "
            "JOIN river_segment s ON s.id = c.target_id "
            "WHERE c.patrol_id = CAST(:i AS uuid) AND c.target_type = 'segment'"
        ),
        {"i": result["id"]},
    ).all()
    assert rows and max(r[1] for r in rows) > 10_000
    for target, _, length_diff, distance in rows:
        assert distance < 0.05, (target, distance)
        # reported in the zoning's chainage: the segment's own length
        assert abs(length_diff) < 0.01, (target, length_diff)
