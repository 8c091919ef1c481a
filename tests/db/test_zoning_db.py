"""Zoning of the sample region, stored in PostGIS: the acceptance points of the issue."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import text

from gis_service.domain.regions import RegionHierarchy
from gis_service.domain.segmentation import ZoningParams
from gis_service.services.zoning import compute, load_inputs, rebuild_zoning
from gis_service.services.zoning_queries import unassigned_on
from tests.unit.test_segmentation import check_invariants


def _frame(conn, sql: str) -> pd.DataFrame:
    return pd.read_sql(text(sql), conn)


def test_every_level_has_segments_and_invariants_hold(sample_loaded, conn):
    levels = set(
        _frame(conn, "SELECT DISTINCT level FROM river_segment WHERE kind <> 'outside'")["level"]
    )
    assert levels == {"city", "county", "township", "village"}
    regions, waters = load_inputs(conn)
    zoning, epsg = compute(regions, waters)
    assert epsg == 4545
    r = zoning.segmentation
    metric = regions.to_crs(epsg)
    h = RegionHierarchy.from_rows(
        metric.code, metric.level, metric.parent_code, metric.geometry.values
    )
    check_invariants(h, r)


def test_segments_lie_in_their_regions(sample_loaded, conn):
    """Stored in WGS84, each inside segment lies in its region (1 m tolerance), except for
    slivers shorter than ``sliver_length_m`` that were absorbed on purpose."""
    out_m = _frame(
        conn,
        (
            "SELECT s.id, ST_Length(ST_Difference(s.geom, "
            "ST_Buffer(r.geom::geography, 1)::geometry)::geography) AS out_m "
            "FROM river_segment s JOIN admin_region r "
            "ON r.code = s.region_code WHERE s.kind = 'inside'"
        ),
    )["out_m"]
    assert (out_m <= ZoningParams().sliver_length_m).all()
    assert (out_m > 1).sum() <= 2


def test_boundary_stretch_with_both_banks_in_the_data(sample_loaded, conn):
    """界河 (R4505-04-02) runs on the 合浦县 | 铁山港区 boundary for about 5.5 km."""
    rows = _frame(
        conn,
        "SELECT * FROM river_segment WHERE water_body_code = 'R4505-04-02' "
        "AND level = 'county' AND kind = 'boundary'",
    )
    assert len(rows) == 1
    row = rows.iloc[0]
    assert {row.left_region_code, row.right_region_code} == {"450521", "450512"}
    assert 5000 < row.length_m < 6500


def test_every_reservoir_shoreline_is_split_by_village(sample_loaded, conn):
    zones = _frame(
        conn,
        "SELECT z.water_body_code, z.region_code, z.region_codes, z.area_m2 "
        "FROM still_water_zone z JOIN water_body w ON w.code = z.water_body_code "
        "WHERE w.kind = 'reservoir' AND z.kind = 'shoreline' "
        "AND z.region_code IS NOT NULL",
    )
    per_reservoir = zones.groupby("water_body_code").size()
    assert len(per_reservoir) == 3 and (per_reservoir >= 2).all()
    for codes in zones["region_codes"]:
        assert {"village", "township", "county", "city"} <= set(codes)
    water = _frame(
        conn,
        "SELECT count(*) AS n FROM still_water_zone z JOIN water_body w "
        "ON w.code = z.water_body_code WHERE w.kind = 'reservoir' "
        "AND z.kind = 'water_area'",
    )
    assert water.n[0] == 3


def test_shared_lake_has_one_initiator(sample_loaded, conn):
    shares = _frame(
        conn,
        "SELECT region_code, share, initiates_coordination FROM "
        "still_water_zone WHERE water_body_code = 'H4505-01' "
        "AND kind = 'water_share' AND level = 'township'",
    )
    assert len(shares) == 2
    assert shares.initiates_coordination.sum() == 1
    assert shares.loc[shares.initiates_coordination, "share"].iloc[0] == shares.share.max()


def test_joint_section_at_every_county_boundary_crossing(sample_loaded, conn):
    seg = _frame(
        conn,
        "SELECT water_body_code, kind, region_code, chainage_from_m "
        "FROM river_segment WHERE level = 'county' "
        "ORDER BY water_body_code, chainage_from_m",
    )
    joints = _frame(
        conn,
        "SELECT water_body_code, crossing_chainage_m, chainage_from_m, "
        "chainage_to_m FROM joint_section",
    )
    crossings = 0
    for water, group in seg.groupby("water_body_code"):
        g = group[group.kind == "inside"].reset_index(drop=True)
        for a, b in zip(g.itertuples(), g.iloc[1:].itertuples(), strict=False):
            if a.region_code != b.region_code:
                crossings += 1
                j = joints[joints.water_body_code == water]
                # the joint section covers the crossing, a kilometre either side where possible
                assert (
                    (j.chainage_from_m <= b.chainage_from_m)
                    & (j.chainage_to_m >= b.chainage_from_m)
                ).any(), (water, b)
    assert crossings >= 4


def test_convener_for_each_cross_county_river(sample_loaded, conn):
    multi = _frame(
        conn,
        "SELECT water_body_code FROM river_segment WHERE level = 'county' "
        "AND kind = 'inside' GROUP BY 1 HAVING count(DISTINCT region_code) > 1",
    )
    conv = _frame(conn, "SELECT * FROM river_convener")
    assert set(multi.water_body_code) <= set(conv.water_body_code)
    for row in conv.itertuples():
        lengths = row.lengths_m
        assert row.convener_region_code == max(lengths, key=lengths.get)


def test_rebuild_is_reproducible(sample_loaded, conn):
    before = _frame(conn, "SELECT id, ST_AsBinary(geom) AS g FROM river_segment ORDER BY id")
    rebuild_zoning(conn)
    after = _frame(conn, "SELECT id, ST_AsBinary(geom) AS g FROM river_segment ORDER BY id")
    assert before.id.tolist() == after.id.tolist()
    assert [bytes(x) for x in before.g] == [bytes(x) for x in after.g]
    assert rebuild_zoning(conn, skip_unchanged=True) == {
        "skipped": "inputs unchanged since the last rebuild"
    }


def test_the_planted_unassigned_segment_is_reported(sample_loaded, conn):
    """马江 in village 450512102205 has no chief (data/sample/README.md)."""
    gaps = unassigned_on(conn, dt.date(2026, 7, 15))
    segs = gaps[gaps.target_type == "segment"]
    assert "R4505-04/village/450512102205/1" in set(segs.target_id)
    # every other segment gap is a bank of a boundary stretch the roster does not name
    others = segs[segs.target_id != "R4505-04/village/450512102205/1"]
    assert others.bank.notna().all()


def test_segment_polygons_are_valid_and_near_their_segment(sample_loaded, conn):
    bad = conn.execute(
        text(
            "SELECT count(*) FROM river_segment WHERE kind <> 'outside' AND (zone_geom IS NULL "
            "OR NOT ST_IsValid(zone_geom) "
            "OR NOT ST_DWithin(zone_geom::geography, geom::geography, 1))"
        )
    ).scalar()
    assert bad == 0
    widths = gpd.read_postgis(
        text(
            "SELECT s.id, ST_Area(s.zone_geom::geography) / nullif(s.length_m, 0) AS w, "
            "w.buffer_width_m, s.geom FROM river_segment s JOIN water_body w "
            "ON w.code = s.water_body_code WHERE s.kind = 'inside' AND s.length_m > 2000"
        ),
        conn,
        geom_col="geom",
    )
    # area / length of a buffer clipped at both ends is about twice the width
    ratio = widths.w / (2 * widths.buffer_width_m)
    assert np.median(ratio) > 0.9 and np.median(ratio) < 1.1
